/**
 * The mirror engine: copies images registry to registry, like `gcrane cp`.
 *
 *  - resolves the source with an Accept header listing every manifest type and
 *    keeps the manifest bytes exactly as received (digest computed locally);
 *  - copies every child of an index and its blobs, children before the index,
 *    so the destination digest equals the source digest (unless platforms are
 *    restricted, which is reported as digestChanged);
 *  - blobs: HEAD at the destination, cross-repo mount on the same registry,
 *    otherwise a streamed GET -> PUT verified for size and digest on the way;
 *  - idempotent: when the target tag already has the source digest, only HEAD
 *    requests are made;
 *  - the target tag is written last.
 */
import { setMaxListeners } from 'node:events';
import { pipeline, Readable } from 'node:stream';
import { Dispatcher } from 'undici';
import { followSignal } from '../abort';
import { formatReference, NormalizedReference, parseNormalized } from '../references/reference';
import { pullScope, pushScope } from './auth';
import { header, RegistryClient, Response, RetryEvent, RetryPolicy } from './client';
import { CredentialStore, DockerConfigStore } from './credentials';
import { isDockerHub } from './endpoint';
import { cancelled, isAbortError, RegistryError, RegistryErrorCode, throwIfAborted } from './errors';
import { HostLimiter, mapLimit } from './limiter';
import {
  buildIndex, Descriptor, digestAlgorithm, digestOf, formatPlatform, isAttestation, isForeignLayer, isIndexType,
  MANIFEST_ACCEPT, manifestMediaType, ParsedManifest, parseManifest, parsePlatform, Platform, PlatformSpec, platformMatches,
} from './manifest';
import { describeRateLimit, RateLimit } from './ratelimit';
import { VerifyStream } from './verify';

export type ProgressEvent =
  | { type: 'image-start'; source: string; target: string }
  | { type: 'resolved'; source: string; digest: string; mediaType: string; upToDate: boolean }
  | { type: 'manifest'; source: string; target: string; digest: string; mediaType: string; platform?: string; action: 'pushed' | 'present' }
  | { type: 'blob-start'; source: string; digest: string; size: number }
  | { type: 'blob-progress'; source: string; digest: string; bytes: number; size: number }
  | { type: 'blob-done'; source: string; digest: string; size: number; action: 'copied' | 'skipped' | 'mounted' | 'foreign' }
  | { type: 'tag'; target: string; digest: string }
  | { type: 'image-done'; source: string; target: string; result: CopyResult }
  | { type: 'image-error'; source: string; target: string; error: RegistryError }
  | (RetryEvent & { source?: string });

export interface CopyOptions {
  /** `os/arch[/variant]` to keep; the destination digest then differs from the source. */
  platforms?: string[];
  signal?: AbortSignal;
  onProgress?(e: ProgressEvent): void;
  /** Concurrent blob transfers per registry host (default 6). */
  jobsPerHost?: number;
  /** Images copied in parallel by copyImages (default 4). */
  imageJobs?: number;
  /** Hosts (host or host:port) reached over plain HTTP; loopback always is. */
  insecureRegistries?: string[];
  /** Default: docker's config.json + helpers (+ Google ADC/gcloud for AR and gcr.io). */
  credentials?: CredentialStore;
  /** False in an untrusted workspace: no docker-credential-* helper or gcloud is run (default true). */
  allowCredentialHelpers?: boolean;
  /** Copy foreign (non-distributable) layers too (default false: they stay referenced by URL). */
  includeForeignLayers?: boolean;
  /** Copy cosign `sha256-<hex>.sig/.att/.sbom` tags and OCI 1.1 referrers (default false). */
  copySignatures?: boolean;
  /** Write no tag: the image lands by digest only (target is `name@digest`). */
  pinDigest?: boolean;
  retry?: Partial<RetryPolicy>;
  dispatcher?: Dispatcher;
  /** Share clients (auth tokens, limits) across calls. */
  session?: MirrorSession;
}

export interface CopyResult {
  source: string;
  sourceDigest: string;
  target: string;
  targetDigest: string;
  /** Platforms copied (`linux/amd64`, ...); empty for a single-platform manifest without index. */
  platforms: string[];
  bytesMoved: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  /** Manifests pushed (children and root). */
  manifests: number;
  /** True when the target already had this digest: only HEAD requests were made. */
  upToDate: boolean;
  rateLimit?: RateLimit & { registry: string };
  /** True when platforms were restricted: the target digest differs from the source. */
  digestChanged: boolean;
  /** Cosign tags and referrers copied (copySignatures). */
  signatures?: number;
  warnings: string[];
  durationMs: number;
}

export type CopyOutcome =
  | { source: string; target: string; ok: true; result: CopyResult }
  | { source: string; target: string; ok: false; error: { code: RegistryErrorCode; message: string; registry?: string } };

/** Clients, limits and in-flight blob transfers shared by the copies of a batch. */
export class MirrorSession {
  readonly limiter: HostLimiter;
  readonly credentials: CredentialStore;
  private readonly clients = new Map<string, RegistryClient>();
  readonly inflight = new Map<string, Promise<BlobAction>>();
  /** Where this session has put each blob on each registry (`registry@digest` -> repository), to mount instead of uploading again. */
  readonly placed = new Map<string, string>();
  /** Pull budget left per registry (from its rate-limit headers), minus what this batch reserved. */
  readonly budget = new Map<string, number>();
  onRetry?: (e: RetryEvent) => void;

