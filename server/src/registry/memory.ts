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

/**
 * Makes V8 run WebAssembly on its baseline tier only (`--liftoff-only`).
 * undici parses HTTP with llhttp compiled to WebAssembly; V8's optimising tier
 * compiles it in the background with tens of MB of transient memory, which
 * would double the copier's peak RSS for no gain (llhttp only walks headers;
 * bodies pass as spans). The flag is process-wide, so only a process that
 * exists to copy images sets it (the CLI's mirror and migrate commands), never
 * the language server. Call before the first request. Set
 * AR_MIGRATE_WASM_TIERUP=1 to skip it.
 */
export function preferBaselineWasm(): void {
  if (process.env.AR_MIGRATE_WASM_TIERUP) return;
  try {
    v8.setFlagsFromString('--liftoff-only');
  } catch {
    // not fatal
  }
}
