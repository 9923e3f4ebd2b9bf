/**
 * Where a source image goes under a target base, with the same path mapping
 * as the quick fix (server/src/edits/rewrite.ts): Docker Hub `nginx` ->
 * BASE/nginx, `bitnami/redis` -> BASE/bitnami/redis, other registries keep
 * their host: `quay.io/x/y` -> BASE/quay.io/x/y. The tag and digest are kept.
 *
 * Any registry base is accepted here (Artifact Registry, or a loopback /
 * private registry for tests and air-gapped mirrors).
 */
import { parseTargetBase, PathMapping, targetReference, TargetBase } from '../edits/rewrite';
import { NormalizedReference, parseReference } from '../references/reference';

export type BaseResult = { ok: true; value: TargetBase } | { ok: false; error: string };

/** Parses `HOST[:PORT]/PATH` as a target base (Artifact Registry bases are validated strictly). */
export function parseMirrorBase(input: string): BaseResult {
  const s = (input ?? '').trim().replace(/^(?:https?|docker):\/\//i, '').replace(/\/+$/, '');
  if (/-docker\.pkg\.dev(\/|$)/i.test(s.split('/')[0] ?? '')) {
    const r = parseTargetBase(s);
    return r.ok ? r : { ok: false, error: r.error };
  }
  const parsed = parseReference(s);
  if (!parsed.ok || !parsed.value.domain || parsed.value.tag || parsed.value.digest) {
    return { ok: false, error: `invalid target base "${input}": expected REGISTRY/PATH, e.g. us-docker.pkg.dev/my-project/mirror or localhost:5000/mirror${parsed.ok ? '' : ` (${parsed.error})`}` };
  }
  const host = parsed.value.domain.toLowerCase();
  return { ok: true, value: { host, location: '', project: '', repository: parsed.value.path, prefix: '', base: `${host}/${parsed.value.path}` } };
}

/** The target reference of a normalised source under `base` (e.g. `BASE/nginx:1.25`). */
export function mapToTarget(ref: NormalizedReference, base: TargetBase, pathMapping?: PathMapping): string {
  return targetReference(ref, base, { pathMapping });
}
