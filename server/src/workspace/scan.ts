/**
 * Scans files on disk: walk -> read -> extract -> analyze. Shared by the CLI
 * (`ar-migrate scan`, and commands built on it) and the language server's
 * `arMigrate/scanWorkspace` request. Never throws on bad files: problems
 * come back in `errors`, naming the file (and line).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { analyze } from '../analyze';
import { extractReferences } from '../extract';
import type { ExtractResult, FileKind, Finding } from '../model';
import type { Policy } from '../references/policy';
import { takePrestartedIo } from './ioPrestart';
import { abortError, readTextFile, ReadResult, walk, WalkedFile, WalkOptions, WalkProblem } from './walk';

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
   * Use other threads; the result is the same either way.
   * - `true`: one I/O thread walks the tree and reads the files (directory
   *   listing and file reads are a third of a scan) while this thread
   *   extracts as the texts arrive. Needs dist/scanIoWorker.js (or
   *   `ioWorkerScript`); without it, or if that thread fails, the scan runs in
   *   this thread.
   * - a number N >= 1: N worker threads read and extract too, once the walk
   *   (in this thread) has found PARALLEL_MIN_FILES files. Each worker loads
   *   and warms up the extractors, which pays off only with cores to spare:
   *   on 2 cores it cost more CPU than it saved. Needs dist/scanWorker.js (or
   *   `workerScript`).
   */
  parallel?: boolean | number;
  /** The extraction worker script (default: scanWorker.js next to this bundle or one directory up). */
  workerScript?: string;
  /** The I/O thread's script (default: scanIoWorker.js next to this bundle or one directory up). */
  ioWorkerScript?: string;
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
/** @internal The worker's scan of one file (`text` only with `keepText`). */
export type WorkerFileResult = Exclude<ReadResult, { text: string }> | { scan: FileScan; text?: string };
/** @internal */
export interface WorkerResponse {
  batch: number;
  results: WorkerFileResult[];
}

type FileScan = ReturnType<typeof scanText>;

function internalError(err: unknown): FileScan {
  return { fileKind: 'unknown', findings: [], errors: [{ line: 0, message: `internal error while reading image references: ${(err as Error)?.message ?? err}` }] };
}

/** Scans one document's text (already in memory). */
export function scanText(fileName: string, text: string, policy: Policy): { fileKind: FileKind; findings: Finding[]; errors: { line: number; message: string }[] } {
  let r: ExtractResult;
  try {
    r = extractReferences(fileName, text);
    return { fileKind: r.fileKind, findings: analyze(r.references, policy, text, r.fileKind), errors: r.errors };
  } catch (err) {
    return internalError(err);
  }
}

/** What one file gave: a read problem, or the scan of its text. */
type FileOutcome = { read: Exclude<ReadResult, { text: string }> } | { scan: FileScan & { text?: string } } | { crashed: string };

/** A worker bundle (`name` next to this bundle or one directory up), when there is one. */
function findScript(name: string, explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : [path.join(__dirname, name), path.join(__dirname, '..', name)];
  return candidates.find((c) => fs.existsSync(c));
}

function workerCount(parallel: boolean | number | undefined): number {
  return typeof parallel === 'number' ? Math.max(0, Math.floor(parallel)) : 0;
}

/** Files and problems collected in walk order (shared by every way of scanning). */
class Results {
  readonly files: ScannedFile[] = [];
  readonly fileErrors: ScanError[] = [];
  private readonly roots: Set<string>;
  constructor(
    roots: readonly string[],
    private readonly keepText: boolean | undefined,
  ) {
    this.roots = new Set(roots);
  }

  record(f: WalkedFile, o: FileOutcome): void {
    const { files, fileErrors: errors } = this;
    // A file named on the command line (a root that is a file): say why it gave nothing instead of passing over it.
    const explicit = this.roots.has(f.path);
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
    if (r.fileKind !== 'unknown') files.push({ path: f.path, fileKind: r.fileKind, findings: r.findings, ...(this.keepText ? { text: r.text } : {}) });
    else if (explicit) errors.push({ path: f.path, message: 'skipped: neither a Dockerfile nor YAML (by name or content)' });
    for (const e of r.errors) errors.push({ path: f.path, line: e.line, message: e.message });
  }

