/**
 * Drift between mirrored images and their upstream tags.
 *
 * A mirrored reference is one under the target base (or under a full-name
 * path mapping) whose path maps back to an upstream image by the inverse of
 * the mirror path mapping (edits/rewrite.ts):
 *   BASE/nginx            -> docker.io/library/nginx
 *   BASE/bitnami/redis    -> docker.io/bitnami/redis
 *   BASE/quay.io/x/y      -> quay.io/x/y
 *   BASE/localhost-5000/a -> localhost:5000/a
 * For each, the upstream tag's current digest and the mirror's (the pinned
 * digest when the reference has one, else the mirror tag's) are read with
 * HEAD requests (not Docker Hub pulls) and compared.
 */
import { setMaxListeners } from 'node:events';
import type { Finding } from '../model';
import { NormalizedReference, parseNormalized } from '../references/reference';
import { PathMapping, targetName, TargetBase } from '../references/target';
import { CopyOptions, getDigest, MirrorSession } from '../registry/copy';
import { RegistryError } from '../registry/errors';
import { mapLimit } from '../registry/limiter';
import { resolveBase } from '../migrate/plan';

export type DriftStatus = 'in-sync' | 'drifted' | 'upstream-missing' | 'mirror-missing' | 'error' | 'unchecked';

export interface DriftLocation {
  /** Absolute path. */
  file: string;
  /** 0-based, like Finding.range. */
  range: Finding['range'];
  text: string;
}

export interface DriftEntry {
  /** The mirrored reference, normalised (`us-docker.pkg.dev/p/r/nginx:1.27`). */
  mirror: string;
  /** The upstream reference it was mirrored from (`docker.io/library/nginx:1.27`); '' when unknown. */
  upstream: string;
  tag?: string;
  status: DriftStatus;
  /** Digest of the upstream tag now. */
  upstreamDigest?: string;
  /** Digest the mirror tag points to. */
  mirrorDigest?: string;
  /** Digest written in the reference (`@sha256:...`), which is what is deployed. */
  pinnedDigest?: string;
  reason?: string;
  references: DriftLocation[];
}

export interface DriftReport {
  target: string;
  entries: DriftEntry[];
  summary: Record<DriftStatus, number> & { references: number };
}

export interface DriftOptions extends Pick<CopyOptions, 'insecureRegistries' | 'credentials' | 'allowCredentialHelpers' | 'retry' | 'dispatcher' | 'session'> {
  pathMapping?: PathMapping;
  signal?: AbortSignal;
  /** Images checked in parallel (default 4). */
  concurrency?: number;
  /** Called as each entry is decided. */
  onEntry?(e: DriftEntry, done: number, total: number): void;
}

export interface DriftInputFile {
  path: string;
  findings: readonly Finding[];
}


/** Restores a host path component (`localhost-5000`, `127.0.0.1-5000`) to `host:port`. */
function hostFromComponent(c: string): string {
  const m = /^(.+)-(\d{1,5})$/.exec(c);
  if (m && (m[1].includes('.') || m[1] === 'localhost')) return `${m[1]}:${m[2]}`;
  return c;
}

function defaultInverse(p: string): string | undefined {
  const parts = p.split('/');
  if (parts.length === 0 || !parts[0]) return undefined;
  const first = parts[0];
  const isHost = parts.length > 1 && (first.includes('.') || first === 'localhost' || /^localhost-\d+$/.test(first));
  if (isHost) return `${hostFromComponent(first)}/${parts.slice(1).join('/')}`;
  return parts.length === 1 ? `docker.io/library/${first}` : `docker.io/${p}`;
}

/**
 * The upstream image name (normalised, no tag) a mirror name came from, or
 * undefined when it is not under the base / cannot be mapped back. The
 * answer is checked by mapping it forward again.
 */
