/**
 * `ar-migrate` CLI entry: dispatches to one module per command. Exit codes:
 * 0 success / nothing found, 1 findings or failures, 2 usage error.
 *
 * Start-up time matters (docs/cli-startup.md): the build bundles each command
 * separately (dist/cli/<command>.js) and this dispatcher requires only the one
 * that runs, so keep this file free of heavy imports and top-level work.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { makeDirectorySync } from '../makeDirectory';
import { preferBaselineWasm } from '../registry/memory';
import { prestartScanIo } from '../workspace/ioPrestart';
import { CliIO, CommandRunner, UsageError } from './io';

/**
 * Loads a command module. From the build (dist/cli.js next to
 * dist/cli/<file>.js) the bundles under dist/cli/ are compiled with a V8 code
 * cache kept per user, which saves most of their parse and compile time on the
 * next runs; from source (tests) it is a plain require.
 */
function loadCommand(file: string, plain: () => { run: CommandRunner }): { run: CommandRunner } {
  if (!__filename.endsWith('.js') || process.env.AR_MIGRATE_NO_COMPILE_CACHE) return plain();
  const bundles = path.join(__dirname, 'cli');
  if (!fs.existsSync(path.join(bundles, `${file}.js`))) return plain();
  const dir = compileCacheDir();
  if (!dir) return plain();
  const enable = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (typeof enable === 'function') {
    // Node 22.1+: its own cache for everything required from here on
    try {
      enable(dir);
    } catch {
      // no cache
    }
  } else {
    installCodeCache(bundles + path.sep, dir);
  }
  return plain();
}

/** $XDG_CACHE_HOME/ar-migrate/v8 (default ~/.cache), created private; undefined when unusable. */
function compileCacheDir(): string | undefined {
  try {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    const dir = path.join(base, 'ar-migrate', `v8-${process.version}-${process.arch}`);
    makeDirectorySync(dir, 0o700);
    return dir;
  } catch {
    return undefined;
  }
}

/** 32-bit FNV-1a, hex: names cache files without loading node:crypto. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

type LoadingModule = NodeJS.Module & { filename: string };
let codeCacheInstalled = false;

/**
 * Compiles the CommonJS files under `under` (the CLI bundles) through
 * vm.Script with V8 cached data, for the rest of this process. V8 checks the
 * cache only against the source length, so the cache file name carries the
 * bundle's path, size and mtime: a rebuilt bundle gets a new one. A cache is
 * written at exit, after the run compiled the functions it used. Any problem
 * with the cache falls back to Node's own compile.
 */
function installCodeCache(under: string, dir: string): void {
  if (codeCacheInstalled) return;
  codeCacheInstalled = true;
  const M = Module as unknown as { _extensions: Record<string, (m: LoadingModule, filename: string) => void>; wrap(src: string): string };
  const original = M._extensions['.js'];
  M._extensions['.js'] = function (this: unknown, mod: LoadingModule, filename: string) {
    if (!filename.startsWith(under)) return original.call(this, mod, filename);
    let script: vm.Script;
    let cacheFile: string;
    let cachedData: Buffer | undefined;
    try {
      const st = fs.statSync(filename);
      cacheFile = path.join(dir, `${path.basename(filename, '.js')}-${fnv1a(filename)}-${fnv1a(`${st.size}:${st.mtimeMs}`)}.bin`);
      try {
        cachedData = fs.readFileSync(cacheFile);
      } catch {
        cachedData = undefined;
      }
      script = new vm.Script(M.wrap(fs.readFileSync(filename, 'utf8')), { filename, cachedData });
    } catch {
      return original.call(this, mod, filename);
    }
    if (!cachedData || script.cachedDataRejected) process.once('exit', () => writeCodeCache(script, cacheFile, dir));
    const fn = script.runInThisContext() as (e: unknown, r: NodeRequire, m: NodeJS.Module, f: string, d: string) => void;
    fn.call(mod.exports, mod.exports, Module.createRequire(filename), mod, filename, path.dirname(filename));
  };
}

function writeCodeCache(script: vm.Script, cacheFile: string, dir: string): void {
  try {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, cacheFile);
    // the same bundle's caches for older builds
    const prefix = path.basename(cacheFile).replace(/[0-9a-f]{8}\.bin$/, '');
    for (const f of fs.readdirSync(dir)) {
      if (f.startsWith(prefix) && f.endsWith('.bin') && path.join(dir, f) !== cacheFile) fs.rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    // no cache next time
  }
}

