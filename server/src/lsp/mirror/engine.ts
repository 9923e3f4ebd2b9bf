/**
 * The language server's use of the mirror engine (registry/copy.ts): options
 * from the settings (target, pathMapping, concurrency) and the initialization
 * options (trust, insecureRegistries: machine scope, never from a workspace),
 * the AR_MIGRATE_REGISTRY_ENDPOINTS endpoint override (migrate/endpoints.ts),
 * and a verification of every copy (HEAD of the target reference) before an
 * image counts as mirrored.
 */
import { setMaxListeners } from 'node:events';
import { appendFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Dispatcher } from 'undici';
import { parseTargetBase, PathMapping, TargetBase, targetReference } from '../../references/target';
import { dispatcherFromEnv } from '../../migrate/endpoints';
import { parseNormalized } from '../../references/reference';
import { copyImages, CopyOutcome, getDigest, MirrorSession, ProgressEvent } from '../../registry/copy';
import { makeDirectory } from '../../makeDirectory';
import { redact } from '../../registry/errors';
import type { ServerContext } from '../context';
import type { EffectiveSettings } from '../settings';
import { HOW_TO_SET_TARGET } from '../settings';
import type { InitializationOptions, MirrorImageResult } from './protocol';

export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 32;
/** Platform kept when a caller asks for `allPlatforms: false`. */
export const DEFAULT_PLATFORM = 'linux/amd64';

/** What the server was told at start (initializationOptions); defaults for other editors. */
export interface ServerOptions {
  trusted: boolean;
  insecureRegistries: string[];
  storagePath?: string;
  /** True when the peer is the ar-migrate VS Code extension (it registers arMigrate.* commands itself). */
  vscodeClient: boolean;
}

export function serverOptions(ctx: Pick<ServerContext, 'initializeParams'>): ServerOptions {
  const o = (ctx.initializeParams()?.initializationOptions ?? {}) as Partial<InitializationOptions> & Record<string, unknown>;
  const insecure = Array.isArray(o.insecureRegistries) ? o.insecureRegistries.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
  return {
    trusted: o.trusted !== false,
    insecureRegistries: insecure,
    storagePath: typeof o.storagePath === 'string' && o.storagePath ? o.storagePath : undefined,
    vscodeClient: typeof o.extensionVersion === 'string',
  };
}

export const UNTRUSTED_MESSAGE = 'Mirroring needs a trusted workspace: it contacts registries, uses your registry credentials and copies images. Trust the workspace, then try again.';

/** `arMigrate.concurrency` (1..32, default 4). */
export function concurrencyOf(settings: EffectiveSettings): number {
  const raw = settings.settings.raw as Record<string, unknown>;
  const v = Number(raw.concurrency ?? (raw.mirror as Record<string, unknown> | undefined)?.concurrency);
  if (!Number.isFinite(v) || v < 1) return DEFAULT_CONCURRENCY;
  return Math.min(MAX_CONCURRENCY, Math.floor(v));
}

/** The target base: the explicit one when given, else the configured one; an Error with a clear message otherwise. */
export function resolveBase(settings: EffectiveSettings, explicit?: string): TargetBase {
  if (explicit !== undefined && explicit !== null && String(explicit).trim() !== '') {
    const b = parseTargetBase(String(explicit));
    if (!b.ok) throw new Error(b.error);
    return b.value;
  }
  if (settings.target && !settings.target.ok) throw new Error(settings.target.error);
  if (!settings.base) throw new Error(`no Artifact Registry target is configured. ${HOW_TO_SET_TARGET}`);
  return settings.base;
}

export interface MirrorJob {
  /** Normalised source reference. */
  source: string;
  /** Full target reference. */
  target: string;
}

/**
 * Jobs for source images (deduplicated); invalid ones come back as failed
 * results naming the image. `order` maps each input to its job or invalid
 * result, so results can be given back in input order.
 */
