/**
 * Scans files on disk: walk -> read -> extract -> analyze. Shared by the CLI
 * (`ar-migrate scan`, and commands built on it) and the language server's
 * `arMigrate/scanWorkspace` request. Never throws on bad files: problems
 * come back in `errors`, naming the file (and line).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { analyze } from '../analyze';
import { extractReferences } from '../extract';
import type { ExtractResult, FileKind, Finding } from '../model';
import type { Policy } from '../references/policy';
import { abortError, readTextFile, ReadResult, walk, WalkedFile, WalkOptions } from './walk';

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
  /**
   * Read and extract in worker threads when there are at least
   * PARALLEL_MIN_FILES files: `true` for os.availableParallelism() - 1 workers
   * (the main thread works too), or a number of workers. Needs the worker
   * bundle (dist/scanWorker.js, or `workerScript`); without it the scan runs
   * in this thread. The result is the same either way.
   */
  parallel?: boolean | number;
  /** The worker script (default: scanWorker.js next to this bundle or one directory up). */
  workerScript?: string;
}

/** Fewer files than this are scanned in the calling thread (workers cost ~100 ms to start). */
export const PARALLEL_MIN_FILES = 500;
/** Files per message to a worker. */
const BATCH = 16;

/** @internal Worker protocol (scanWorker.ts). */
export interface WorkerRequest {
  batch: number;
  files: string[];
}
/** @internal */
export type WorkerFileResult = Exclude<ReadResult, { text: string }> | { text: string; extracted: ExtractResult } | { text: string; thrown: string };
/** @internal */
export interface WorkerResponse {
  batch: number;
  results: WorkerFileResult[];
}

type FileScan = ReturnType<typeof scanText>;

function internalError(err: unknown): FileScan {
  return { fileKind: 'unknown', findings: [], errors: [{ line: 0, message: `internal error while reading image references: ${(err as Error)?.message ?? err}` }] };
}

/** Extraction result + policy -> findings (the second half of scanText). */
function analyzeExtracted(r: ExtractResult, text: string, policy: Policy): FileScan {
  try {
    return { fileKind: r.fileKind, findings: analyze(r.references, policy, text, r.fileKind), errors: r.errors };
  } catch (err) {
    return internalError(err);
  }
}

/** Scans one document's text (already in memory). */
export function scanText(fileName: string, text: string, policy: Policy): { fileKind: FileKind; findings: Finding[]; errors: { line: number; message: string }[] } {
  let r: ExtractResult;
  try {
    r = extractReferences(fileName, text);
  } catch (err) {
    return internalError(err);
  }
  return analyzeExtracted(r, text, policy);
}

/** What one file gave: a read problem, or the scan of its text. */
type FileOutcome = { read: Exclude<ReadResult, { text: string }> } | { scan: FileScan & { text: string } } | { crashed: string };

/** The worker bundle, when there is one. */
function findWorkerScript(explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : [path.join(__dirname, 'scanWorker.js'), path.join(__dirname, '..', 'scanWorker.js')];
  return candidates.find((c) => fs.existsSync(c));
}

function workerCount(parallel: boolean | number | undefined, files: number): number {
  if (!parallel || files < PARALLEL_MIN_FILES) return 0;
  if (typeof parallel === 'number') return Math.max(0, Math.floor(parallel));
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(0, cores - 1);
}

export async function scanPaths(roots: readonly string[], options: ScanOptions): Promise<ScanResult> {
  const walked = await walk(roots, options);
  const files: ScannedFile[] = [];
  const errors: ScanError[] = walked.problems.map((p) => ({ path: p.path, message: p.message }));
  // Files named on the command line: say why one gave nothing instead of passing over it.
  const explicitFiles = new Set(roots.filter((r) => walked.files.some((f) => f.path === r)));
  const record = (f: WalkedFile, o: FileOutcome) => {
    const explicit = explicitFiles.has(f.path);
    if ('crashed' in o) {
      errors.push({ path: f.path, message: o.crashed });
      return;
    }
    if ('read' in o) {
      if ('error' in o.read) errors.push({ path: f.path, message: o.read.error });
      else if (explicit) errors.push({ path: f.path, message: 'skipped: binary file' });
      return;
    }
    const r = o.scan;
    if (r.fileKind !== 'unknown') files.push({ path: f.path, fileKind: r.fileKind, findings: r.findings, ...(options.keepText ? { text: r.text } : {}) });
    else if (explicit) errors.push({ path: f.path, message: 'skipped: neither a Dockerfile nor YAML (by name or content)' });
    for (const e of r.errors) errors.push({ path: f.path, line: e.line, message: e.message });
  };
  const scanHere = (f: WalkedFile): FileOutcome => {
    const r = options.override?.(f.path);
    if (r) return { scan: r };
    const read = readTextFile(f.path, options.maxFileSize);
    if (!('text' in read)) return { read };
    return { scan: { ...scanText(f.path, read.text, options.policy), text: read.text } };
  };

  // Workers read from disk: not with documents held elsewhere (`override`).
  const nWorkers = options.override ? 0 : workerCount(options.parallel, walked.files.length);
  const script = nWorkers > 0 ? findWorkerScript(options.workerScript) : undefined;
  if (script) {
    const outcomes = await scanParallel(walked.files, script, nWorkers, options, scanHere);
    walked.files.forEach((f, i) => record(f, outcomes[i]));
    return { files, errors, filesRead: walked.files.length };
  }

  let done = 0;
  for (const f of walked.files) {
    if (options.signal?.aborted) throw abortError();
    done++;
    options.onProgress?.(done, walked.files.length, f.path);
    if (done % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve)); // progress, signals, other requests
    record(f, scanHere(f));
  }
  return { files, errors, filesRead: done };
}