interface CommandInfo {
  summary: string;
  load: () => CommandRunner;
}

const COMMANDS: Record<string, CommandInfo> = {
  scan: { summary: 'find image references in Dockerfiles and YAML', load: () => loadCommand('scan', () => require('./scan')).run },
  pulls: { summary: 'count image pulls from BigQuery or a log export', load: () => loadCommand('pulls', () => require('./pulls')).run },
  mirror: { summary: 'copy images registry to registry (Artifact Registry)', load: () => loadCommand('mirror', () => require('./mirror')).run },
  migrate: { summary: 'mirror every third-party image found and rewrite the references', load: () => loadCommand('migrate', () => require('./migrate')).run },
  check: { summary: 'check the target repository and who can push and pull', load: () => loadCommand('check', () => require('./check')).run },
  'setup-logging': { summary: 'create the image-pull log sink into BigQuery', load: () => loadCommand('setupLogging', () => require('./setupLogging')).run },
  'cluster-scan': { summary: 'list the images running in a cluster (kubectl)', load: () => loadCommand('clusterScan', () => require('./clusterScan')).run },
  drift: { summary: 'compare mirrored images with their upstream tags', load: () => loadCommand('drift', () => require('./drift')).run },
};

export const VERSION: string = (() => {
  try {
    return require('../../../package.json').version;
  } catch {
    return 'dev';
  }
})();

function usage(): string {
  const lines = ['Usage: ar-migrate <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `ar-migrate <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? io.stdout : io.stderr).write(usage());
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v') {
    io.stdout.write(`ar-migrate ${VERSION}\n`);
    return 0;
  }
  const info = COMMANDS[cmd];
  if (!info) {
    io.stderr.write(`ar-migrate: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await info.load()(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`ar-migrate ${cmd}: ${err.message}\n`);
      return 2;
    }
    if (io.signal.aborted) {
      io.stderr.write(`ar-migrate ${cmd}: cancelled\n`);
      return 130;
    }
    io.stderr.write(`ar-migrate ${cmd}: ${(err as Error)?.message ?? String(err)}\n`);
    if (io.env.AR_MIGRATE_DEBUG) io.stderr.write(`${(err as Error)?.stack}\n`);
    return 1;
  }
}

/** Commands whose process exists to copy images: they trade WebAssembly tier-up for a lower peak RSS. */
const COPY_COMMANDS = new Set(['mirror', 'migrate']);

/**
 * google-auth-library probes for a GCE metadata server when no credentials are
 * configured; off Google Cloud the probe fails and gcp-metadata prints a
 * "(node:PID) MetadataLookupWarning: ... All promises were rejected" line to
 * stderr. The commands report missing credentials themselves, so that warning
 * is dropped; every other warning is printed as before.
 */
function dropMetadataLookupWarnings(): void {
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const opt = rest[0];
    const type = warning instanceof Error ? warning.name : typeof opt === 'string' ? opt : (opt as { type?: string } | undefined)?.type;
    if (type === 'MetadataLookupWarning') return;
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}

/**
 * `scan` walks and reads in an I/O thread (workspace/scan.ts): start it now, so
 * that its boot overlaps with loading the scan bundle. Not for --help or --jobs
 * (which does without it); the thread waits for its job and is dropped unused
 * if the scan never gets there.
 */
function prestartScan(args: string[]): void {
  if (args.some((a) => a === '--help' || a === '-h' || a === '--jobs' || a.startsWith('--jobs='))) return;
  const script = path.join(__dirname, 'scanIoWorker.js');
  if (__filename.endsWith('.js') && fs.existsSync(script)) prestartScanIo(script);
}

/** Runs the CLI on this process's argv and sets the exit code. */
export function runFromProcess(): void {
  dropMetadataLookupWarnings();
  if (COPY_COMMANDS.has(process.argv[2])) preferBaselineWasm();
  if (process.argv[2] === 'scan') prestartScan(process.argv.slice(3));
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    signal: controller.signal,
    isTTY: Boolean(process.stderr.isTTY),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`ar-migrate: ${err?.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runFromProcess();