export function planJobs(
  images: readonly string[],
  base: TargetBase,
  pathMapping: PathMapping,
): { jobs: MirrorJob[]; invalid: MirrorImageResult[]; order: ({ job: number } | { invalid: number })[] } {
  const jobs: MirrorJob[] = [];
  const invalid: MirrorImageResult[] = [];
  const order: ({ job: number } | { invalid: number })[] = [];
  const seen = new Map<string, number>();
  for (const image of images) {
    const text = typeof image === 'string' ? image.trim() : '';
    const r = parseNormalized(text);
    if (!r.ok) {
      order.push({ invalid: invalid.length });
      // the text is the caller's: it may carry user:password@ or a token
      const shown = redact(String(image));
      invalid.push({ source: shown, target: '', ok: false, error: redact(`"${shown}" is not a valid image reference: ${r.error}`) });
      continue;
    }
    const known = seen.get(r.value.normalized);
    if (known !== undefined) {
      order.push({ job: known });
      continue;
    }
    seen.set(r.value.normalized, jobs.length);
    order.push({ job: jobs.length });
    jobs.push({ source: r.value.normalized, target: targetReference(r.value, base, { pathMapping }) });
  }
  return { jobs, invalid, order };
}

/** Results in input order (one per input image; a repeated image repeats its result). */
export function inInputOrder(plan: ReturnType<typeof planJobs>, results: readonly MirrorImageResult[]): MirrorImageResult[] {
  return plan.order.map((o) => ('job' in o ? results[o.job] : plan.invalid[o.invalid]));
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?(e: ProgressEvent): void;
  /** Called when an image is finished (copied and verified, or failed). */
  onImageDone?(r: MirrorImageResult): void;
  concurrency?: number;
  insecureRegistries?: string[];
  allPlatforms?: boolean;
  /** Engine dispatcher (default: AR_MIGRATE_REGISTRY_ENDPOINTS override from the environment, if set). */
  dispatcher?: Dispatcher;
  log?: ServerContext['log'];
}

export interface RunResult {
  results: MirrorImageResult[];
  cancelled: boolean;
}

let envDispatcher: { value: string | undefined; dispatcher: Dispatcher | undefined } | undefined;
/** The endpoint override dispatcher for the current environment (built once per value). Throws on a bad value. */
export function endpointDispatcher(env: NodeJS.ProcessEnv = process.env): Dispatcher | undefined {
  const value = env.AR_MIGRATE_REGISTRY_ENDPOINTS;
  if (!envDispatcher || envDispatcher.value !== value) envDispatcher = { value, dispatcher: dispatcherFromEnv(env) };
  return envDispatcher.dispatcher;
}

function resultOf(o: CopyOutcome): MirrorImageResult {
  if (!o.ok) return { source: o.source, target: o.target, ok: false, error: redact(o.error.message) };
  const r = o.result;
  return {
    source: r.source,
    target: r.target,
    ok: true,
    digest: r.targetDigest,
    bytes: r.bytesMoved,
    blobs: r.blobsCopied + r.blobsMounted + r.blobsSkipped,
    skippedBlobs: r.blobsSkipped,
  };
}

/**
 * Copies the jobs (all platforms unless `allPlatforms === false`), then checks
 * each copied target by HEAD: an image is `ok` only when the target reference
 * answers with the digest the engine pushed. Never rejects for a failed image.
 */
