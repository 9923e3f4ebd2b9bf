/**
 * Walks directory trees for files that may hold image references (Dockerfiles,
 * Containerfiles, YAML). Shared by `ar-migrate scan` and the language server's
 * workspace scan.
 *
 * - Skips VCS, dependency and build-output directories by default (DEFAULT_SKIP_DIRS).
 * - Follows symlinks, but never visits the same real directory or file twice
 *   (no loops, no duplicates): a link to a directory or file inside a root
 *   is not followed (the walk reaches it under its own name), a link out of
 *   the roots is followed once. Plain directories are never stat-ed (a
 *   loop needs a symlink), which keeps the walk to one readdir per directory.
 * - Files over `maxFileSize` are reported, not read.
 * - Sorted, deterministic order; cancellable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { globToRegExp } from '../references/policy';

export const DEFAULT_SKIP_DIRS = [
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  'bower_components',
  'vendor',
  'dist',
  'out',
  'target',
  '.terraform',
  '.venv',
  'venv',
  '.tox',
  '__pycache__',
  '.next',
  '.nuxt',
  '.cache',
  '.gradle',
  '.idea',
  '.vscode-test',
];
export const DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024;

export interface WalkOptions {
  /** Directory names to skip (replaces the default list). */
  skipDirs?: readonly string[];
  /** Globs over the path relative to the walk root (`/` separators) to exclude, e.g. `test/**`, `**\/fixtures`. */
  exclude?: readonly string[];
  /** Bytes; larger files are reported (by readTextFile / scanPaths) and not read. */
  maxFileSize?: number;
  /** Stop after this many candidate files (reported in `problems`). */
  maxFiles?: number;
  signal?: AbortSignal;
  /** Called for each file as it is found, in walk order (before the walk is over). */
  onFile?: (file: WalkedFile) => void;
}

export interface WalkedFile {
  /** Path under the root it was found in (absolute when the root is). */
  path: string;
}

export interface WalkProblem {
  path: string;
  message: string;
}

export interface WalkResult {
  files: WalkedFile[];
  /** Files or directories that could not be read. */
  problems: WalkProblem[];
}

/** Names worth reading: Dockerfile / Containerfile variants and YAML. */
export function isCandidateFile(fileName: string): boolean {
  const base = path.basename(fileName).toLowerCase();
  // Cheap pre-check: every candidate ends in "ml" or holds "file".
  if (!base.endsWith('ml') && !base.includes('file')) return false;
  if (/\.ya?ml$/.test(base)) return true;
  return /(^|[._-])(dockerfile|containerfile)([._-]|$)/.test(base);
}

/** The error a cancelled walk or scan throws (name AbortError, message "cancelled"). */
export function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? (err as Error)?.message ?? String(err);
}

const YIELD_EVERY = 256;

/**
 * path.join(dir, name) for a directory entry: below the root, `dir` is
 * already normalised (a path.join result) and `name` holds no separator, so
 * plain concatenation gives the same string, much cheaper.
 */
