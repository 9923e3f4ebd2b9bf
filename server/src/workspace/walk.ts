/**
 * Walks directory trees for files that may hold image references (Dockerfiles,
 * Containerfiles, YAML). Shared by `ar-migrate scan` and the language server's
 * workspace scan.
 *
 * - Skips VCS, dependency and build-output directories by default (DEFAULT_SKIP_DIRS).
 * - Follows symlinks, but never visits the same real directory or file twice
 *   (no loops, no duplicates).
 * - Files over `maxFileSize` are reported, not read.
 * - Sorted, deterministic order; cancellable.
 */
import * as fs from 'node:fs/promises';
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
  /** Bytes; larger files are reported in `skipped` and not read. */
  maxFileSize?: number;
  /** Stop after this many candidate files (reported in `skipped`). */
  maxFiles?: number;
  signal?: AbortSignal;
}

export interface WalkedFile {
  /** Absolute path. */
  path: string;
  size: number;
}

export interface WalkProblem {
  path: string;
  message: string;
}

export interface WalkResult {
  files: WalkedFile[];
  /** Files or directories that could not be read or were too large. */
  problems: WalkProblem[];
}

/** Names worth reading: Dockerfile / Containerfile variants and YAML. */
export function isCandidateFile(fileName: string): boolean {
  const base = path.basename(fileName).toLowerCase();
  if (/\.ya?ml$/.test(base)) return true;
  return /(^|[._-])(dockerfile|containerfile)([._-]|$)/.test(base);
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

/**
 * Collects candidate files under `roots` (directories or files; a file given
 * explicitly is always included, whatever its name).
 */
export async function walk(roots: readonly string[], options: WalkOptions = {}): Promise<WalkResult> {
  const skip = new Set(options.skipDirs ?? DEFAULT_SKIP_DIRS);
  const maxSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const maxFiles = options.maxFiles ?? Infinity;
  const excludes = (options.exclude ?? []).map((g) => globToRegExp(g.replace(/^\.\//, '').replace(/\/+$/, '')));
  const files: WalkedFile[] = [];
  const problems: WalkProblem[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  let limitHit = false;

  const addFile = async (p: string, explicit: boolean) => {
    let st: import('node:fs').Stats;
    try {
      st = await fs.stat(p); // follows a symlinked file
    } catch (err) {
      problems.push({ path: p, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (!st.isFile()) return;
    if (!explicit && !isCandidateFile(p)) return;
    const id = `${st.dev}:${st.ino}`; // the same file reached through a link is read once
    if (seenFiles.has(id)) return;
    seenFiles.add(id);
    if (st.size > maxSize) {
      problems.push({ path: p, message: `skipped: ${st.size} bytes, larger than the ${maxSize}-byte limit` });
      return;
    }
    if (files.length >= maxFiles) {
      if (!limitHit) problems.push({ path: p, message: `stopped after ${maxFiles} files (file limit)` });
      limitHit = true;
      return;
    }
    files.push({ path: p, size: st.size });
  };

  const excluded = (root: string, p: string) => {
    if (excludes.length === 0) return false;
    const rel = path.relative(root, p).split(path.sep).join('/');
    return excludes.some((re) => re.test(rel) || re.test(path.basename(p)));
  };

  const walkDir = async (root: string, dir: string): Promise<void> => {
    if (options.signal?.aborted) throw abortError();
    let id: string;
    try {
      const st = await fs.stat(dir);
      id = `${st.dev}:${st.ino}`;
    } catch (err) {
      problems.push({ path: dir, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (seenDirs.has(id)) return; // symlink loop or second link to the same tree
    seenDirs.add(id);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ path: dir, message: `cannot list: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (excluded(root, p)) continue;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = await fs.stat(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) {
        if (!skip.has(e.name)) await walkDir(root, p);
      } else if (isFile && isCandidateFile(e.name)) {
        await addFile(p, false);
      }
    }
  };

  for (const root of roots) {
    if (options.signal?.aborted) throw abortError();
    let st: import('node:fs').Stats;
    try {
      st = await fs.stat(root);
    } catch (err) {
      problems.push({ path: root, message: `cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}` });
      continue;
    }
    if (st.isDirectory()) await walkDir(root, root);
    else await addFile(root, true);
  }
  return { files, problems };
}