  constructor(readonly opts: CopyOptions = {}) {
    this.limiter = new HostLimiter(opts.jobsPerHost ?? 6);
    this.credentials = opts.credentials ?? new DockerConfigStore({ allowHelpers: opts.allowCredentialHelpers ?? true });
  }

  client(registry: string): RegistryClient {
    const key = registry.toLowerCase();
    let c = this.clients.get(key);
    if (!c) {
      c = new RegistryClient(registry, {
        insecureRegistries: this.opts.insecureRegistries,
        credentials: this.credentials,
        dispatcher: this.opts.dispatcher,
        retry: this.opts.retry,
        onRetry: (e) => this.onRetry?.(e),
      });
      this.clients.set(key, c);
    }
    return c;
  }

  /** Request counts per registry and method (tests, bench). */
  counts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [k, c] of this.clients) out[k] = { ...c.counts };
    return out;
  }
}

type BlobAction = 'copied' | 'skipped' | 'mounted' | 'foreign';

interface Stats {
  bytesMoved: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  manifests: number;
  warnings: string[];
}

interface Ctx {
  session: MirrorSession;
  opts: CopyOptions;
  signal?: AbortSignal;
  src: NormalizedReference;
  dst: NormalizedReference;
  srcClient: RegistryClient;
  dstClient: RegistryClient;
  /** Display names. */
  source: string;
  target: string;
  stats: Stats;
  emit: (e: ProgressEvent) => void;
}

/** Parses a reference for the engine; throws a BAD_REFERENCE error naming it. */
export function parseImage(ref: string, role: 'source' | 'target' | 'image'): NormalizedReference {
  const r = parseNormalized(ref.trim());
  if (!r.ok) throw new RegistryError('BAD_REFERENCE', `${role} image "${ref}": ${r.error}`);
  return r.value;
}

/** The target reference: when written without tag or digest, the source's tag is kept (`nginx:1.25` -> `BASE/nginx:1.25`). */
export function effectiveTarget(src: NormalizedReference, dstText: string): NormalizedReference {
  const dst = parseImage(dstText, 'target');
  if (dst.implicitLatest) {
    if (src.digest && src.implicitLatest === false && src.tag === undefined) {
      return { ...dst, tag: undefined, implicitLatest: false, normalized: dst.name };
    }
    if (!src.implicitLatest && src.tag) return { ...dst, tag: src.tag, normalized: formatReference(dst.name, src.tag) };
  }
  if (dst.digest && !dst.tag) return dst;
  return dst;
}

function manifestPath(repo: string, ref: string): string {
  return `/v2/${repo}/manifests/${ref}`;
}

function blobPath(repo: string, digest: string): string {
  return `/v2/${repo}/blobs/${digest}`;
}

function short(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}

