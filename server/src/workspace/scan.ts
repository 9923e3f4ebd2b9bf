/**
 * Scans files on disk: walk -> read -> extract -> analyze. Shared by the CLI
 * (`ar-migrate scan`, and commands built on it) and the language server's
 * `arMigrate/scanWorkspace` request. Never throws on bad files: problems
 * come back in `errors`, naming the file (and line).
 */
import { analyze } from '../analyze';
import { extractReferences } from '../extract';
import type { FileKind, Finding } from '../model';
import type { Policy } from '../references/policy';
import { abortError, readTextFile, walk, WalkOptions } from './walk';

export { readTextFile };

export interface ScannedFile {
  /** Absolute path. */
  path: string;
  fileKind: FileKind;
  findings: Finding[];
  /** The text analysed (with `keepText`). */
  text?: string;
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
  /** Keep each file's text in the result (for rewrites). */
  keepText?: boolean;
  /** Analysis from elsewhere for a path (an editor's open document), instead of reading the disk. */
  override?: (file: string) => (ReturnType<typeof scanText> & { text: string }) | undefined;
  /** Called after each file (progress). */
  onProgress?: (done: number, total: number, file: string) => void;
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
  // Files named on the command line: say why one gave nothing instead of passing over it.
  const explicitFiles = new Set(roots.filter((r) => walked.files.some((f) => f.path === r)));
  let done = 0;
  for (const f of walked.files) {
    if (options.signal?.aborted) throw abortError();
    done++;
    options.onProgress?.(done, walked.files.length, f.path);
    if (done % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve)); // progress, signals, other requests
    const explicit = explicitFiles.has(f.path);
    let r = options.override?.(f.path);
    if (!r) {
      const read = readTextFile(f.path, options.maxFileSize);
      if (!('text' in read)) {
        if ('error' in read) errors.push({ path: f.path, message: read.error });
        else if (explicit) errors.push({ path: f.path, message: 'skipped: binary file' });
        continue;
      }
      r = { ...scanText(f.path, read.text, options.policy), text: read.text };
    }
    if (r.fileKind !== 'unknown') files.push({ path: f.path, fileKind: r.fileKind, findings: r.findings, ...(options.keepText ? { text: r.text } : {}) });
    else if (explicit) errors.push({ path: f.path, message: 'skipped: neither a Dockerfile nor YAML (by name or content)' });
    for (const e of r.errors) errors.push({ path: f.path, line: e.line, message: e.message });
  }
  return { files, errors, filesRead: done };
}