function child(dir: string, name: string, normalized: boolean): string {
  if (!normalized) return path.join(dir, name);
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Collects candidate files under `roots` (directories or files; a file given
 * explicitly is always included, whatever its name). Uses synchronous
 * directory reads (far cheaper than a thread-pool round trip per entry) and
 * yields to the event loop now and then, so a language server stays
 * responsive and `signal` is honoured.
 */
export async function walk(roots: readonly string[], options: WalkOptions = {}): Promise<WalkResult> {
  const skip = new Set(options.skipDirs ?? DEFAULT_SKIP_DIRS);
  const maxFiles = options.maxFiles ?? Infinity;
  const excludes = (options.exclude ?? []).map((g) => globToRegExp(g.replace(/^\.\//, '').replace(/\/+$/, '')));
  const files: WalkedFile[] = [];
  const problems: WalkProblem[] = [];
  /** Real paths of the directories followed through symlinks (each walked once). */
  const followed: string[] = [];
  const followedSet = new Set<string>();
  const seenFiles = new Set<string>();
  let limitHit = false;
  let work = 0;

  const realRoots: string[] = [];
  const under = (real: string, dirs: readonly string[]) => dirs.some((r) => real === r || real.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  const insideRoots = (real: string) => under(real, realRoots);

  const addFile = (p: string) => {
    if (files.length >= maxFiles) {
      if (!limitHit) problems.push({ path: p, message: `stopped after ${maxFiles} files (file limit)` });
      limitHit = true;
      return;
    }
    const f = { path: p };
    files.push(f);
    options.onFile?.(f);
  };

  const excluded = (root: string, p: string) => {
    if (excludes.length === 0) return false;
    const rel = path.relative(root, p).split(path.sep).join('/');
    return excludes.some((re) => re.test(rel) || re.test(path.basename(p)));
  };

  /**
   * `real`: the directory's real path, tracked only below a followed symlink (there a
   * plain subdirectory may be a root or an ancestor of one, e.g. a link to `..`).
   */
  const walkDir = async (root: string, dir: string, normalized = false, real?: string): Promise<void> => {
    if (++work % YIELD_EVERY === 0) await yieldToLoop();
    if (options.signal?.aborted) throw abortError();
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ path: dir, message: `cannot list: ${reason(err)}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.isDirectory()) {
        if (skip.has(e.name)) continue;
        const p = child(dir, e.name, normalized);
        if (excluded(root, p)) continue;
        if (real === undefined) await walkDir(root, p, true);
        else {
          const r = real.endsWith(path.sep) ? real + e.name : real + path.sep + e.name;
          // A root (or one inside it), or a tree already followed through another link.
          if (!insideRoots(r) && !followedSet.has(r)) await walkDir(root, p, true, r);
        }
      } else if (e.isFile()) {
        if (isCandidateFile(e.name)) {
          const p = child(dir, e.name, normalized);
          if (!excluded(root, p)) addFile(p);
        }
      } else if (e.isSymbolicLink()) {
        const p = child(dir, e.name, normalized);
        if (excluded(root, p)) continue;
        let st: fs.Stats;
        let target: string;
        try {
          st = fs.statSync(p);
          target = fs.realpathSync(p);
        } catch {
          continue; // dangling link
        }
        if (st.isDirectory()) {
          // Inside a root: walked under its own name. Already followed (or inside such a tree):
          // a second link or a loop.
          if (skip.has(e.name) || insideRoots(target) || under(target, followed)) continue;
          followed.push(target);
          followedSet.add(target);
          await walkDir(root, p, true, target);
        } else if (st.isFile() && isCandidateFile(e.name)) {
          // A link to a file inside the tree: the file itself is read (once).
          if (insideRoots(target) || seenFiles.has(target)) continue;
          seenFiles.add(target);
          addFile(p);
        }
      }
    }
  };

  for (const root of roots) {
    try {
      realRoots.push(fs.realpathSync(root));
    } catch {
      /* reported below */
    }
  }
  for (const root of roots) {
    if (options.signal?.aborted) throw abortError();
    let st: fs.Stats;
    try {
      st = fs.statSync(root);
    } catch (err) {
      problems.push({ path: root, message: `cannot read: ${reason(err)}` });
      continue;
    }
    if (st.isDirectory()) await walkDir(root, root);
    else if (st.isFile()) addFile(root);
  }
  return { files, problems };
}

export type ReadResult = { text: string } | { binary: true } | { error: string };

/** A file with a NUL byte in its first this many bytes is binary (the language server applies the same test). */
export const BINARY_PROBE_BYTES = 8000;

/** Reused read buffer (files are decoded to strings before the next read). */
let readBuffer: Buffer | undefined;
const READ_CHUNK = 256 * 1024;

/**
 * Reads a file as UTF-8: open, read into a reused buffer, close (synchronous:
 * cheap per file; callers yield between files). No stat: files over `maxSize`
 * are noticed by reading one byte more than that, and reported, not returned;
 * binary files (a NUL byte near the start) come back as `binary`. Opened
 * non-blocking, so a FIFO or device put where a file was never hangs the scan.
 */
export function readTextFile(file: string, maxSize = DEFAULT_MAX_FILE_SIZE): ReadResult {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const limit = maxSize + 1;
    let buf = (readBuffer ??= Buffer.allocUnsafe(READ_CHUNK));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, limit));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const r = fs.readSync(fd, buf, n, Math.min(buf.length, limit) - n, null);
      if (r === 0) break;
      n += r;
      if (n >= limit) {
        const st = fs.fstatSync(fd);
        return { error: `skipped: ${st.size} bytes, larger than the ${maxSize}-byte limit` };
      }
    }
    const data = buf.subarray(0, n);
    if (data.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { binary: true };
    return { text: data.toString('utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'EISDIR' || code === 'EAGAIN' || code === 'EWOULDBLOCK') return { error: 'not a regular file' };
    return { error: `cannot read: ${reason(err)}` };
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
  }
}
