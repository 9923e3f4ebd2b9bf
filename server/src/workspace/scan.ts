/**
 * Scans files on disk: walk -> read -> extract -> analyze. Shared by the CLI
 * (`ar-migrate scan`, and commands built on it) and the language server's
 * `arMigrate/scanWorkspace` request. Never throws on bad files: problems
 * come back in `errors`, naming the file (and line).
 */
import * as fs from 'node:fs/promises';
import { analyze } from '../analyze';
import { extractReferences } from '../extract';
import type { FileKind, Finding } from '../model';
import type { Policy } from '../references/policy';
import { walk, WalkOptions } from './walk';

export interface ScannedFile {
  /** Absolute path. */
  path: string;
  fileKind: FileKind;
  findings: Finding[];
}

export interface ScanError {
  /** Absolute path. */
  path: string;
  /** 0-based line, or undefined for the whole file. */
  line?: number;
  message: string;
}

export interface ScanResult {
  /** Files that were read and recognised (Dockerfile or YAML), in walk order. */
  files: ScannedFile[];
  errors: ScanError[];
  /** Candidate files read (including ones found to hold no references). */
  filesRead: number;
}

export interface ScanOptions extends WalkOptions {
  policy: Policy;
  /** Called after each file (progress). */
  onProgress?: (done: number, total: number, file: string) => void;
}

const READ_CONCURRENCY = 16;

/** Reads a candidate file as UTF-8; binary files (a NUL byte near the start) come back as `binary`. */
export async function readTextFile(file: string): Promise<{ text: string } | { binary: true } | { error: string }> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (err) {
    return { error: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (buf.subarray(0, 8000).includes(0)) return { binary: true };
  return { text: buf.toString('utf8') };
}

/** Scans one document's text (already in memory). */
export function scanText(fileName: string, text: string, policy: Policy): { fileKind: FileKind; findings: Finding[]; errors: { line: number; message: string }[] } {
  try {
    const r = extractReferences(fileName, text);
    return { fileKind: r.fileKind, findings: analyze(r.references, policy, text, r.fileKind), errors: r.errors };
  } catch (err) {
    return { fileKind: 'unknown', findings: [], errors: [{ line: 0, message: `internal error while reading image references: ${(err as Error)?.message ?? err}` }] };
  }
}

export async function scanPaths(roots: readonly string[], options: ScanOptions): Promise<ScanResult> {
  const walked = await walk(roots, options);
  const files: ScannedFile[] = [];
  const errors: ScanError[] = walked.problems.map((p) => ({ path: p.path, message: p.message }));
  // Read with bounded concurrency; results keep the walk order.
  const slots: ({ file: ScannedFile; errors: ScanError[] } | { file?: undefined; errors: ScanError[] })[] = new Array(walked.files.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < walked.files.length) {
      if (options.signal?.aborted) {
        const e = new Error('cancelled');
        e.name = 'AbortError';
        throw e;
      }
      const i = next++;
      const f = walked.files[i];
      const read = await readTextFile(f.path);
      done++;
      options.onProgress?.(done, walked.files.length, f.path);
      if (!('text' in read)) {
        slots[i] = { errors: 'error' in read ? [{ path: f.path, message: read.error }] : [] };
        continue;
      }
      const r = scanText(f.path, read.text, options.policy);
      const errs = r.errors.map((e) => ({ path: f.path, line: e.line, message: e.message }));
      slots[i] = r.fileKind === 'unknown' ? { errors: errs } : { file: { path: f.path, fileKind: r.fileKind, findings: r.findings }, errors: errs };
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, walked.files.length) }, worker));
  for (const s of slots) {
    if (!s) continue;
    if (s.file) files.push(s.file);
    errors.push(...s.errors);
  }
  return { files, errors, filesRead: done };
}