/** Fetches a manifest by tag or digest, keeps its bytes, and verifies the digest when fetched by digest. */
async function fetchManifest(client: RegistryClient, repo: string, ref: string, what: string, signal?: AbortSignal): Promise<{ bytes: Buffer; digest: string; mediaType: string; parsed: ParsedManifest; res: Response }> {
  const byDigest = ref.includes(':');
  const { res, bytes } = await client.fetchBytes({
    method: 'GET',
    path: manifestPath(repo, ref),
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [pullScope(repo)],
    signal,
    what,
  }, 8 << 20);
  const algo = byDigest ? digestAlgorithm(ref) : 'sha256';
  const digest = digestOf(bytes, algo);
  if (byDigest && digest !== ref) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: ${client.registry} returned a manifest whose digest is ${digest}, not the requested ${ref}`, { registry: client.registry });
  }
  const mediaType = manifestMediaType(bytes, header(res, 'content-type'));
  const parsed = parseManifest(bytes, header(res, 'content-type'), what);
  return { bytes, digest, mediaType, parsed, res };
}

/** HEAD a manifest; undefined when absent. Does not count as a Docker Hub pull. */
async function headManifest(client: RegistryClient, repo: string, ref: string, scopes: string[], what: string, signal?: AbortSignal): Promise<{ digest?: string; mediaType?: string; size?: number } | undefined> {
  const res = await client.request({
    method: 'HEAD',
    path: manifestPath(repo, ref),
    headers: { accept: MANIFEST_ACCEPT },
    scopes,
    signal,
    what,
    accept: [404],
  });
  await res.body.dump().catch(() => undefined);
  if (res.status === 404) return undefined;
  const len = Number(header(res, 'content-length'));
  return {
    digest: header(res, 'docker-content-digest') || undefined,
    mediaType: header(res, 'content-type')?.split(';')[0].trim(),
    size: Number.isFinite(len) ? len : undefined,
  };
}

export interface DigestInfo {
  reference: string;
  digest: string;
  mediaType?: string;
  size?: number;
  rateLimit?: RateLimit;
}

/**
 * The digest a reference points to, by HEAD (not counted as a Docker Hub
 * pull). Falls back to GET only when the registry sends no digest header.
 * Rejects with MANIFEST_UNKNOWN when absent.
 */
export async function getDigest(ref: string, opts: CopyOptions = {}): Promise<DigestInfo> {
  const r = parseImage(ref, 'image');
  const session = opts.session ?? new MirrorSession(opts);
  const client = session.client(r.registry);
  const what = `manifest ${r.normalized}`;
  const target = r.digest ?? r.tag ?? 'latest';
  const head = await headManifest(client, r.repository, target, [pullScope(r.repository)], what, opts.signal);
  if (!head) throw new RegistryError('MANIFEST_UNKNOWN', `${what}: not found on ${r.registry}`, { registry: r.registry, status: 404 });
  let digest = head.digest;
  let mediaType = head.mediaType;
  let size = head.size;
  if (!digest || (r.digest && digest !== r.digest)) {
    const m = await fetchManifest(client, r.repository, target, what, opts.signal);
    digest = m.digest;
    mediaType = m.mediaType;
    size = m.bytes.length;
  }
  return { reference: r.normalized, digest, mediaType, size, rateLimit: client.rateLimit };
}

// ---------------------------------------------------------------------------
// blobs

async function copyBlob(ctx: Ctx, d: Descriptor, srcRepo: string, dstRepo: string): Promise<BlobAction> {
  if (isForeignLayer(d) && !ctx.opts.includeForeignLayers) {
    ctx.emit({ type: 'blob-done', source: ctx.source, digest: d.digest, size: d.size, action: 'foreign' });
    return 'foreign';
  }
  const key = `${ctx.dstClient.registry.toLowerCase()}/${dstRepo}@${d.digest}`;
  let p = ctx.session.inflight.get(key);
  let mine = false;
  if (!p) {
    mine = true;
    p = doCopyBlob(ctx, d, srcRepo, dstRepo);
    ctx.session.inflight.set(key, p);
    // only concurrent copies share a transfer; later ones ask the registry again
    const done = () => ctx.session.inflight.delete(key);
    p.then(done, done);
  }
  const action = await p;
  const counted: BlobAction = mine ? action : 'skipped';
  if (counted === 'copied') {
    ctx.stats.blobsCopied++;
    ctx.stats.bytesMoved += d.size;
  } else if (counted === 'mounted') ctx.stats.blobsMounted++;
  else if (counted === 'skipped') ctx.stats.blobsSkipped++;
  return action;
}

async function doCopyBlob(ctx: Ctx, d: Descriptor, srcRepo: string, dstRepo: string): Promise<BlobAction> {
  const { srcClient, dstClient, signal } = ctx;
  const release = await ctx.session.limiter.acquire([srcClient.registry, dstClient.registry], signal);
  try {
    const what = `blob ${short(d.digest)} of ${ctx.source}`;
    // 1. already at the destination?
    const head = await dstClient.request({
      method: 'HEAD', path: blobPath(dstRepo, d.digest), scopes: [pushScope(dstRepo)], signal, what: `${what} at ${ctx.target}`, accept: [404],
    });
    await head.body.dump().catch(() => undefined);
    if (head.status >= 200 && head.status < 300) {
      ctx.emit({ type: 'blob-done', source: ctx.source, digest: d.digest, size: d.size, action: 'skipped' });
      return 'skipped';
    }
    // 2. cross-repository mount on the same registry: from the source
    //    repository, or from a repository this batch already pushed it to
    let location: string | undefined;
    const placedKey = `${dstClient.registry.toLowerCase()}@${d.digest}`;
    const from = srcClient === dstClient && srcRepo !== dstRepo ? srcRepo : ctx.session.placed.get(placedKey);
    if (from !== undefined && from !== dstRepo) {
      try {
        const q = new URLSearchParams({ mount: d.digest, from });
        const res = await dstClient.request({
          method: 'POST', path: `/v2/${dstRepo}/blobs/uploads/?${q}`, headers: { 'content-length': '0' },
          scopes: [pushScope(dstRepo), pullScope(from)], signal, what: `mount ${what}`,
        });
        await res.body.dump().catch(() => undefined);
        if (res.status === 201) {
          ctx.session.placed.set(placedKey, dstRepo);
          ctx.emit({ type: 'blob-done', source: ctx.source, digest: d.digest, size: d.size, action: 'mounted' });
          return 'mounted';
        }
        const loc = header(res, 'location');
        if (res.status === 202 && loc) location = new URL(loc, res.url).toString();
      } catch (e) {
        // a refused mount is not fatal: upload instead
        if (signal?.aborted || isAbortError(e)) throw e;
      }
    }
    // 3. streamed GET -> PUT, retried from a fresh GET
    ctx.emit({ type: 'blob-start', source: ctx.source, digest: d.digest, size: d.size });
    let mismatches = 0;
    await srcClient.withRetry(what, signal, async () => {
      try {
        await uploadOnce(ctx, d, srcRepo, dstRepo, location, what);
      } catch (e) {
        if (e instanceof RegistryError && e.code === 'DIGEST_MISMATCH' && ++mismatches > 1) {
          throw new RegistryError('DIGEST_MISMATCH', e.message, { registry: srcClient.registry });
        }
        throw e;
      } finally {
        location = undefined;
      }
    });
    ctx.session.placed.set(placedKey, dstRepo);
    ctx.emit({ type: 'blob-done', source: ctx.source, digest: d.digest, size: d.size, action: 'copied' });
    return 'copied';
  } finally {
    release();
  }
}

async function uploadOnce(ctx: Ctx, d: Descriptor, srcRepo: string, dstRepo: string, location: string | undefined, what: string): Promise<void> {
  const { srcClient, dstClient, signal } = ctx;
  // the source GET and the upload POST go out together (one round trip
  // less per blob); the body waits, under back-pressure, for the PUT
  const srcP = srcClient.send({
    method: 'GET', path: blobPath(srcRepo, d.digest), scopes: [pullScope(srcRepo)], signal, what, followRedirects: true,
  });
  srcP.catch(() => undefined);
  if (!location) {
    try {
      const res = await dstClient.request({
        method: 'POST', path: `/v2/${dstRepo}/blobs/uploads/`, headers: { 'content-length': '0' },
        scopes: [pushScope(dstRepo)], signal, what: `start upload of ${what} to ${ctx.target}`,
      });
      await res.body.dump().catch(() => undefined);
      const loc = header(res, 'location');
      if (!loc) throw new RegistryError('PROTOCOL', `start upload of ${what}: ${dstClient.registry} gave no upload Location`, { registry: dstClient.registry });
      location = new URL(loc, res.url).toString();
    } catch (e) {
      srcP.then((r) => discard(r.body), () => undefined);
      throw e;
    }
  }
  const src = await srcP;
  const len = header(src, 'content-length');
  if (len !== undefined && Number(len) !== d.size) {
    discard(src.body);
    throw new RegistryError('SIZE_MISMATCH', `${what}: ${srcClient.registry} sends ${len} bytes, the manifest says ${d.size}`, { registry: srcClient.registry, retryable: true });
  }
  let last = 0;
  let pending = 0;
  const verify = new VerifyStream(d.digest, d.size, what, (n) => {
    pending += n;
    const now = Date.now();
    if (now - last > 200 || verify.bytes === d.size) {
      last = now;
      pending = 0;
      ctx.emit({ type: 'blob-progress', source: ctx.source, digest: d.digest, bytes: verify.bytes, size: d.size });
    }
  });
  let sourceError: unknown;
  pipeline(src.body as unknown as Readable, verify, (err) => {
    if (err) sourceError = err;
  });
  const put = new URL(location);
  put.searchParams.set('digest', d.digest);
  let res: Response;
  try {
    res = await dstClient.send({
      method: 'PUT', url: put.toString(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) },
      body: verify, scopes: [pushScope(dstRepo)], signal, what: `upload of ${what} to ${ctx.target}`,
    });
  } catch (e) {
    src.body.destroy();
    verify.destroy();
    cancelUpload(ctx, location, dstRepo);
    if (signal?.aborted) throw cancelled(what);
    if (verify.failure) throw verify.failure;
    if (sourceError && !(e instanceof RegistryError && !e.retryable)) {
      throw new RegistryError('NETWORK', `${what}: download from ${srcClient.registry} broke off after ${verify.bytes} of ${d.size} bytes (${(sourceError as Error).message ?? sourceError})`, { registry: srcClient.registry, retryable: true });
    }
    throw e;
  }
  await res.body.dump().catch(() => undefined);
  if (verify.failure) throw verify.failure;
  const got = header(res, 'docker-content-digest');
  if (got && got !== d.digest) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: ${dstClient.registry} stored digest ${got}, expected ${d.digest}`, { registry: dstClient.registry });
  }
}