  /** The scan result: walk problems first, then each file's problems in walk order. */
  result(problems: readonly WalkProblem[], filesRead: number): ScanResult {
    return { files: this.files, errors: [...problems.map((p) => ({ path: p.path, message: p.message })), ...this.fileErrors], filesRead };
  }
}

export async function scanPaths(roots: readonly string[], options: ScanOptions): Promise<ScanResult> {
  const scanHere = (f: WalkedFile): FileOutcome => {
    const r = options.override?.(f.path);
    if (r) return { scan: r };
    return scanRead(f.path, readTextFile(f.path, options.maxFileSize), options);
  };
  // Extraction workers read from disk: not with documents held elsewhere (`override`). They start
  // once the walk has found PARALLEL_MIN_FILES files and take batches while it goes on.
  const nWorkers = options.override ? 0 : workerCount(options.parallel);
  if (options.parallel === true) {
    const io = findScript('scanIoWorker.js', options.ioWorkerScript);
    const viaIo = io ? await scanWithIoThread(roots, options, io) : undefined;
    if (viaIo) return viaIo;
  }
  const script = nWorkers > 0 ? findScript('scanWorker.js', options.workerScript) : undefined;
  const pool = script ? new ScanPool(script, nWorkers, options, scanHere) : undefined;
  let walked: Awaited<ReturnType<typeof walk>>;
  try {
    walked = await walk(roots, pool ? { ...options, onFile: (f) => pool.add(f) } : options);
  } catch (err) {
    pool?.close();
    throw err;
  }
  const results = new Results(roots, options.keepText);

  if (pool?.started) {
    const outcomes = await pool.finish();
    walked.files.forEach((f, i) => results.record(f, outcomes[i]));
    return results.result(walked.problems, walked.files.length);
  }
  pool?.close();

  let done = 0;
  for (const f of walked.files) {
    if (options.signal?.aborted) throw abortError();
    done++;
    options.onProgress?.(done, walked.files.length, f.path);
    if (done % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve)); // progress, signals, other requests
    results.record(f, scanHere(f));
  }
  return results.result(walked.problems, done);
}

/** A file's outcome from what reading it gave. */
function scanRead(file: string, read: ReadResult, options: ScanOptions): FileOutcome {
  if (!('text' in read)) return { read };
  const scan = scanText(file, read.text, options.policy);
  return { scan: options.keepText ? { ...scan, text: read.text } : scan };
}

/** @internal Messages of the I/O thread (scanIoWorker.ts). */
export type IoWorkerMessage = { files: string[]; reads: ReadResult[] } | { done: true; problems: WalkProblem[] } | { failed: string };
/** @internal */
export interface IoWorkerData {
  roots: string[];
  skipDirs?: string[];
  exclude?: string[];
  maxFiles?: number;
  maxFileSize?: number;
}

/**
 * `parallel: true`: the I/O thread walks and reads, in walk order; this thread
 * extracts each batch as it arrives. Giving that thread some of the extraction
 * as well (the Dockerfiles, or the end of the walk) was measured slower on 2
 * cores: the two threads then slow each other down. Undefined when that
 * thread cannot do the job (failed to start, died): the caller then scans in
 * this thread, so a result is never partial.
 */
