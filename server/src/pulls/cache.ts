/**
 * Disk cache of pull counts: one JSON file per source (and window length),
 * with the window and the time of the query. Failing to read or write the
 * cache never fails a caller.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeDirectory } from '../makeDirectory';
import { PullCounts } from './counts';

export interface CacheFile {
  version: 1;
  /** Identity of the source + options the counts depend on. */
  key: string;
  /** ISO time the counts were fetched. */
  fetchedAt: string;
  counts: PullCounts;
}

/** Default cache directory: $XDG_CACHE_HOME/ar-migrate or ~/.cache/ar-migrate. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir() || os.tmpdir(), '.cache');
  return path.join(base, 'ar-migrate');
}

export function cachePath(dir: string, key: string): string {
  const h = crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
  return path.join(dir, `pulls-${h}.json`);
}

export async function readCache(dir: string, key: string): Promise<CacheFile | undefined> {
  try {
    const text = await fs.promises.readFile(cachePath(dir, key), 'utf8');
    const c = JSON.parse(text) as CacheFile;
    if (c?.version !== 1 || c.key !== key || !c.counts || typeof c.fetchedAt !== 'string' || !Number.isFinite(Date.parse(c.fetchedAt))) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

/** Why a file system call failed, in words (no raw errno text). */
function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist and cannot be created there';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EEXIST':
      return 'it exists and is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return code ?? (err as Error)?.message ?? String(err);
  }
}

/**
 * Writes atomically (temp file + rename). Returns a warning naming the
 * directory instead of throwing; the caller goes on without the cache.
 */
export async function writeCache(dir: string, key: string, counts: PullCounts, fetchedAt: string): Promise<string | undefined> {
  const file = cachePath(dir, key);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await makeDirectory(dir);
  } catch (err) {
    return `cannot use ${dir} as the pull count cache directory (${reason(err)}); pull counts are not cached`;
  }
  try {
    const body: CacheFile = { version: 1, key, fetchedAt, counts };
    await fs.promises.writeFile(tmp, JSON.stringify(body));
    await fs.promises.rename(tmp, file);
    return undefined;
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    return `cannot write the pull count cache in ${dir} (${reason(err)}); pull counts are not cached`;
  }
}

export function cacheExists(dir: string, key: string): boolean {
  try {
    return fs.statSync(cachePath(dir, key)).isFile();
  } catch {
    return false;
  }
}