/** Drops a response body that will not be read (its destroy error goes nowhere). */
function discard(body: Response['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function cancelUpload(ctx: Ctx, location: string, dstRepo: string): void {
  ctx.dstClient
    .send({ method: 'DELETE', url: location, scopes: [pushScope(dstRepo)], what: 'cancel upload', accept: [400, 404, 405] })
    .then((r) => r.body.dump())
    .catch(() => undefined);
}

// ---------------------------------------------------------------------------
// manifests

async function putManifest(ctx: Ctx, repo: string, ref: string, bytes: Buffer, mediaType: string, digest: string, what: string): Promise<void> {
  const res = await ctx.dstClient.request({
    method: 'PUT', path: manifestPath(repo, ref), headers: { 'content-type': mediaType }, body: bytes,
    scopes: [pushScope(repo)], signal: ctx.signal, what,
  });
  await res.body.dump().catch(() => undefined);
  const got = header(res, 'docker-content-digest');
  if (got && got !== digest) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: ${ctx.dstClient.registry} stored it as ${got}, expected ${digest}`, { registry: ctx.dstClient.registry });
  }
  ctx.stats.manifests++;
}

/**
 * Copies a manifest's content (blobs; children first for an index) and
 * pushes it by digest unless `pushAs` says otherwise (`null`: do not push).
 */
async function copyTree(ctx: Ctx, m: { bytes: Buffer; digest: string; mediaType: string; parsed: ParsedManifest }, pushAs: string | null, platform?: string): Promise<void> {
  throwIfAborted(ctx.signal, ctx.source);
  const srcRepo = ctx.src.repository;
  const dstRepo = ctx.dst.repository;
  if (m.parsed.kind === 'image') {
    const blobs = [m.parsed.config, ...m.parsed.layers];
    await Promise.all(blobs.map((b) => copyBlob(ctx, b, srcRepo, dstRepo)));
  } else {
    await Promise.all(m.parsed.manifests.map((child) => copyChild(ctx, child)));
  }
  if (pushAs === null) return;
  throwIfAborted(ctx.signal, ctx.source);
  await putManifest(ctx, dstRepo, pushAs, m.bytes, m.mediaType, m.digest, `push manifest ${short(m.digest)}${platform ? ` (${platform})` : ''} of ${ctx.source} to ${ctx.target}`);
  ctx.emit({ type: 'manifest', source: ctx.source, target: ctx.target, digest: m.digest, mediaType: m.mediaType, platform, action: 'pushed' });
}

async function copyChild(ctx: Ctx, child: Descriptor): Promise<void> {
  const platform = child.platform ? formatPlatform(child.platform) : undefined;
  // present at the destination by digest: the registry already holds everything it references
  const present = await headManifest(ctx.dstClient, ctx.dst.repository, child.digest, [pushScope(ctx.dst.repository)], `manifest ${short(child.digest)} at ${ctx.target}`, ctx.signal);
  if (present) {
    ctx.emit({ type: 'manifest', source: ctx.source, target: ctx.target, digest: child.digest, mediaType: child.mediaType, platform, action: 'present' });
    return;
  }
  reservePulls(ctx, isIndexType(child.mediaType) ? 0 : 1);
  const m = await fetchManifest(ctx.srcClient, ctx.src.repository, child.digest, `manifest ${short(child.digest)}${platform ? ` (${platform})` : ''} of ${ctx.source}`, ctx.signal);
  if (m.bytes.length !== child.size) {
    throw new RegistryError('SIZE_MISMATCH', `manifest ${short(child.digest)} of ${ctx.source}: ${m.bytes.length} bytes, the index says ${child.size}`, { registry: ctx.srcClient.registry });
  }
  await copyTree(ctx, m, child.digest, platform);
}

/** Reserves Docker Hub style pulls; throws RATE_LIMITED when the budget the registry reported is spent. */
function reservePulls(ctx: Ctx, n: number): void {
  if (n <= 0) return;
  const reg = ctx.srcClient.registry.toLowerCase();
  const budget = ctx.session.budget;
  if (!budget.has(reg)) {
    const rl = ctx.srcClient.rateLimit;
    if (!rl) return;
    budget.set(reg, rl.remaining);
  }
  const left = budget.get(reg)!;
  if (left < n) {
    const rl = ctx.srcClient.rateLimit;
    throw new RegistryError('RATE_LIMITED', `${ctx.source}: not copied: the pull limit of ${ctx.srcClient.registry} is spent (${rl ? describeRateLimit(rl) : `${left} left`}; this image needs ${n} more). Log in (docker login) for a higher limit or wait for the window to pass.`, { registry: ctx.srcClient.registry });
  }
  budget.set(reg, left - n);
}

// ---------------------------------------------------------------------------
// images

interface Resolved {
  ctx: Ctx;
  sourceDigest?: string;
  upToDate: boolean;
  started: number;
}

function makeCtx(session: MirrorSession, opts: CopyOptions, srcText: string, dstText: string, emit: (e: ProgressEvent) => void): Ctx {
  const src = parseImage(srcText, 'source');
  const dst = effectiveTarget(src, dstText);
  if (opts.pinDigest) Object.assign(dst, { tag: undefined });
  const source = src.normalized;
  const target = dst.digest ? dst.normalized : formatReference(dst.name, dst.tag);
  return {
    session, opts, signal: opts.signal, src, dst,
    srcClient: session.client(src.registry), dstClient: session.client(dst.registry),
    source, target,
    stats: { bytesMoved: 0, blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, manifests: 0, warnings: [] },
    emit,
  };
}

/** Phase 1, HEAD requests only: source digest, and is the target already there? */
async function resolveImage(ctx: Ctx): Promise<Resolved> {
  const started = Date.now();
  const { src, dst } = ctx;
  ctx.emit({ type: 'image-start', source: ctx.source, target: ctx.target });
  let sourceDigest = src.digest;
  const targetHead = (ref: string, signal = ctx.signal) => headManifest(ctx.dstClient, dst.repository, ref, [pushScope(dst.repository)], `manifest ${ctx.target}`, signal);
  // When the target reference does not depend on the source digest, HEAD it
  // at the same time as the source (one round trip instead of two; HEAD is
  // free). Its answer, or its error, counts only once the source is known;
  // when it is not needed after all, it is cancelled (no retries of it
  // linger after the source failed).
  const checksTarget = !ctx.opts.platforms?.length;
  const earlyRef = checksTarget ? dst.tag ?? dst.digest ?? src.digest : undefined;
  let early: ReturnType<typeof targetHead> | undefined;
  let earlyUsed = false;
  const earlyStop = followSignal(ctx.signal);
  if (earlyRef !== undefined) {
    early = targetHead(earlyRef, earlyStop.controller.signal);
    early.catch(() => undefined);
  }
  try {
    const head = await headManifest(ctx.srcClient, src.repository, src.digest ?? src.tag ?? 'latest', [pullScope(src.repository)], `manifest ${ctx.source}`, ctx.signal);
    if (!head) {
      throw new RegistryError('MANIFEST_UNKNOWN', `${ctx.source}: manifest not found on ${src.registry} (no such tag or digest, or the repository does not exist)`, { registry: src.registry, status: 404 });
    }
    if (!sourceDigest && head.digest && /^sha256:[a-f0-9]{64}$/.test(head.digest)) sourceDigest = head.digest;
    let upToDate = false;
    if (sourceDigest && checksTarget) {
      const ref = dst.tag ?? dst.digest ?? sourceDigest;
      if (dst.digest && dst.digest !== sourceDigest) {
        throw new RegistryError('DIGEST_MISMATCH', `target ${ctx.target} names digest ${dst.digest} but the source ${ctx.source} is ${sourceDigest}`);
      }
      earlyUsed = early !== undefined && ref === earlyRef;
      const t = await (earlyUsed ? early! : targetHead(ref));
      upToDate = !!t && t.digest === sourceDigest;
    }
    ctx.emit({ type: 'resolved', source: ctx.source, digest: sourceDigest ?? '', mediaType: head.mediaType ?? '', upToDate });
    return { ctx, sourceDigest, upToDate, started };
  } finally {
    earlyStop.dispose();
    if (!earlyUsed) earlyStop.controller.abort();
  }
}

function selectChildren(ctx: Ctx, parsed: ParsedManifest & { kind: 'index' }, specs: PlatformSpec[]): Descriptor[] {
  const chosen = parsed.manifests.filter((d) => !isAttestation(d) && specs.some((s) => platformMatches(d.platform, s)));
  const chosenDigests = new Set(chosen.map((d) => d.digest));
  const attestations = parsed.manifests.filter((d) => isAttestation(d) && chosenDigests.has(d.annotations?.['vnd.docker.reference.digest'] ?? ''));
  return [...chosen, ...attestations];
}

/** Phase 2: copy what is missing, tag last. */
async function copyResolved(r: Resolved): Promise<CopyResult> {
  const { ctx } = r;
  const { src, dst, opts } = ctx;
  const rateLimitOf = () => (ctx.srcClient.rateLimit ? { ...ctx.srcClient.rateLimit, registry: ctx.srcClient.registry } : undefined);
  const finish = (sourceDigest: string, targetDigest: string, platforms: string[], upToDate: boolean, digestChanged: boolean): CopyResult => ({
    source: ctx.source,
    sourceDigest,
    target: opts.pinDigest || !dst.tag ? `${dst.name}@${targetDigest}` : ctx.target,
    targetDigest,
    platforms,
    bytesMoved: ctx.stats.bytesMoved,
    blobsCopied: ctx.stats.blobsCopied,
    blobsSkipped: ctx.stats.blobsSkipped,
    blobsMounted: ctx.stats.blobsMounted,
    manifests: ctx.stats.manifests,
    upToDate,
    rateLimit: rateLimitOf(),
    digestChanged,
    warnings: ctx.stats.warnings,
    durationMs: Date.now() - r.started,
  });

  if (r.upToDate && r.sourceDigest) {
    const result = finish(r.sourceDigest, r.sourceDigest, [], true, false);
    if (opts.copySignatures) result.signatures = await copySignatures(ctx, r.sourceDigest);
    return result;
  }
  throwIfAborted(ctx.signal, ctx.source);

  const rootRef = r.sourceDigest ?? src.digest ?? src.tag ?? 'latest';
  // the root GET of a single-platform manifest counts as a pull; an index does not
  let root: Awaited<ReturnType<typeof fetchManifest>>;
  try {
    root = await fetchManifest(ctx.srcClient, src.repository, rootRef, `manifest ${ctx.source}`, ctx.signal);
  } catch (e) {
    // the digest came from the registry's Docker-Content-Digest header on HEAD, which
    // some registries get wrong: fetch by tag and trust the bytes instead
    const headerWasWrong = e instanceof RegistryError && (e.code === 'DIGEST_MISMATCH' || e.code === 'MANIFEST_UNKNOWN');
    if (!headerWasWrong || src.digest || !src.tag || rootRef === src.tag) throw e;
    root = await fetchManifest(ctx.srcClient, src.repository, src.tag, `manifest ${ctx.source}`, ctx.signal);
    ctx.stats.warnings.push(`${src.registry} announced digest ${rootRef} for ${ctx.source} but serves ${root.digest}; copied ${root.digest}`);
  }
  if (src.digest && root.digest !== src.digest) {
    throw new RegistryError('DIGEST_MISMATCH', `${ctx.source}: manifest digest is ${root.digest}`, { registry: src.registry });
  }
  if (root.parsed.kind === 'image') reservePulls(ctx, 1);
  const dstRef = (digest: string) => (opts.pinDigest || !dst.tag ? digest : dst.tag);

  const specs = (opts.platforms ?? []).map(parsePlatform);
  if (root.parsed.kind === 'image' && specs.length > 0) {
    // a single-platform image: check its config says one of the platforms asked for
    const cfg = await readConfigPlatform(ctx, root.parsed.config);
    if (cfg && !specs.some((sp) => platformMatches(cfg, sp))) {
      throw new RegistryError('PLATFORM_NOT_FOUND', `${ctx.source} is a single-platform image for ${formatPlatform(cfg)}, not ${opts.platforms!.join(', ')}`, { registry: src.registry });
    }
  }
  const selected = root.parsed.kind === 'index' && specs.length > 0 ? selectChildren(ctx, root.parsed, specs) : undefined;
  // every child selected: copy the index as it is (digest unchanged)
  if (root.parsed.kind === 'index' && selected && selected.length < root.parsed.manifests.length) {
    const children = selected;
    const platforms = children.filter((d) => !isAttestation(d)).map((d) => formatPlatform(d.platform));
    if (platforms.length === 0) {
      const have = root.parsed.manifests.filter((d) => !isAttestation(d)).map((d) => formatPlatform(d.platform));
      throw new RegistryError('PLATFORM_NOT_FOUND', `${ctx.source}: none of the platforms ${opts.platforms!.join(', ')} is in its index (it has ${have.join(', ')})`, { registry: src.registry });
    }
    let newRoot: { bytes: Buffer; digest: string; mediaType: string; parsed: ParsedManifest };
    if (platforms.length === 1 && specs.length === 1) {
      // one platform: the target is that platform's manifest itself
      const only = children.find((d) => !isAttestation(d))!;
      reservePulls(ctx, 1);
      const m = await fetchManifest(ctx.srcClient, src.repository, only.digest, `manifest ${short(only.digest)} (${platforms[0]}) of ${ctx.source}`, ctx.signal);
      newRoot = m;
    } else {
      const bytes = buildIndex(root.parsed, children);
      newRoot = { bytes, digest: digestOf(bytes), mediaType: root.mediaType, parsed: parseManifest(bytes, root.mediaType, ctx.source) };
    }
    ctx.stats.warnings.push(`only ${platforms.join(', ')} copied: the target digest ${short(newRoot.digest)} differs from the source ${short(root.digest)}`);
    const existing = dst.tag ? await headManifest(ctx.dstClient, dst.repository, dst.tag, [pushScope(dst.repository)], `manifest ${ctx.target}`, ctx.signal) : undefined;
    if (existing?.digest === newRoot.digest) return finish(root.digest, newRoot.digest, platforms, true, true);
    await copyTree(ctx, newRoot, null);
    throwIfAborted(ctx.signal, ctx.source);
    await putManifest(ctx, dst.repository, dstRef(newRoot.digest), newRoot.bytes, newRoot.mediaType, newRoot.digest, `push ${ctx.target}`);
    ctx.emit({ type: 'tag', target: ctx.target, digest: newRoot.digest });
    const result = finish(root.digest, newRoot.digest, platforms, false, true);
    if (opts.copySignatures) result.signatures = await copySignatures(ctx, root.digest);
    return result;
  }

  // everything it points to first, then the root under its tag
  await copyTree(ctx, root, null);
  throwIfAborted(ctx.signal, ctx.source);
  await putManifest(ctx, dst.repository, dstRef(root.digest), root.bytes, root.mediaType, root.digest, `push ${ctx.target}`);
  ctx.emit({ type: 'tag', target: ctx.target, digest: root.digest });
  const platforms = root.parsed.kind === 'index' ? root.parsed.manifests.filter((d) => !isAttestation(d)).map((d) => formatPlatform(d.platform)) : [];
  const result = finish(root.digest, root.digest, platforms, false, false);
  if (opts.copySignatures) result.signatures = await copySignatures(ctx, root.digest);
  return result;
}

/** The platform an image config declares (undefined when it is not an image config). */
async function readConfigPlatform(ctx: Ctx, config: Descriptor): Promise<Platform | undefined> {
  if (config.size > 4 << 20) return undefined;
  const { bytes } = await ctx.srcClient.fetchBytes({
    method: 'GET', path: blobPath(ctx.src.repository, config.digest), scopes: [pullScope(ctx.src.repository)], signal: ctx.signal,
    what: `config of ${ctx.source}`, followRedirects: true,
  }, 4 << 20);
  if (digestOf(bytes, digestAlgorithm(config.digest)) !== config.digest) {
    throw new RegistryError('DIGEST_MISMATCH', `config of ${ctx.source}: content does not match ${config.digest}`, { registry: ctx.srcClient.registry });
  }
  try {
    const doc = JSON.parse(bytes.toString('utf8'));
    if (typeof doc?.os === 'string' && typeof doc?.architecture === 'string') {
      return { os: doc.os, architecture: doc.architecture, ...(typeof doc.variant === 'string' ? { variant: doc.variant } : {}) };
    }
  } catch {
    // not JSON: an artifact, not an image
  }
  return undefined;
}

/** Cosign `sha256-<hex>.sig/.att/.sbom` tags and OCI 1.1 referrers of a digest. */
async function copySignatures(ctx: Ctx, digest: string): Promise<number> {
  const { src, dst } = ctx;
  let n = 0;
  const tagBase = digest.replace(':', '-');
  for (const suffix of ['sig', 'att', 'sbom']) {
    const tag = `${tagBase}.${suffix}`;
    const h = await headManifest(ctx.srcClient, src.repository, tag, [pullScope(src.repository)], `${suffix} of ${ctx.source}`, ctx.signal);
    if (!h) continue;
    const m = await fetchManifest(ctx.srcClient, src.repository, h.digest && /^sha256:/.test(h.digest) ? h.digest : tag, `${suffix} of ${ctx.source}`, ctx.signal);
    const there = await headManifest(ctx.dstClient, dst.repository, tag, [pushScope(dst.repository)], `${suffix} at ${ctx.target}`, ctx.signal);
    if (there?.digest === m.digest) continue;
    await copyTree(ctx, m, null);
    await putManifest(ctx, dst.repository, tag, m.bytes, m.mediaType, m.digest, `push ${suffix} of ${ctx.target}`);
    n++;
  }
  // OCI 1.1 referrers API
  const res = await ctx.srcClient.request({
    method: 'GET', path: `/v2/${src.repository}/referrers/${digest}`, headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    scopes: [pullScope(src.repository)], signal: ctx.signal, what: `referrers of ${ctx.source}`, accept: [400, 404, 405],
  });
  const text = await res.body.text().catch(() => '');
  if (res.status === 200) {
    let list: Descriptor[] = [];
    try {
      const doc = JSON.parse(text);
      list = Array.isArray(doc?.manifests) ? doc.manifests : [];
    } catch {
      list = [];
    }
    for (const d of list) {
      if (typeof d?.digest !== 'string') continue;
      const there = await headManifest(ctx.dstClient, dst.repository, d.digest, [pushScope(dst.repository)], `referrer at ${ctx.target}`, ctx.signal);
      if (there) continue;
      const m = await fetchManifest(ctx.srcClient, src.repository, d.digest, `referrer ${short(d.digest)} of ${ctx.source}`, ctx.signal);
      await copyTree(ctx, m, m.digest);
      n++;
    }
  }
  return n;
}

function toOutcomeError(err: unknown, ctxOrSource: { source: string; target: string }): RegistryError {
  let e: RegistryError;
  if (err instanceof RegistryError) e = err;
  else if (isAbortError(err)) e = cancelled(ctxOrSource.source);
  else e = new RegistryError('PROTOCOL', `${ctxOrSource.source}: ${(err as Error)?.message ?? String(err)}`);
  if (!e.image) e.image = ctxOrSource.source;
  if (!e.message.includes(ctxOrSource.source) && !e.message.includes(ctxOrSource.target)) {
    const wrapped = new RegistryError(e.code, `${ctxOrSource.source} -> ${ctxOrSource.target}: ${e.message}`, { registry: e.registry, status: e.status });
    wrapped.image = ctxOrSource.source;
    return wrapped;
  }
  return e;
}

/** Copies one image; rejects with a RegistryError naming the image and registry. */
export async function copyImage(src: string, dst: string, opts: CopyOptions = {}): Promise<CopyResult> {
  const [out] = await copyImages([{ src, dst }], opts);
  if (out.ok) return out.result;
  const cause = (out.error as { cause?: unknown }).cause;
  throw cause instanceof RegistryError ? cause : new RegistryError(out.error.code, out.error.message, { registry: out.error.registry });
}

export interface BatchOptions extends CopyOptions {
  /** Called as each image finishes (in completion order). */
  onResult?(o: CopyOutcome): void;
}

/**
 * Copies images in parallel (imageJobs at a time; blobs limited per host).
 * Resolves to one outcome per pair, in input order; never rejects for a
 * failed image. A batch from a rate-limited registry stops early when the
 * remaining pulls cannot cover it.
 */
export async function copyImages(pairs: ReadonlyArray<{ src: string; dst: string }>, opts: BatchOptions = {}): Promise<CopyOutcome[]> {
  const outer = opts.signal;
  if (!outer) return runBatch(pairs, opts);
  // Every request in flight listens on the signal (undici adds a listener per
  // request, the limiter one per waiting transfer), more than Node's default
  // of 10 before it prints a MaxListenersExceededWarning. The batch listens
  // on a signal of its own that follows the caller's.
  const inner = followSignal(outer);
  setMaxListeners(0, inner.controller.signal);
  try {
    return await runBatch(pairs, { ...opts, signal: inner.controller.signal });
  } finally {
    inner.dispose();
  }
}

async function runBatch(pairs: ReadonlyArray<{ src: string; dst: string }>, opts: BatchOptions): Promise<CopyOutcome[]> {
  const session = opts.session ?? new MirrorSession(opts);
  const emit = (e: ProgressEvent) => {
    try {
      opts.onProgress?.(e);
    } catch {
      // a progress consumer must not break a copy
    }
  };
  session.onRetry = (e) => emit(e);
  const outcomes: CopyOutcome[] = new Array(pairs.length);
  const fail = (i: number, err: unknown, names: { source: string; target: string }) => {
    const e = toOutcomeError(err, names);
    emit({ type: 'image-error', source: names.source, target: names.target, error: e });
    const o: CopyOutcome = { source: names.source, target: names.target, ok: false, error: { code: e.code, message: e.message, registry: e.registry } };
    Object.defineProperty(o.error, 'cause', { value: e, enumerable: false });
    outcomes[i] = o;
    opts.onResult?.(o);
  };
  const jobs = Math.max(1, opts.imageJobs ?? 4);

  // phase 1: HEAD requests only
  const resolved = await mapLimit(pairs, jobs, async (p, i) => {
    let ctx: Ctx;
    try {
      ctx = makeCtx(session, opts, p.src, p.dst, emit);
    } catch (err) {
      fail(i, err, { source: p.src, target: p.dst });
      return undefined;
    }
    try {
      return await resolveImage(ctx);
    } catch (err) {
      fail(i, err, ctx);
      return undefined;
    }
  });

  // does the pull budget of each rate-limited source cover what must be copied?
  const need = new Map<string, { n: number; client: RegistryClient }>();
  for (const r of resolved) {
    if (!r || r.upToDate || !r.ctx.srcClient.rateLimit) continue;
    const k = r.ctx.srcClient.registry.toLowerCase();
    const cur = need.get(k) ?? { n: 0, client: r.ctx.srcClient };
    cur.n += 1; // at least one platform manifest per image
    need.set(k, cur);
  }
  const exhausted = new Map<string, string>();
  for (const [k, { n, client }] of need) {
    const rl = client.rateLimit!;
    if (rl.remaining < n) {
      exhausted.set(k, `not copied: ${client.registry} reports ${describeRateLimit(rl)}, and this batch needs at least ${n} pulls (one per platform manifest). Stopping before any pull. Log in (docker login) for a higher limit, copy fewer images, or wait for the window to pass.`);
    }
  }

  await mapLimit(resolved, jobs, async (r, i) => {
    if (!r) return;
    const { ctx } = r;
    const stop = exhausted.get(ctx.srcClient.registry.toLowerCase());
    if (stop && !r.upToDate) {
      fail(i, new RegistryError('RATE_LIMITED', `${ctx.source}: ${stop}`, { registry: ctx.srcClient.registry }), ctx);
      return;
    }
    if (opts.signal?.aborted) {
      fail(i, cancelled(ctx.source), ctx);
      return;
    }
    try {
      const result = await copyResolved(r);
      emit({ type: 'image-done', source: ctx.source, target: ctx.target, result });
      const o: CopyOutcome = { source: ctx.source, target: result.target, ok: true, result };
      outcomes[i] = o;
      opts.onResult?.(o);
    } catch (err) {
      fail(i, opts.signal?.aborted ? cancelled(ctx.source) : err, ctx);
    }
  });
  return outcomes;
}

export { isDockerHub };
