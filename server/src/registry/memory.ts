/**
 * Keeps the copier's memory flat while streaming large blobs. Every socket
 * read allocates a fresh Buffer; V8 frees those only at a GC, and with few JS
 * objects per chunk it waits until ~64 MB of dead buffers pile up. After every
 * 8 MiB streamed we look at the RSS and, above a soft limit, run a GC (a scavenge: well
 * under a millisecond). Set AR_MIGRATE_NO_GC=1 to turn this off.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

const CHECK_EVERY = 8 << 20;
const SOFT_LIMIT = Number(process.env.AR_MIGRATE_RSS_SOFT_LIMIT_MB ?? 64) * (1 << 20);

let gcFn: ((opts?: { type: 'minor' | 'major' }) => void) | null | undefined;
let since = 0;

function gc(): ((opts?: { type: 'minor' | 'major' }) => void) | null {
  if (gcFn !== undefined) return gcFn;
  try {
    const g = (globalThis as { gc?: (opts?: { type: 'minor' | 'major' }) => void }).gc;
    if (typeof g === 'function') gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
    }
  } catch {
    gcFn = null;
  }
  return gcFn ?? null;
}

/** Call with the bytes just streamed. */
export function noteStreamed(n: number): void {
  since += n;
  if (since < CHECK_EVERY) return;
  since = 0;
  if (process.env.AR_MIGRATE_NO_GC) return;
  // a scavenge is enough: the socket buffers die young
  if (process.memoryUsage.rss() > SOFT_LIMIT) gc()?.({ type: 'minor' });
}