export function upstreamName(mirrorName: string, base: string | TargetBase, pathMapping: PathMapping = {}): string | undefined {
  const b = resolveBase(base);
  const candidates: { prefix: string; source: string }[] = [];
  for (const [rawKey, rawValue] of Object.entries(pathMapping)) {
    if (typeof rawValue !== 'string') continue;
    const key = rawKey.trim().replace(/\/+$/, '');
    const value = rawValue.trim().replace(/^\/+|\/+$/g, '');
    if (!key) continue;
    const full = /docker\.pkg\.dev(\/|$)/.test(value.split('/')[0]);
    candidates.push({ prefix: full ? value : [b.base, value].filter(Boolean).join('/'), source: key });
  }
  candidates.sort((x, y) => y.prefix.length - x.prefix.length);
  const tries: string[] = [];
  for (const c of candidates) {
    if (mirrorName === c.prefix) tries.push(c.source);
    else if (mirrorName.startsWith(c.prefix + '/')) tries.push(`${c.source}/${mirrorName.slice(c.prefix.length + 1)}`);
  }
  if (mirrorName.startsWith(b.base + '/')) {
    const d = defaultInverse(mirrorName.slice(b.base.length + 1));
    if (d) tries.push(d);
  }
  for (const t of tries) {
    const r = parseNormalized(t);
    if (!r.ok || r.value.tag !== 'latest' || !r.value.implicitLatest) continue;
    if (targetName(r.value, b, { pathMapping }) === mirrorName) return r.value.name;
  }
  return undefined;
}

/** Whether a finding points under the base (a candidate mirrored reference). */
function underBase(f: Finding, b: TargetBase, pathMapping: PathMapping): boolean {
  if (f.error || !f.ref) return false;
  const name = f.ref.name;
  if (name.startsWith(b.base + '/')) return true;
  return Object.values(pathMapping).some((v) => typeof v === 'string' && /docker\.pkg\.dev(\/|$)/.test(v.split('/')[0]) && (name === v.replace(/\/+$/, '') || name.startsWith(v.replace(/\/+$/, '') + '/')));
}

