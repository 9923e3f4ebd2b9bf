/**
 * Where a source image goes under a target base, with the same path mapping
 * as the quick fix (references/target.ts): Docker Hub `nginx` -> BASE/nginx,
 * `bitnami/redis` -> BASE/bitnami/redis, other registries keep their host:
 * `quay.io/x/y` -> BASE/quay.io/x/y. The tag and digest are kept.
 *
 * Any registry base is accepted here (Artifact Registry, or a loopback /
 * private registry for tests and air-gapped mirrors).
 */
import { PathMapping, parseTargetBase, ParseResult, targetReference, TargetBase } from '../references/target';
import type { NormalizedReference } from '../references/reference';

export type BaseResult = ParseResult<TargetBase>;

/** `parseTargetBase(input, { allowOtherRegistries: true })`: Artifact Registry bases strictly, or `HOST[:PORT]/PATH`. */
export function parseMirrorBase(input: string): BaseResult {
  return parseTargetBase(input, { allowOtherRegistries: true });
}

/** The target reference of a normalised source under `base` (e.g. `BASE/nginx:1.25`). */
export function mapToTarget(ref: NormalizedReference, base: TargetBase, pathMapping?: PathMapping): string {
  return targetReference(ref, base, { pathMapping });
}