/**
 * Reads and extracts `files` in `nWorkers` worker threads plus this one
 * (batches from one queue), applying the policy here. Outcomes come back in
 * file order, whatever finished first. Cancellable; a worker that dies costs
 * an error naming the file it was on, and its other files are scanned again.
 */
async function scanParallel(
  list: WalkedFile[],
  script: string,
  nWorkers: number,
  options: ScanOptions,
  scanHere: (f: WalkedFile) => FileOutcome,
): Promise<FileOutcome[]> {
  const outcomes: (FileOutcome | undefined)[] = new Array(list.length);
  const queue: number[][] = [];
  for (let i = 0; i < list.length; i += BATCH) queue.push(Array.from({ length: Math.min(BATCH, list.length - i) }, (_, k) => i + k));
  let done = 0;
  const settle = (i: number, o: FileOutcome) => {
    outcomes[i] = o;
    done++;
    options.onProgress?.(done, list.length, list[i].path);
  };

  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onAbort = () => poke();
  options.signal?.addEventListener('abort', onAbort);

  interface Slot {
    worker: Worker;
    current: Int32Array;
    inFlight?: number[];
    dead: boolean;
    /** Said it is ready (a worker that fails to load was on no file). */
    online: boolean;
  }
  const slots: Slot[] = [];
  let batchId = 0;
  const inFlight = new Map<number, { slot: Slot; idx: number[] }>();
  const dispatch = (slot: Slot) => {
    if (slot.dead || slot.inFlight) return;
    const idx = queue.shift();
    if (!idx) return;
    const id = batchId++;
    slot.inFlight = idx;
    inFlight.set(id, { slot, idx });
    const req: WorkerRequest = { batch: id, files: idx.map((i) => list[i].path) };
    slot.worker.postMessage(req);
  };
  const lost = (slot: Slot, why: string) => {
    if (slot.dead) return;
    slot.dead = true;
    const idx = slot.inFlight;
    slot.inFlight = undefined;
    for (const [id, b] of inFlight) if (b.slot === slot) inFlight.delete(id);
    if (idx && !slot.online) queue.unshift(idx);
    else if (idx) {
      const at = Math.min(Math.max(Atomics.load(slot.current, 0), 0), idx.length - 1);
      settle(idx[at], { crashed: `internal error: the scan stopped while reading this file (${why}); its image references are not listed` });
      const rest = idx.filter((_, k) => k !== at);
      if (rest.length) queue.unshift(rest);
    }
    poke();
  };

  try {
    for (let n = 0; n < nWorkers && queue.length > 0; n++) {
      const current = new SharedArrayBuffer(4);
      let worker: Worker;
      try {
        worker = new Worker(script, { workerData: { maxFileSize: options.maxFileSize, current } });
      } catch {
        break; // no workers: this thread does it all
      }
      const slot: Slot = { worker, current: new Int32Array(current), dead: false, online: false };

      slots.push(slot);
      worker.on('message', (m: WorkerResponse | { ready: true }) => {
        if ('ready' in m) {
          slot.online = true;
          return;
        }
        const b = inFlight.get(m.batch);
        if (!b) return;
        inFlight.delete(m.batch);
        slot.inFlight = undefined;
        b.idx.forEach((i, k) => {
          const r = m.results[k];
          if (!r) settle(i, scanHere(list[i]));
          else if (!('text' in r)) settle(i, { read: r });
          else if ('thrown' in r) settle(i, { scan: { ...internalError(r.thrown), text: r.text } });
          else settle(i, { scan: { ...analyzeExtracted(r.extracted, r.text, options.policy), text: r.text } });
        });
        dispatch(slot);
        poke();
      });
      worker.on('error', (err) => lost(slot, `worker error: ${err?.message ?? err}`));
      worker.on('exit', (code) => lost(slot, `worker exited with code ${code}`));
      dispatch(slot);
    }
    // This thread takes batches too, and waits for the workers once the queue is empty.
    while (done < list.length) {
      if (options.signal?.aborted) throw abortError();
      const idx = queue.shift();
      if (idx) {
        for (const i of idx) settle(i, scanHere(list[i]));
        await new Promise<void>((resolve) => setImmediate(resolve)); // worker messages, signals, other requests
        continue;
      }
      if (slots.every((s) => s.dead) && inFlight.size === 0 && queue.length === 0 && done < list.length) {
        // Nothing in flight and nothing queued, yet files missing: scan them here.
        for (let i = 0; i < list.length; i++) if (!outcomes[i]) settle(i, scanHere(list[i]));
        break;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    return outcomes as FileOutcome[];
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const s of slots) {
      s.dead = true;
      void s.worker.terminate();
    }
  }
}
