/**
 * Turns the mirror engine's ProgressEvents into work-done progress reports:
 * `nginx:1.27 - 3/7 blobs, 12.1 MB / 48.0 MB` with a percentage over all
 * images. Blobs are discovered as the engine walks the manifests, so the blob
 * total of an image grows while it is copied; the percentage never goes back.
 */
import type { ProgressEvent } from '../../registry/copy';
import { familiarName, formatReference, parseNormalized } from '../../references/reference';

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Docker's short form of a reference (`nginx:1.27`); the input when it does not parse. */
export function displayName(image: string): string {
  const r = parseNormalized(image);
  if (!r.ok) return image;
  const v = r.value;
  return formatReference(familiarName(v), v.implicitLatest ? undefined : v.tag, v.digest);
}

interface BlobState {
  size: number;
  bytes: number;
  done: boolean;
}

interface ImageState {
  name: string;
  blobs: Map<string, BlobState>;
  finished: boolean;
}

export interface ProgressSink {
  report(message: string, percentage: number): void;
}

export class MirrorProgress {
  private readonly images = new Map<string, ImageState>();
  private readonly order: string[];
  private current: string | undefined;
  private lastPct = 0;
  private lastSent = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `sources` as the engine names them (normalised references). */
  constructor(sources: readonly string[], private readonly sink: ProgressSink, private readonly intervalMs = 250) {
    this.order = [...sources];
    for (const s of sources) this.images.set(s, { name: displayName(s), blobs: new Map(), finished: false });
  }

  private image(source: string): ImageState {
    let s = this.images.get(source);
    if (!s) {
      s = { name: displayName(source), blobs: new Map(), finished: false };
      this.images.set(source, s);
      this.order.push(source);
    }
    return s;
  }

  onEvent(e: ProgressEvent): void {
    const source = 'source' in e && typeof e.source === 'string' ? e.source : undefined;
    if (!source) return;
    const img = this.image(source);
    switch (e.type) {
      case 'blob-start': {
        const b = img.blobs.get(e.digest) ?? { size: e.size, bytes: 0, done: false };
        img.blobs.set(e.digest, b);
        break;
      }
      case 'blob-progress': {
        const b = img.blobs.get(e.digest) ?? { size: e.size, bytes: 0, done: false };
        b.bytes = Math.max(b.bytes, e.bytes);
        img.blobs.set(e.digest, b);
        break;
      }
      case 'blob-done':
        img.blobs.set(e.digest, { size: e.size, bytes: e.size, done: true });
        break;
      case 'image-done':
      case 'image-error':
        img.finished = true;
        break;
      default:
        break;
    }
    if (!img.finished) this.current = source;
    this.schedule();
  }

  /** Marks an image finished (e.g. after verification) and reports at once. */
  finish(source: string): void {
    this.image(source).finished = true;
    this.flush();
  }

  /** The message for one image: `nginx:1.27 - 3/7 blobs, 12.1 MB / 48.0 MB`. */
  describe(source: string): string {
    const img = this.image(source);
    let done = 0;
    let bytes = 0;
    let total = 0;
    for (const b of img.blobs.values()) {
      if (b.done) done++;
      bytes += b.bytes;
      total += b.size;
    }
    if (img.blobs.size === 0) return `${img.name} - resolving`;
    return `${img.name} - ${done}/${img.blobs.size} blobs, ${humanBytes(bytes)} / ${humanBytes(total)}`;
  }

  percentage(): number {
    const n = this.order.length || 1;
    let sum = 0;
    for (const s of this.order) {
      const img = this.images.get(s)!;
      if (img.finished) {
        sum += 1;
        continue;
      }
      let bytes = 0;
      let total = 0;
      for (const b of img.blobs.values()) {
        bytes += b.bytes;
        total += b.size;
      }
      sum += total > 0 ? Math.min(0.99, bytes / total) : 0;
    }
    const pct = Math.floor((sum / n) * 100);
    this.lastPct = Math.max(this.lastPct, Math.min(100, pct));
    return this.lastPct;
  }

  message(): string {
    const source = this.current ?? this.order.find((s) => !this.images.get(s)!.finished) ?? this.order[this.order.length - 1];
    if (!source) return '';
    const finished = this.order.filter((s) => this.images.get(s)!.finished).length;
    const suffix = this.order.length > 1 ? ` (${finished}/${this.order.length} images done)` : '';
    return this.describe(source) + suffix;
  }

  private schedule(): void {
    const wait = this.lastSent + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
    }
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastSent = Date.now();
    try {
      this.sink.report(this.message(), this.percentage());
    } catch {
      // a closed connection must not break the copy
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
