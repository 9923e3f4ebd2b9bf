#!/usr/bin/env node
// Installs the real VS Code test host (code-server, pinned in ./package.json) into
// ./node_modules, offline except for the npm registry:
//  - @vscode/ripgrep's postinstall downloads rg from GitHub; we pre-fill its download
//    cache with a tarball of the system's ripgrep (Debian package `ripgrep`) under the
//    exact name it looks for, so it unpacks that instead.
//  - code-server's postinstall refuses to run as root without unsafe-perm, and node-pty
//    runs `npx node-gyp`, which needs `yes`.
// Idempotent: returns at once when the pinned version is installed and complete.
// Usage: node test/e2e/host/install.mjs [--force]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const force = process.argv.includes('--force');
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const wanted = pkg.dependencies['code-server'];
const codeServerDir = path.join(here, 'node_modules', 'code-server');
const stampFile = path.join(here, 'node_modules', '.ar-migrate-host-stamp');

// Fallbacks when code-server is not unpacked yet (what code-server 4.100.3 uses).
const DEFAULT_RIPGREP_PACKAGE = '1.15.11';
const DEFAULT_RIPGREP_RELEASE = 'v13.0.0-10';

function log(msg) {
  process.stderr.write(`[e2e host] ${msg}\n`);
}

function lockHash() {
  const h = createHash('sha256');
  h.update(fs.readFileSync(path.join(here, 'package.json')));
  const lock = path.join(here, 'package-lock.json');
  if (fs.existsSync(lock)) h.update(fs.readFileSync(lock));
  h.update(process.version.split('.')[0]);
  return h.digest('hex');
}

/** Every @vscode/ripgrep that code-server uses; each needs its binary. */
function ripgrepPackages() {
  return [
    path.join(here, 'node_modules', '@vscode', 'ripgrep'),
    path.join(codeServerDir, 'node_modules', '@vscode', 'ripgrep'),
    path.join(codeServerDir, 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep'),
  ].filter((p) => fs.existsSync(path.join(p, 'package.json')));
}

function installed() {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(codeServerDir, 'package.json'), 'utf8')).version;
    if (v !== wanted) return false;
    if (!fs.existsSync(path.join(codeServerDir, 'out', 'node', 'entry.js'))) return false;
    if (!fs.existsSync(path.join(codeServerDir, 'lib', 'vscode', 'node_modules'))) return false;
    const rgs = ripgrepPackages();
    if (rgs.length === 0 || !rgs.every((p) => fs.existsSync(path.join(p, 'bin', 'rg')))) return false;
    return fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === lockHash();
  } catch {
    return false;
  }
}

function ripgrepTarget() {
  const arch = process.env.npm_config_arch || os.arch();
  if (os.platform() !== 'linux') throw new Error(`the e2e host installer supports Linux only (this is ${os.platform()})`);
  if (arch === 'x64') return 'x86_64-unknown-linux-musl';
  if (arch === 'arm64') return 'aarch64-unknown-linux-musl';
  throw new Error(`no ripgrep cache layout known for ${arch}`);
}

/** (package version, release tag) pairs @vscode/ripgrep will ask for. */
function ripgrepVersions() {
  const pairs = new Map([[DEFAULT_RIPGREP_PACKAGE, DEFAULT_RIPGREP_RELEASE]]);
  for (const p of ripgrepPackages()) {
    try {
      const v = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8')).version;
      const post = fs.readFileSync(path.join(p, 'lib', 'postinstall.js'), 'utf8');
      const m = /const VERSION = '([^']+)'/.exec(post);
      if (v && m) pairs.set(v, m[1]);
    } catch {
      // not unpacked completely; the defaults stay
    }
  }
  return pairs;
}

function systemRipgrep() {
  const candidates = [process.env.AR_MIGRATE_RG, '/usr/bin/rg', '/usr/local/bin/rg'].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  const r = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  throw new Error('ripgrep is not installed: `apt-get install -y ripgrep` (code-server needs an rg binary and cannot download one offline)');
}

function fillRipgrepCache(tmp) {
  const rg = systemRipgrep();
  const target = ripgrepTarget();
  const stage = fs.mkdtempSync(path.join(tmp, 'rg-'));
  fs.copyFileSync(rg, path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  for (const [pkgVersion, release] of ripgrepVersions()) {
    const dir = path.join(tmp, `vscode-ripgrep-cache-${pkgVersion}`);
    fs.mkdirSync(dir, { recursive: true });
    const archive = path.join(dir, `ripgrep-${release}-${target}.tar.gz`);
    execFileSync('tar', ['czf', archive, '-C', stage, 'rg']);
    log(`ripgrep cache: ${archive} (from ${rg})`);
  }
  fs.rmSync(stage, { recursive: true, force: true });
}

function npmInstall(tmp) {
  const hasLock = fs.existsSync(path.join(here, 'package-lock.json'));
  const args = [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'];
  log(`npm ${args.join(' ')} in ${here} (code-server ${wanted}; about a minute)`);
  const env = {
    ...process.env,
    TMPDIR: tmp,
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
  };
  // A parent `npm run` exports the root package's location; this install is self-contained.
  for (const k of ['npm_config_local_prefix', 'npm_config_prefix', 'npm_package_json', 'INIT_CWD']) delete env[k];
  const r = spawnSync('npm', args, { cwd: here, env, stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status === 0;
}

function main() {
  if (!force && installed()) {
    log(`code-server ${wanted} already installed`);
    return;
  }
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-host-'));
  try {
    fillRipgrepCache(tmp);
    let ok = npmInstall(tmp);
    if (!ok) {
      // The first attempt may have unpacked a code-server whose ripgrep differs from the defaults.
      log('install failed; retrying once with the ripgrep versions code-server declares');
      fillRipgrepCache(tmp);
      ok = npmInstall(tmp);
    }
    if (!ok || !installedIgnoringStamp()) throw new Error(`could not install code-server ${wanted} into ${here} (see the npm output above)`);
    fs.writeFileSync(stampFile, lockHash() + '\n');
    log(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function installedIgnoringStamp() {
  fs.writeFileSync(stampFile, lockHash() + '\n');
  const ok = installed();
  if (!ok) fs.rmSync(stampFile, { force: true });
  return ok;
}

try {
  main();
} catch (e) {
  log(`ERROR: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
