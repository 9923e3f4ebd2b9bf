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
   * PARALLEL_MIN_FILES files: `true` for one worker per idle core beyond this
   * thread's (by the 1-minute load average; none on a busy machine), or a
   * number of workers. Needs the worker
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

/** The worker bundle, when there is one. */
function findWorkerScript(explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : [path.join(__dirname, 'scanWorker.js'), path.join(__dirname, '..', 'scanWorker.js')];
  return candidates.find((c) => fs.existsSync(c));
}

/** Workers for `parallel: true`: one per core beyond this thread's, at most MAX_AUTO_WORKERS. */
export const MAX_AUTO_WORKERS = 3;

function workerCount(parallel: boolean | number | undefined): number {
  if (!parallel) return 0;
  if (typeof parallel === 'number') return Math.max(0, Math.floor(parallel));
  // Each worker loads and warms up the extractors (~0.1 s of CPU), which a large tree
  // repays many times over; beyond a few workers the walk in this thread is the limit.
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(0, Math.min(cores - 1, MAX_AUTO_WORKERS));
}

export async function scanPaths(roots: readonly string[], options: ScanOptions): Promise<ScanResult> {
  const scanHere = (f: WalkedFile): FileOutcome => {
    const r = options.override?.(f.path);
    if (r) return { scan: r };
    const read = readTextFile(f.path, options.maxFileSize);
    if (!('text' in read)) return { read };
    const scan = scanText(f.path, read.text, options.policy);
    return { scan: options.keepText ? { ...scan, text: read.text } : scan };
  };
  // Workers read from disk: not with documents held elsewhere (`override`). They start once the
  // walk has found PARALLEL_MIN_FILES files and take batches while it goes on.
  const nWorkers = options.override ? 0 : workerCount(options.parallel);
  const script = nWorkers > 0 ? findWorkerScript(options.workerScript) : undefined;
  const pool = script ? new ScanPool(script, nWorkers, options, scanHere) : undefined;
  let walked: Awaited<ReturnType<typeof walk>>;
  try {
    walked = await walk(roots, pool ? { ...options, onFile: (f) => pool.add(f) } : options);
  } catch (err) {
    pool?.close();
    throw err;
  }
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

  if (pool?.started) {
    const outcomes = await pool.finish();
    walked.files.forEach((f, i) => record(f, outcomes[i]));
    return { files, errors, filesRead: walked.files.length };
  }
  pool?.close();

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