export async function runMirror(jobs: readonly MirrorJob[], opts: RunOptions = {}): Promise<RunResult> {
  const outer = opts.signal;
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  const onAbort = () => inner.abort(outer?.reason);
  if (outer?.aborted) inner.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  const signal = inner.signal;
  const concurrency = Math.max(1, Math.min(MAX_CONCURRENCY, opts.concurrency ?? DEFAULT_CONCURRENCY));
  try {
    if (jobs.length === 0) return { results: [], cancelled: Boolean(outer?.aborted) };
    let dispatcher = opts.dispatcher;
    if (!dispatcher) {
      try {
        dispatcher = endpointDispatcher();
      } catch (err) {
        const msg = (err as Error).message;
        return { results: jobs.map((j) => ({ source: j.source, target: j.target, ok: false, error: msg })), cancelled: false };
      }
    }
    const session = new MirrorSession({
      insecureRegistries: opts.insecureRegistries,
      allowCredentialHelpers: true,
      jobsPerHost: concurrency,
      dispatcher,
    });
    const results: MirrorImageResult[] = new Array(jobs.length);
    const verify = async (o: CopyOutcome): Promise<MirrorImageResult> => {
      const r = resultOf(o);
      if (!r.ok || !o.ok) return r;
      try {
        const got = await getDigest(o.result.target, { session, signal });
        if (got.digest !== o.result.targetDigest) {
          return { ...r, ok: false, digest: got.digest, error: `${o.source}: verification failed: ${o.result.target} has digest ${got.digest}, expected ${o.result.targetDigest}` };
        }
        return r;
      } catch (err) {
        if (signal.aborted) return { ...r, ok: false, error: `${o.source}: cancelled before the copy was verified` };
        return { ...r, ok: false, error: redact(`${o.source}: verification of ${o.result.target} failed: ${(err as Error)?.message ?? err}`) };
      }
    };
    const pending: Promise<void>[] = [];
    const claimed = new Set<number>();
    const outcomes = await copyImages(
      jobs.map((j) => ({ src: j.source, dst: j.target })),
      {
        session,
        signal,
        imageJobs: concurrency,
        platforms: opts.allPlatforms === false ? [DEFAULT_PLATFORM] : undefined,
        onProgress: opts.onProgress,
        onResult: (o) => {
          const k = jobs.findIndex((j, n) => !claimed.has(n) && j.source === o.source);
          if (k >= 0) claimed.add(k);
          pending.push(
            verify(o).then((r) => {
              if (k >= 0) results[k] = r;
              try {
                opts.onImageDone?.(r);
              } catch {
                /* progress consumer */
              }
            }),
          );
        },
      },
    );
    await Promise.all(pending);
    // Anything not filled by onResult (should not happen): from the outcomes, unverified.
    outcomes.forEach((o, i) => {
      if (!results[i]) results[i] = o ? { ...resultOf(o), ok: false, error: resultOf(o).error ?? `${jobs[i].source}: not verified` } : { source: jobs[i].source, target: jobs[i].target, ok: false, error: `${jobs[i].source}: cancelled before it was copied` };
    });
    for (let i = 0; i < jobs.length; i++) {
      if (!results[i]) results[i] = { source: jobs[i].source, target: jobs[i].target, ok: false, error: `${jobs[i].source}: cancelled before it was copied` };
      if (signal.aborted && !results[i].ok && !/cancel/i.test(results[i].error ?? '')) results[i].error = `${jobs[i].source}: cancelled (${results[i].error})`;
    }
    return { results, cancelled: Boolean(outer?.aborted) };
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
}

/** An AbortSignal that fires when any of the LSP cancellation tokens does. */
export function abortOn(...tokens: ({ isCancellationRequested: boolean; onCancellationRequested(cb: () => void): { dispose(): void } } | undefined)[]): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const subs: { dispose(): void }[] = [];
  for (const t of tokens) {
    if (!t) continue;
    if (t.isCancellationRequested) ac.abort(new Error('cancelled'));
    else subs.push(t.onCancellationRequested(() => ac.abort(new Error('cancelled'))));
  }
  return { signal: ac.signal, dispose: () => subs.forEach((s) => s.dispose()) };
}

/**
 * Appends a record of a mirror run to `<storagePath>/mirror.log` (no
 * credentials: messages are redacted). Returns the file, or undefined when the
 * client gave no storage path or it cannot be written.
 */
export async function appendMirrorLog(storagePath: string | undefined, lines: string[]): Promise<string | undefined> {
  if (!storagePath) return undefined;
  const file = path.join(storagePath, 'mirror.log');
  try {
    await makeDirectory(storagePath);
    const stamp = new Date().toISOString();
    await appendFile(file, lines.map((l) => `${stamp} ${redact(l)}\n`).join(''));
    return file;
  } catch {
    return undefined;
  }
}