function notFound(e: unknown): boolean {
  return e instanceof RegistryError && (e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN' || e.status === 404);
}

function emptySummary(): DriftReport['summary'] {
  return { 'in-sync': 0, drifted: 0, 'upstream-missing': 0, 'mirror-missing': 0, error: 0, unchecked: 0, references: 0 };
}

/**
 * Checks every mirrored reference in `files` against its upstream. Never
 * rejects for a registry problem (the entry gets status `error`); rejects
 * only for a bad base.
 */
export async function checkDrift(files: readonly DriftInputFile[], base: string | TargetBase, options: DriftOptions = {}): Promise<DriftReport> {
  const b = resolveBase(base);
  const pathMapping = options.pathMapping ?? {};
  const byMirror = new Map<string, DriftEntry>();
  const refs = new Map<DriftEntry, NormalizedReference>();
  for (const file of files) {
    for (const f of file.findings) {
      if (!underBase(f, b, pathMapping)) continue;
      const ref = f.ref!;
      let e = byMirror.get(ref.normalized);
      if (!e) {
        e = { mirror: ref.normalized, upstream: '', status: 'unchecked', references: [] };
        if (ref.tag !== undefined && !ref.hasVariables) e.tag = ref.tag;
        if (ref.digest && !ref.hasVariables) e.pinnedDigest = ref.digest;
        const up = ref.hasVariables ? undefined : upstreamName(ref.name, b, pathMapping);
        if (ref.hasVariables) e.reason = `has unresolved variables (${f.resolved})`;
        else if (!up) e.reason = `cannot tell which upstream image ${ref.name} was mirrored from`;
        else {
          e.upstream = e.tag !== undefined ? `${up}:${e.tag}` : up;
          if (e.tag === undefined) e.reason = 'pinned by digest only: there is no upstream tag to compare';
        }
        byMirror.set(ref.normalized, e);
        refs.set(e, ref);
      }
      e.references.push({ file: file.path, range: f.range, text: f.text });
    }
  }
  const entries = [...byMirror.values()];
  const toCheck = entries.filter((e) => e.upstream && e.tag !== undefined);
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  const onAbort = () => inner.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const session = options.session ?? new MirrorSession({
    insecureRegistries: options.insecureRegistries,
    credentials: options.credentials,
    allowCredentialHelpers: options.allowCredentialHelpers,
    retry: options.retry,
    dispatcher: options.dispatcher,
  });
  const copyOpts: CopyOptions = { session, signal: inner.signal };
  const upstreamCache = new Map<string, Promise<string | undefined>>();
  const upstreamDigest = (ref: string) => {
    let p = upstreamCache.get(ref);
    if (!p) {
      p = getDigest(ref, copyOpts).then(
        (d) => d.digest,
        (e) => {
          if (notFound(e)) return undefined;
          throw e;
        },
      );
      upstreamCache.set(ref, p);
    }
    return p;
  };
  let done = 0;
  try {
    await mapLimit(toCheck, Math.max(1, options.concurrency ?? 4), async (e) => {
      if (inner.signal.aborted) {
        e.status = 'error';
        e.reason = 'cancelled';
        return;
      }
      const ref = refs.get(e)!;
      const settle = <T>(p: Promise<T>) => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
      const missingIsUndefined = (p: Promise<{ digest: string }>) =>
        p.then(
          (d) => d.digest as string | undefined,
          (err) => {
            if (notFound(err)) return undefined;
            throw err;
          },
        );
      const [upR, mirrorR] = await Promise.all([
        settle(upstreamDigest(e.upstream)),
        settle(missingIsUndefined(getDigest(`${ref.name}:${e.tag}`, copyOpts))),
      ]);
      const message = (err: unknown) => (inner.signal.aborted ? 'cancelled' : (err as Error)?.message ?? String(err));
      try {
        if (!mirrorR.ok) throw mirrorR.error;
        const mirror = mirrorR.value;
        e.mirrorDigest = mirror;
        let pinnedPresent = true;
        if (e.pinnedDigest && e.pinnedDigest !== mirror) {
          pinnedPresent = (await missingIsUndefined(getDigest(`${ref.name}@${e.pinnedDigest}`, copyOpts))) !== undefined;
        }
        // A missing mirror is decided without upstream: the reference is broken either way.
        if (!mirror && !e.pinnedDigest) {
          e.status = 'mirror-missing';
          e.reason = `${ref.name}:${e.tag} is not in the mirror`;
        } else if (e.pinnedDigest && !pinnedPresent) {
          e.status = 'mirror-missing';
          e.reason = `${ref.name}@${e.pinnedDigest} is not in the mirror`;
        } else {
          if (!upR.ok) throw upR.error;
          const up = upR.value;
          e.upstreamDigest = up;
          const deployed = e.pinnedDigest ?? mirror;
          if (!up) {
            e.status = 'upstream-missing';
            e.reason = `${e.upstream} no longer exists upstream`;
          } else if (up !== deployed) {
            e.status = 'drifted';
            e.reason = `${e.upstream} is now ${up}, the mirror${e.pinnedDigest ? ' reference pins' : ' has'} ${deployed}`;
          } else {
            e.status = 'in-sync';
            delete e.reason;
          }
        }
        if (upR.ok && upR.value) e.upstreamDigest = upR.value;
      } catch (err) {
        e.status = 'error';
        e.reason = message(err);
      }
      done++;
      try {
        options.onEntry?.(e, done, toCheck.length);
      } catch {
        // ignore
      }
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const summary = emptySummary();
  for (const e of entries) {
    summary[e.status]++;
    summary.references += e.references.length;
  }
  return { target: b.base, entries, summary };
}

/** Copy pairs that bring drifted or missing mirrors back in line with upstream (for a "Re-mirror" action). */
export function remirrorPairs(report: DriftReport): { src: string; dst: string }[] {
  return report.entries
    .filter((e) => (e.status === 'drifted' || e.status === 'mirror-missing') && e.upstream && e.tag !== undefined)
    .map((e) => ({ src: e.upstream, dst: e.mirror.replace(/@.*$/, '') }));
}

/** Whether a report should fail a CI check: anything checked that is not in sync. */
export function hasDrift(report: DriftReport): boolean {
  const s = report.summary;
  return s.drifted + s['mirror-missing'] + s['upstream-missing'] + s.error > 0;
}
