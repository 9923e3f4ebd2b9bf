// Bundles the extension client, the language server and the CLI with esbuild.
// Output goes to dist/ (CommonJS, Node 20). `--watch` rebuilds on change.
//
// The CLI is split for start-up time (docs/cli-startup.md): dist/cli.js is a
// small dispatcher and every command is its own bundle, dist/cli/<command>.js,
// required only when that command runs, so `ar-migrate mirror` never parses
// BigQuery, google-auth-library or the YAML/Dockerfile parsers. Code shared by
// commands is duplicated across their bundles, except server/src/cli/io.ts
// (UsageError must be one class for `instanceof`), which is dist/cli/io.js,
// and server/src/cli/main.ts, which a command bundle reaches as ../cli.js.
// google-auth-library and @google-cloud/bigquery are bundles of their own too
// (dist/cli/google-auth-library.js, dist/cli/google-cloud-bigquery.js), so a
// command that requires them lazily parses them only when it needs them: the
// registry code needs Google auth only for Google hosts.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = path.join(root, 'server/src/cli');
const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native or optional modules that must not be bundled.
  external: ['vscode'],
};

/** CLI command modules (server/src/cli/<name>.ts), each bundled to dist/cli/<name>.js. */
const COMMAND_MODULES = ['scan', 'pulls', 'mirror', 'migrate', 'check', 'setupLogging', 'clusterScan', 'drift'];

/** Packages bundled once, as dist/cli/<name>.js, and required from there by the command bundles. */
const SHARED_PACKAGES = ['google-auth-library', '@google-cloud/bigquery', 'yaml', 'dockerfile-ast'];
const sharedFile = (name) => `cli/${name.replace(/^@/, '').replace(/\//g, '-')}.js`;
const sharedPackagePath = (name) => createRequire(path.join(root, 'package.json')).resolve(name);

/**
 * Resolves, in a CLI bundle, `./io` to the shared dist/cli/io.js, `./main` to
 * the dispatcher dist/cli.js and (in the dispatcher only) `./<command>` to
 * dist/cli/<command>.js, all external. `fromDir` is the output directory of
 * the bundle being built, relative to dist/. The CLI reads only the version
 * from package.json, so only the version is bundled.
 */
function cliSplit(fromDir, isDispatcher) {
  const out = (file) => {
    const rel = path.posix.relative(fromDir, file);
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  return {
    name: 'cli-split',
    setup(build) {
      build.onResolve({ filter: /^\.{1,2}\// }, (args) => {
        const abs = path.resolve(args.resolveDir, args.path).replace(/\.ts$/, '');
        if (abs === path.join(root, 'package.json')) return { path: abs, namespace: 'package-version' };
        if (path.dirname(abs) !== cliDir) return undefined;
        const name = path.basename(abs);
        if (name === 'io') return { path: out('cli/io.js'), external: true };
        if (name === 'main' && !isDispatcher) return { path: out('cli.js'), external: true };
        if (isDispatcher && COMMAND_MODULES.includes(name)) return { path: out(`cli/${name}.js`), external: true };
        return undefined;
      });
      build.onResolve({ filter: new RegExp(`^(${SHARED_PACKAGES.join('|')})$`) }, async (args) => {
        if (args.pluginData?.cliSplit) return undefined;
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { cliSplit: true } });
        // only the copy at the top of node_modules is shared
        if (r.errors.length || r.path !== sharedPackagePath(args.path)) return undefined;
        return { path: out(sharedFile(args.path)), external: true };
      });
      build.onLoad({ filter: /.*/, namespace: 'package-version' }, async (args) => {
        const { version } = JSON.parse(await fs.readFile(args.path, 'utf8'));
        return { contents: JSON.stringify({ version }), loader: 'json', watchFiles: [args.path] };
      });
    },
  };
}

/**
 * Start-up time of the CLI commands that talk to registries
 * (docs/cli-startup.md): undici requires, at load, modules our clients rarely
 * or never use. In the CLI command bundles these requires are made lazy:
 *  - client.js requires its HTTP/2 client (client-h2.js), whose top requires
 *    node:http2 with tls, fs/promises and readline (about 15 ms); our clients
 *    never negotiate HTTP/2, so it loads on the first HTTP/2 connection;
 *  - client.js and core/util.js require node:http (about 6 ms) only for
 *    http.maxHeaderSize (a default, read when a Client is made without
 *    maxHeaderSize) and for an IncomingMessage check in destroy().
 * Each patch matches undici's source exactly; when a newer undici no longer
 * matches, that file is bundled unchanged and the build says so.
 */
const UNDICI_LAZY_PATCHES = [
  {
    file: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/,
    edits: [
      ["const connectH2 = require('./client-h2.js')", "const connectH2 = (...args) => require('./client-h2.js')(...args)"],
      ["const http = require('node:http')", "let lazyHttp\nconst http = { get maxHeaderSize () { return (lazyHttp ??= require('node:http')).maxHeaderSize } }"],
      [
        /const getDefaultNodeMaxHeaderSize = http &&[^;]*?http\.maxHeaderSize invalid'\) \}\n/,
        "const getDefaultNodeMaxHeaderSize = () => {\n  const size = http.maxHeaderSize\n  if (size && Number.isInteger(size) && size > 0) return size\n  throw new InvalidArgumentError('http module not available or http.maxHeaderSize invalid')\n}\n",
      ],
    ],
  },
  {
    file: /[\\/]undici[\\/]lib[\\/]core[\\/]util\.js$/,
    edits: [
      ["const { IncomingMessage } = require('node:http')", 'let IncomingMessage'],
      ['Object.getPrototypeOf(stream).constructor === IncomingMessage', "Object.getPrototypeOf(stream).constructor === (IncomingMessage ??= require('node:http').IncomingMessage)"],
    ],
  },
];

const lazyUndici = {
  name: 'lazy-undici',
  setup(build) {
    for (const patch of UNDICI_LAZY_PATCHES) {
      build.onLoad({ filter: patch.file }, async (args) => {
        let text = await fs.readFile(args.path, 'utf8');
        for (const [from, to] of patch.edits) {
          const next = text.replace(from, to);
          if (next === text) {
            console.warn(`lazy-undici: ${args.path} no longer matches ${from}; bundled unchanged`);
            return undefined;
          }
          text = next;
        }
        return { contents: text, loader: 'js' };
      });
    }
  },
};

const entries = [
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [cliSplit('.', true)] },
  { entryPoints: ['server/src/cli/io.ts'], outfile: 'dist/cli/io.js' },
  // Worker thread of the parallel scan (server/src/workspace/scan.ts finds it next to or above its bundle).
  { entryPoints: ['server/src/workspace/scanWorker.ts'], outfile: 'dist/scanWorker.js' },
  // I/O thread of the scan (walk + reads while the calling thread extracts).
  { entryPoints: ['server/src/workspace/scanIoWorker.ts'], outfile: 'dist/scanIoWorker.js' },
  ...SHARED_PACKAGES.map((name) => ({ entryPoints: [sharedPackagePath(name)], outfile: `dist/${sharedFile(name)}`, plugins: [cliSplit('cli', false)] })),
  ...COMMAND_MODULES.map((name) => ({
    entryPoints: [`server/src/cli/${name}.ts`],
    outfile: `dist/cli/${name}.js`,
    plugins: [cliSplit('cli', false), lazyUndici],
  })),
];

if (watch) {
  for (const e of entries) {
    const ctx = await esbuild.context({ ...common, ...e });
    await ctx.watch();
  }
  console.log('esbuild: watching');
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