async function scanWithIoThread(roots: readonly string[], options: ScanOptions, script: string): Promise<ScanResult | undefined> {
  const data: IoWorkerData = {
    roots: [...roots],
    skipDirs: options.skipDirs ? [...options.skipDirs] : undefined,
    exclude: options.exclude ? [...options.exclude] : undefined,
    maxFiles: Number.isFinite(options.maxFiles) ? options.maxFiles : undefined,
    maxFileSize: options.maxFileSize,
  };
  let worker = takePrestartedIo(script);
  try {
    if (worker) worker.postMessage(data);
    else worker = new Worker(script, { workerData: data });
  } catch {
    void worker?.terminate();
    return undefined;
  }
  const inbox: IoWorkerMessage[] = [];
  let lost = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: IoWorkerMessage) => {
    inbox.push(m);
    poke();
  });
  worker.on('error', () => {
    lost = true;
    poke();
  });
  worker.on('exit', () => {
    lost = true;
    poke();
  });
  options.signal?.addEventListener('abort', poke);
  const results = new Results(roots, options.keepText);
  let seen = 0;
  let done = 0;
  try {
    for (;;) {
      if (options.signal?.aborted) throw abortError();
      const m = inbox.shift();
      if (!m) {
        if (lost) return undefined;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if ('failed' in m) return undefined;
      if ('done' in m) return results.result(m.problems, done);
      seen += m.files.length;
      for (let i = 0; i < m.files.length; i++) {
        const file = m.files[i];
        const r = options.override?.(file);
        results.record({ path: file }, r ? { scan: r } : scanRead(file, m.reads[i], options));
        done++;
        options.onProgress?.(done, seen, file);
      }
      // Progress, signals and other requests between batches.
      if (inbox.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    options.signal?.removeEventListener('abort', poke);
    void worker.terminate();
  }
}

/** Batches queued at a worker at once: it starts the next one without waiting for this thread. */
const DEPTH = 3;

interface Slot {
  worker: Worker;
  /** [index in batch, batch number] of the file the worker is on. */
  current: Int32Array;
  /** Batch numbers sent and not answered, oldest first. */
  inFlight: number[];
  dead: boolean;
  /** Said it is ready (a worker that fails to load was on no file). */
  ready: boolean;
}

/**
 * Reads and extracts files in worker threads, and in this thread once the
 * walk is over (batches from one queue); the policy is applied here.
 * Outcomes come back in walk order, whatever finished first. Cancellable; a
 * worker that dies costs an error naming the file it was on, and its other
 * files are scanned again.
 */
class ScanPool {
  started = false;
  private readonly list: WalkedFile[] = [];
  private readonly outcomes: (FileOutcome | undefined)[] = [];
  private readonly queue: number[][] = [];
  private pending: number[] = [];
  private readonly slots: Slot[] = [];
  private readonly batches = new Map<number, { slot: Slot; idx: number[] }>();
  private batchId = 0;
  private done = 0;
  private walkDone = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly script: string,
    private readonly nWorkers: number,
    private readonly options: ScanOptions,
    private readonly scanHere: (f: WalkedFile) => FileOutcome,
  ) {}

  /** A file found by the walk (in walk order). */
  add(f: WalkedFile): void {
    this.pending.push(this.list.length);
    this.list.push(f);
    if (this.pending.length === BATCH) {
      this.queue.push(this.pending);
      this.pending = [];
    }
    if (!this.started && this.list.length >= PARALLEL_MIN_FILES) this.start();
    else if (this.started && this.queue.length) for (const s of this.slots) this.dispatch(s);
  }

  private start(): void {
    this.started = true;
    for (let n = 0; n < this.nWorkers; n++) {
      const current = new SharedArrayBuffer(8);
      let worker: Worker;
      try {
        worker = new Worker(this.script, {
          workerData: { maxFileSize: this.options.maxFileSize, policy: this.options.policy.options, keepText: Boolean(this.options.keepText), current },
          // A larger young generation: far fewer scavenges for the many short-lived parse nodes.
          resourceLimits: { maxYoungGenerationSizeMb: 48 },
        });
      } catch {
        break; // no workers: this thread does it all
      }
      const slot: Slot = { worker, current: new Int32Array(current), inFlight: [], dead: false, ready: false };
      this.slots.push(slot);
      worker.on('message', (m: WorkerResponse | { ready: true }) => this.onMessage(slot, m));
      worker.on('error', (err) => this.lost(slot, `worker error: ${err?.message ?? err}`));
      worker.on('exit', (code) => this.lost(slot, `worker exited with code ${code}`));
      this.dispatch(slot);
    }
  }

  private settle(i: number, o: FileOutcome): void {
    this.outcomes[i] = o;
    this.done++;
    // The total is known once the walk is over.
    if (this.walkDone) this.options.onProgress?.(this.done, this.list.length, this.list[i].path);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private dispatch(slot: Slot): void {
    while (!slot.dead && slot.inFlight.length < DEPTH) {
      const idx = this.queue.shift();
      if (!idx) return;
      const id = this.batchId++;
      slot.inFlight.push(id);
      this.batches.set(id, { slot, idx });
      const req: WorkerRequest = { batch: id, files: idx.map((i) => this.list[i].path) };
      slot.worker.postMessage(req);
    }
  }

  private onMessage(slot: Slot, m: WorkerResponse | { ready: true }): void {
    if ('ready' in m) {
      slot.ready = true;
      return;
    }
    const b = this.batches.get(m.batch);
    if (!b || slot.dead) return;
    this.batches.delete(m.batch);
    slot.inFlight = slot.inFlight.filter((id) => id !== m.batch);
    b.idx.forEach((i, k) => {
      const r = m.results[k];
      if (!r) this.settle(i, this.scanHere(this.list[i]));
      else if (!('scan' in r)) this.settle(i, { read: r });
      else this.settle(i, { scan: r.text !== undefined ? { ...r.scan, text: r.text } : r.scan });
    });
    this.dispatch(slot);
    this.poke();
  }

  private lost(slot: Slot, why: string): void {
    if (slot.dead) return;
    slot.dead = true;
    // The batch it was on (the oldest unanswered one, as it takes them in order) loses the
    // file it was reading; its other files and the batches still queued go back to the queue.
    const onBatch = slot.ready ? Atomics.load(slot.current, 1) : -1;
    const requeue: number[][] = [];
    for (const id of slot.inFlight) {
      const b = this.batches.get(id);
      this.batches.delete(id);
      if (!b) continue;
      if (id !== onBatch) {
        requeue.push(b.idx);
        continue;
      }
      const at = Math.min(Math.max(Atomics.load(slot.current, 0), 0), b.idx.length - 1);
      this.settle(b.idx[at], { crashed: `internal error: the scan stopped while reading this file (${why}); its image references are not listed` });
      const rest = b.idx.filter((_, k) => k !== at);
      if (rest.length) requeue.push(rest);
    }
    slot.inFlight = [];
    this.queue.unshift(...requeue);
    this.poke();
  }

  /** After the walk: this thread takes batches too; resolves with every file's outcome. */
  async finish(): Promise<FileOutcome[]> {
    const { options } = this;
    this.walkDone = true;
    if (this.done > 0) options.onProgress?.(this.done, this.list.length, this.list[this.list.length - 1].path);
    if (this.pending.length) this.queue.push(this.pending);
    this.pending = [];
    const onAbort = () => this.poke();
    options.signal?.addEventListener('abort', onAbort);
    try {
      for (const s of this.slots) this.dispatch(s);
      const total = this.list.length;
      while (this.done < total) {
        if (options.signal?.aborted) throw abortError();
        const idx = this.queue.shift();
        if (idx) {
          for (const i of idx) this.settle(i, this.scanHere(this.list[i]));
          await new Promise<void>((resolve) => setImmediate(resolve)); // worker messages, signals, other requests
          continue;
        }
        if (this.batches.size === 0) {
          // Nothing queued or in flight, yet files missing (should not happen): scan them here.
          for (let i = 0; i < total; i++) if (!this.outcomes[i]) this.settle(i, this.scanHere(this.list[i]));
          break;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      return this.outcomes as FileOutcome[];
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.close();
    }
  }

  close(): void {
    for (const s of this.slots) {
      s.dead = true;
      void s.worker.terminate();
    }
  }
}
