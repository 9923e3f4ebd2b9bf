// CLI start-up layout (docs/cli-startup.md): dist/cli.js is a small dispatcher
// that requires only the bundle of the command being run, so `mirror` never
// parses BigQuery or google-auth-library, and the language server does not
// inherit the copier's process-wide V8 flags.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist');
const COMMANDS = ['scan', 'pulls', 'mirror', 'migrate', 'check', 'setup-logging', 'cluster-scan', 'drift'];

/**
 * Runs the CLI in a child process through the real entry (bin/ar-migrate.js)
 * and reports which files under dist/ it loaded.
 */
function runAndListLoaded(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const probe = `
    process.on('exit', () => {
      const files = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(DIST + path.sep)}));
      require('fs').writeSync(2, '\\n@@loaded ' + JSON.stringify(files.map((f) => require('path').relative(${JSON.stringify(DIST)}, f))) + '\\n');
    });
    process.argv.splice(1, 0, ${JSON.stringify(path.join(ROOT, 'bin/ar-migrate.js'))});
    require(${JSON.stringify(path.join(ROOT, 'bin/ar-migrate.js'))});
  `;
  const r = spawnSync(process.execPath, ['-e', probe, '--', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env });
  const m = /\n@@loaded (.*)\n/.exec(r.stderr);
  assert.ok(m, `no load list in stderr:\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(m[0], ''), loaded: JSON.parse(m[1]).sort() };
}

describe('CLI start-up: per-command bundles', function () {
  this.timeout(180_000);

  before(function () {
    if (!fs.existsSync(path.join(DIST, 'cli.js')) || !fs.existsSync(path.join(DIST, 'cli', 'mirror.js'))) {
      const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });

  it('--version and --help load only the dispatcher', function () {
    const v = runAndListLoaded(['--version']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^ar-migrate \d+\.\d+\.\d+/);
    assert.deepEqual(v.loaded, ['cli.js', path.join('cli', 'io.js')]);
    const h = runAndListLoaded(['--help']);
    assert.equal(h.status, 0);
    for (const c of COMMANDS) assert.match(h.stdout, new RegExp(`^  ${c} `, 'm'));
    assert.deepEqual(h.loaded, ['cli.js', path.join('cli', 'io.js')]);
  });

  it('the dispatcher bundle is small and carries no third-party code', function () {
    const size = fs.statSync(path.join(DIST, 'cli.js')).size;
    assert.ok(size < 64 * 1024, `dist/cli.js is ${size} bytes`);
    const text = fs.readFileSync(path.join(DIST, 'cli.js'), 'utf8');
    assert.doesNotMatch(text, /node_modules\//);
  });

  it('mirror loads neither BigQuery nor google-auth-library nor the other commands', function () {
    // a usage error still loads the command's bundle
    const r = runAndListLoaded(['mirror', 'only-one-argument']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /ar-migrate mirror: /);
    assert.deepEqual(r.loaded, ['cli.js', path.join('cli', 'io.js'), path.join('cli', 'mirror.js')]);
  });

  it('mirror loads no http, http2, child_process or crypto module at start-up (they load when first needed)', function () {
    // process.moduleLoadList names every built-in module the process loaded
    const probe = `
      process.on('exit', () => {
        const mods = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
        require('fs').writeSync(2, '\\n@@builtins ' + JSON.stringify(mods) + '\\n');
      });
      process.argv.splice(1, 0, ${JSON.stringify(path.join(ROOT, 'bin/ar-migrate.js'))});
      require(${JSON.stringify(path.join(ROOT, 'bin/ar-migrate.js'))});
    `;
    const r = spawnSync(process.execPath, ['-e', probe, '--', 'mirror', 'only-one-argument'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 2, r.stderr);
    const m = /\n@@builtins (.*)\n/.exec(r.stderr);
    assert.ok(m, r.stderr);
    const builtins: string[] = JSON.parse(m[1]);
    assert.ok(builtins.includes('net'), 'the probe sees the modules undici loads');
    for (const mod of ['http2', 'http', 'child_process', 'crypto', 'tls']) assert.ok(!builtins.includes(mod), `mirror loaded node:${mod} at start-up`);
  });

  for (const cmd of COMMANDS) {
    it(`${cmd}: --help exits 0 and an unknown option is a usage error (exit 2) through its own bundle`, function () {
      const h = runAndListLoaded([cmd, '--help']);
      assert.equal(h.status, 0, h.stderr);
      assert.ok(`${h.stdout}${h.stderr}`.includes(`ar-migrate ${cmd}`), `${cmd} --help names the command`);
      const u = runAndListLoaded([cmd, '--no-such-option-xyz']);
      assert.equal(u.status, 2, `exit ${u.status}: ${u.stderr}`);
      assert.match(u.stderr, new RegExp(`^ar-migrate ${cmd}: .*no-such-option-xyz`, 'mi'));
      const others = COMMANDS.filter((c) => c !== cmd).map((c) => c.replace(/-(\w)/g, (_, x: string) => x.toUpperCase()));
      for (const o of others) {
        // a command may embed another's code in its own bundle, never load that command's bundle
        assert.ok(!u.loaded.includes(path.join('cli', `${o}.js`)), `${cmd} loaded cli/${o}.js: ${u.loaded.join(', ')}`);
      }
    });
  }

  it('the language server bundle does not switch V8 to Liftoff-only WebAssembly', function () {
    const server = fs.readFileSync(path.join(DIST, 'server.js'), 'utf8');
    assert.doesNotMatch(server, /liftoff-only/);
    const mirror = fs.readFileSync(path.join(DIST, 'cli', 'mirror.js'), 'utf8');
    assert.doesNotMatch(mirror, /liftoff-only/, 'set by the CLI entry, not when the engine loads');
  });

  describe('V8 code cache of the command bundles', function () {
    let tmp: string;
    beforeEach(function () {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-startup-'));
    });
    afterEach(function () {
      fs.rmSync(tmp, { recursive: true, force: true });
    });
    const cacheFiles = (dir: string): string[] => {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(path.join(d, e.name));
          else out.push(path.join(d, e.name));
        }
      };
      if (fs.existsSync(dir)) walk(dir);
      return out;
    };

    it('is written under $XDG_CACHE_HOME/ar-migrate on the first run and reused; output is unchanged', function () {
      const env = { ...process.env, XDG_CACHE_HOME: tmp, AR_MIGRATE_NO_COMPILE_CACHE: '' };
      const first = runAndListLoaded(['scan', '--json', 'examples'], env);
      const files = cacheFiles(tmp).sort();
      // one cache per bundle under dist/cli/ that the run loaded (io.js is loaded before the cache is set up)
      const bundles = first.loaded.filter((f) => f.startsWith(`cli${path.sep}`) && f !== path.join('cli', 'io.js'));
      assert.ok(bundles.includes(path.join('cli', 'scan.js')));
      assert.deepEqual(
        files.map((f) => path.basename(f).replace(/-[0-9a-f]{8}-[0-9a-f]{8}\.bin$/, '')).sort(),
        bundles.map((b) => path.basename(b, '.js')).sort(),
      );
      for (const f of files) {
        assert.match(path.basename(f), /^[\w-]+-[0-9a-f]{8}-[0-9a-f]{8}\.bin$/);
        assert.ok(f.startsWith(path.join(tmp, 'ar-migrate') + path.sep));
        assert.equal(fs.statSync(f).mode & 0o077, 0, 'cache file is private');
      }
      const mtimes = files.map((f) => fs.statSync(f).mtimeMs);
      const second = runAndListLoaded(['scan', '--json', 'examples'], env);
      assert.equal(second.status, first.status);
      assert.equal(second.stdout, first.stdout);
      assert.deepEqual(cacheFiles(tmp).sort(), files);
      assert.deepEqual(files.map((f) => fs.statSync(f).mtimeMs), mtimes, 'an accepted cache is not rewritten');
      const plain = runAndListLoaded(['scan', '--json', 'examples'], { ...process.env, AR_MIGRATE_NO_COMPILE_CACHE: '1', XDG_CACHE_HOME: path.join(tmp, 'unused') });
      assert.equal(plain.stdout, first.stdout);
      assert.deepEqual(cacheFiles(path.join(tmp, 'unused')), [], 'AR_MIGRATE_NO_COMPILE_CACHE=1 writes nothing');
    });

    it('a corrupt cache file is replaced, an unusable cache directory is ignored', function () {
      const env = { ...process.env, XDG_CACHE_HOME: tmp, AR_MIGRATE_NO_COMPILE_CACHE: '' };
      const first = runAndListLoaded(['mirror', 'only-one-argument'], env);
      assert.equal(first.status, 2, first.stderr);
      const [file] = cacheFiles(tmp);
      assert.ok(file, 'cache written');
      fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 0x5a));
      const again = runAndListLoaded(['mirror', 'only-one-argument'], env);
      assert.equal(again.status, 2, again.stderr);
      assert.equal(again.stderr, first.stderr);
      assert.notEqual(fs.readFileSync(file)[0], 0x5a, 'rewritten');
      // XDG_CACHE_HOME is a file: no cache, same behaviour
      const notDir = path.join(tmp, 'not-a-dir');
      fs.writeFileSync(notDir, 'x');
      const r = runAndListLoaded(['mirror', 'only-one-argument'], { ...env, XDG_CACHE_HOME: notDir });
      assert.equal(r.status, 2);
      assert.equal(r.stderr, first.stderr);
    });
  });
});
