// Small helpers shared by the test servers: free ports, temp dirs, and cleanup of
// child processes and temp dirs when the test process exits.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';

/** Ask the kernel for a free TCP port on `host` (listen on port 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True if a socket can bind to `host` (e.g. 127.0.0.2). */
export function canBind(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port: 0 }, () => srv.close(() => resolve(true)));
  });
}

const liveDirs = new Set<string>();
const liveGroups = new Set<number>();
let hooked = false;

function cleanupSync(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveGroups.clear();
  for (const d of liveDirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  liveDirs.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupSync();
      process.kill(process.pid, sig);
    });
  }
}

/** Fresh temp dir under the OS tmpdir, removed on process exit unless removed earlier. */
export function makeTempDir(prefix: string): string {
  hookExit();
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  liveDirs.add(d);
  return d;
}

export function removeTempDir(d: string): void {
  liveDirs.delete(d);
  fs.rmSync(d, { recursive: true, force: true });
}

/**
 * Track a child started with `detached: true` (its own process group). The whole group is
 * SIGKILLed on process exit. Returns a function that kills it now and stops tracking.
 */
export function trackProcessGroup(child: ChildProcess): () => void {
  hookExit();
  const pid = child.pid;
  if (pid === undefined) return () => {};
  liveGroups.add(pid);
  return () => {
    liveGroups.delete(pid);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
}

/** Poll `fn` until it returns true or `timeoutMs` passes. */
export async function waitFor(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}
