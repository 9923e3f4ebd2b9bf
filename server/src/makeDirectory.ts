/**
 * `mkdir -p` that cannot hang. Node 20's `fs.mkdir(dir, { recursive: true })`
 * (sync and async) spins forever when a parent exists but refuses children
 * with ENOENT (e.g. XDG_CACHE_HOME=/proc/x), before the CLI can even handle
 * SIGTERM. These create missing parents one level at a time, at most once per
 * level. No imports beyond fs and path: the CLI dispatcher uses this at start-up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function makeDirectorySync(dir: string, mode?: number): void {
  const abs = path.resolve(dir);
  const isDir = () => {
    try {
      return fs.statSync(abs).isDirectory();
    } catch {
      return false;
    }
  };
  try {
    fs.mkdirSync(abs, { mode });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && isDir()) return;
    const parent = path.dirname(abs);
    if (code !== 'ENOENT' || parent === abs) throw err;
    makeDirectorySync(parent, mode);
  }
  // the parent exists now: one more try, no further retries
  try {
    fs.mkdirSync(abs, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !isDir()) throw err;
  }
}

/** makeDirectorySync for async callers (a few mkdir calls at most: not worth a thread-pool round trip each). */
export async function makeDirectory(dir: string, mode?: number): Promise<void> {
  makeDirectorySync(dir, mode);
}
