/**
 * Starts a real VS Code (code-server 4.100.3 from test/e2e/host) on a random
 * loopback port, isolated in its own HOME, TMPDIR, user-data and extensions
 * dirs, in its own process group (setsid) so stop() ends every child.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const HOST_DIR = path.join(REPO_ROOT, 'test', 'e2e', 'host');
export const CODE_SERVER_BIN = path.join(HOST_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const ARTIFACTS_DIR = path.join(REPO_ROOT, '.test-artifacts');

const execFileP = promisify(execFile);

/** Process groups still running: killed if the test process exits without stop(). */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const g of liveGroups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

export function hostInstalled(): boolean {
  return fs.existsSync(CODE_SERVER_BIN);
}

/** Runs test/e2e/host/install.mjs (quick when already installed). */
export async function ensureHostInstalled(): Promise<void> {
  if (hostInstalled() && fs.existsSync(path.join(HOST_DIR, 'node_modules', '.ar-migrate-host-stamp'))) return;
  await execFileP(process.execPath, [path.join(HOST_DIR, 'install.mjs')], { maxBuffer: 64 * 1024 * 1024 });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A short scratch dir: unix socket paths under it must stay below 108 bytes. */
export function scratchDir(prefix = 'arm-'): string {
  const base = fs.existsSync('/tmp') ? '/tmp' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, prefix));
}

export interface CodeServerOptions {
  /** Folder to open (absolute). */
  folder: string;
  /** Extra environment for code-server and so the extension host (and the language server). */
  env?: Record<string, string>;
  /** User settings (settings.json of the user-data dir). */
  userSettings?: Record<string, unknown>;
  /** .vsix files installed with --install-extension before start. */
  installVsix?: string[];
  /** Reuse a scratch root (else a fresh one). */
  root?: string;
  /** Keep Workspace Trust on: the folder opens in Restricted Mode (no startup prompt). */
  workspaceTrust?: boolean;
}

export interface CodeServer {
  port: number;
  url: string;
  root: string;
  userDataDir: string;
  extensionsDir: string;
  /** stdout+stderr of code-server so far. */
  output(): string;
  /** Stops the whole process group; removes the scratch dirs unless keep. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'npm.autoDetect': 'off',
  'editor.hover.delay': 300,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
};

function baseEnv(root: string, extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing from a parent VS Code, test runner or npm run leaks into the host.
  for (const k of Object.keys(env)) {
    if (/^(VSCODE_|ELECTRON_|npm_|CODE_SERVER_|NODE_OPTIONS$|TS_NODE|TSX_)/.test(k)) delete env[k];
  }
  return { ...env, HOME: path.join(root, 'home'), TMPDIR: path.join(root, 't'), XDG_CONFIG_HOME: path.join(root, 'home', '.config'), ...extra };
}

export async function installVsix(root: string, extensionsDir: string, userDataDir: string, vsix: string): Promise<string> {
  const env = baseEnv(root);
  const { stdout, stderr } = await execFileP(
    process.execPath,
    [CODE_SERVER_BIN, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout + stderr;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  if (!hostInstalled()) throw new Error(`code-server is not installed: run node ${path.relative(process.cwd(), path.join(HOST_DIR, 'install.mjs'))}`);
  const root = opts.root ?? scratchDir();
  const userDataDir = path.join(root, 'ud');
  const extensionsDir = path.join(root, 'ext');
  for (const d of ['home', 't', 'ud/User', 'ext']) fs.mkdirSync(path.join(root, d), { recursive: true });
  const trust = opts.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.untrustedFiles': 'open' } : {};
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...trust, ...opts.userSettings }, null, 2));
  for (const v of opts.installVsix ?? []) await installVsix(root, extensionsDir, userDataDir, v);

  const port = await freePort();
  const args = [
    CODE_SERVER_BIN,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    opts.folder,
  ];
  let out = '';
  // detached: setsid() in the child, a new session and process group, so stop() reaches
  // the extension host and the language server too.
  const child: ChildProcess = spawn(process.execPath, args, {
    env: baseEnv(root, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid) liveGroups.add(child.pid);
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  let exited = false;
  const exitP = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));

  const stop = async (o: { keep?: boolean } = {}) => {
    await killGroup(child, exitP, () => exited);
    if (!o.keep) fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop({ keep: true });
      throw new Error(`code-server exited at start:\n${out}`);
    }
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop({ keep: true });
      throw new Error(`code-server did not answer on ${url}/healthz within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { port, url, root, userDataDir, extensionsDir, output: () => out, stop };
}

/** Every process in the group of `child` (setsid made it the leader). */
async function killGroup(child: ChildProcess, exitP: Promise<void>, exited: () => boolean): Promise<void> {
  const pgid = child.pid;
  if (!pgid) return;
  liveGroups.delete(pgid);
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pgid, s);
    } catch {
      // group already gone
    }
  };
  signal('SIGTERM');
  const gone = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (exited() && !groupAlive(pgid)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };
  if (!(await gone(8000))) {
    signal('SIGKILL');
    await Promise.race([exitP, new Promise((r) => setTimeout(r, 3000))]);
    await gone(3000);
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Copies a fixture workspace to a fresh folder (tests edit files). */
export function copyWorkspace(src: string, root: string, name = 'ws'): string {
  const dest = path.join(root, name);
  fs.cpSync(src, dest, { recursive: true });
  return dest;
}
