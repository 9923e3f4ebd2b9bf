/** Per-host concurrency limits (one limit per registry host). */
import { cancelled } from './errors';

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(readonly limit: number) {}

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(cancelled('waiting for a transfer slot'));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve(this.releaser());
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(cancelled('waiting for a transfer slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      const next = this.waiters.shift();
      if (next) next();
    };
  }
}

export class HostLimiter {
  private readonly sems = new Map<string, Semaphore>();
  constructor(readonly perHost: number) {}

  private sem(host: string): Semaphore {
    let s = this.sems.get(host);
    if (!s) {
      s = new Semaphore(Math.max(1, this.perHost));
      this.sems.set(host, s);
    }
    return s;
  }

  /** Takes one slot on each host (deduplicated, in sorted order so batches cannot deadlock). */
  async acquire(hosts: string[], signal?: AbortSignal): Promise<() => void> {
    const unique = [...new Set(hosts.map((h) => h.toLowerCase()))].sort();
    const releases: Array<() => void> = [];
    try {
      for (const h of unique) releases.push(await this.sem(h).acquire(signal));
    } catch (e) {
      for (const r of releases.reverse()) r();
      throw e;
    }
    return () => {
      for (const r of releases.reverse()) r();
    };
  }
}

/** Runs `fn` over items with at most `n` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}
