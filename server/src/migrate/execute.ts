/**
 * Executes the copy half of a migration plan with the shared mirror engine
 * (registry/copy.ts: same per-host concurrency, retries and rate-limit stop as
 * `ar-migrate mirror`). Never rejects for a failed image: each image gets a
 * status. Cancellation stops the copies; images not verified by then are
 * reported `cancelled` and nothing of theirs is rewritten.
 */
import { setMaxListeners } from 'node:events';
import { copyImages, CopyOptions, CopyOutcome, ProgressEvent } from '../registry/copy';
import type { MigrationPlan, PlannedImage } from './plan';

export type ImageStatus = 'copied' | 'up-to-date' | 'skipped' | 'failed' | 'cancelled' | 'planned';

export interface ImageResult {
  planned: PlannedImage;
  status: ImageStatus;
  reason?: string;
  /** Error code of the mirror engine for failed images (MANIFEST_UNKNOWN, SERVER, ...). */
  code?: string;
  sourceDigest?: string;
  targetDigest?: string;
  bytesMoved?: number;
  warnings?: string[];
}

export interface MigrationProgress {
  /** Images finished (copied, up to date or failed) / to copy. */
  done: number;
  total: number;
  /** Blob bytes moved so far (all images). */
  bytes: number;
  /** The engine event behind this update. */
  event: ProgressEvent;
}

export interface ExecuteOptions extends Omit<CopyOptions, 'onProgress' | 'signal' | 'pinDigest'> {
  signal?: AbortSignal;
  onProgress?(p: MigrationProgress): void;
}

export interface ExecutionResult {
  images: ImageResult[];
  cancelled: boolean;
  bytesMoved: number;
}

/** Whether an image's copy was verified (its references may be rewritten). */
export function isVerified(r: ImageResult): boolean {
  return (r.status === 'copied' || r.status === 'up-to-date') && Boolean(r.targetDigest);
}

export async function executeMigration(plan: MigrationPlan, options: ExecuteOptions = {}): Promise<ExecutionResult> {
  const { signal, onProgress, ...copyOpts } = options;
  const results: ImageResult[] = plan.images.map((img) =>
    img.status === 'skipped' ? { planned: img, status: 'skipped', reason: img.reason } : { planned: img, status: 'planned' },
  );
  const todo = results.filter((r) => r.status === 'planned');
  let done = 0;
  let bytes = 0;
  const blobBytes = new Map<string, number>();
  const emit = (event: ProgressEvent) => {
    if (event.type === 'blob-progress') {
      const key = `${event.source}@${event.digest}`;
      bytes += event.bytes - (blobBytes.get(key) ?? 0);
      blobBytes.set(key, event.bytes);
    } else if (event.type === 'blob-done' && event.action === 'copied') {
      const key = `${event.source}@${event.digest}`;
      bytes += event.size - (blobBytes.get(key) ?? 0);
      blobBytes.set(key, event.size);
    } else if (event.type === 'image-done' || event.type === 'image-error') done++;
    try {
      onProgress?.({ done, total: todo.length, bytes, event });
    } catch {
      // progress consumers must not break the copy
    }
  };
  let outcomes: CopyOutcome[] = [];
  if (todo.length && !signal?.aborted) {
    // A signal of our own: every in-flight request listens on it (no listener-count warnings on the caller's).
    const inner = new AbortController();
    setMaxListeners(0, inner.signal);
    const onAbort = () => inner.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      outcomes = await copyImages(
        todo.map((r) => ({ src: r.planned.image, dst: r.planned.target })),
        { ...copyOpts, signal: inner.signal, onProgress: emit },
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
  todo.forEach((r, i) => {
    const o = outcomes[i];
    if (!o) {
      r.status = 'cancelled';
      r.reason = 'cancelled before it was copied';
      return;
    }
    if (o.ok) {
      r.status = o.result.upToDate ? 'up-to-date' : 'copied';
      r.sourceDigest = o.result.sourceDigest;
      r.targetDigest = o.result.targetDigest;
      r.bytesMoved = o.result.bytesMoved;
      r.warnings = o.result.warnings;
    } else if (o.error.code === 'CANCELLED' || signal?.aborted) {
      r.status = 'cancelled';
      r.reason = 'cancelled before its copy was verified';
    } else {
      r.status = 'failed';
      r.code = o.error.code;
      r.reason = o.error.message;
    }
  });
  return { images: results, cancelled: Boolean(signal?.aborted), bytesMoved: results.reduce((n, r) => n + (r.bytesMoved ?? 0), 0) };
}

/** A result for a dry run: every planned image as `planned` (no network). */
export function dryRunResult(plan: MigrationPlan): ExecutionResult {
  return {
    images: plan.images.map((img) => (img.status === 'skipped' ? { planned: img, status: 'skipped', reason: img.reason } : { planned: img, status: 'planned' })),
    cancelled: false,
    bytesMoved: 0,
  };
}
