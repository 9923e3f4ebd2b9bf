/**
 * Analysis: extracted references + policy -> findings. Pure (no I/O).
 *
 * A finding is third-party when its registry is not first-party under the
 * policy (Artifact Registry, gcr.io and configured registries are first-party).
 * It is ignored when the policy's ignoredImages match it or a
 * `# ar-migrate: ignore` comment is at the end of its line or on the line
 * above (see edits/ignore.ts).
 */
import { hasIgnoreComment, splitLines } from './edits/ignore';
import type { FileKind, Finding, RawReference } from './model';
import type { Policy } from './references/policy';

export function analyze(references: readonly RawReference[], policy: Policy, text: string, fileKind?: FileKind): Finding[] {
  // Most files have no ignore comment: skip the per-line checks (and splitting the text) then.
  const lines = IGNORE_HINT_RE.test(text) ? splitLines(text) : undefined;
  // Many references share an image: decide the policy once per normalised reference.
  const decided = new Map<string, { firstParty: boolean; ignored: boolean }>();
  const out: Finding[] = new Array(references.length);
  for (let i = 0; i < references.length; i++) {
    const raw = references[i];
    const ref = raw.error ? undefined : raw.ref;
    const commented = lines !== undefined && hasIgnoreComment(lines, raw, fileKind);
    // Built field by field: much cheaper than an object spread on large documents.
    const f: Finding = {
      range: raw.range,
      text: raw.text,
      resolved: raw.resolved,
      kind: raw.kind,
      pulled: raw.pulled,
      thirdParty: false,
      ignored: commented,
    };
    if (raw.ref !== undefined) f.ref = raw.ref;
    if (raw.error !== undefined) f.error = raw.error;
    if (raw.usedAt !== undefined) f.usedAt = raw.usedAt;
    if (raw.composite !== undefined) f.composite = raw.composite;
    if (ref) {
      let d = decided.get(ref.normalized);
      if (!d) {
        d = { firstParty: true, ignored: false };
        try {
          d = { firstParty: policy.isFirstParty(ref), ignored: policy.isIgnored(ref) };
        } catch {
          // A policy glob that cannot match this input is not a reason to lose the finding.
        }
        decided.set(ref.normalized, d);
      }
      f.normalized = ref.normalized;
      f.registry = ref.registry;
      f.thirdParty = !d.firstParty;
      f.ignored = commented || d.ignored;
    }
    out[i] = f;
  }
  return out;
}

const IGNORE_HINT_RE = /ar-migrate\s*:\s*ignore/i;

/** Whether a finding calls for action: a valid third-party reference that is pulled and not ignored. */
export function isActionable(f: Finding): boolean {
  return f.thirdParty && !f.ignored && f.pulled && !f.error && f.ref !== undefined;
}

/** Findings that call for action (see isActionable). */
export function actionable(findings: readonly Finding[]): Finding[] {
  return findings.filter(isActionable);
}

// ---------------------------------------------------------------------------
// Codes and messages shared by diagnostics (LSP), `scan` output and SARIF.

export const CODES = {
  thirdParty: 'third-party-image',
  firstParty: 'first-party-image',
  invalid: 'invalid-image-reference',
  yamlParse: 'yaml-parse-error',
  extract: 'extract-error',
  fileSkipped: 'file-skipped',
} as const;
export type DiagnosticCode = (typeof CODES)[keyof typeof CODES];

const REGISTRY_NAMES: Record<string, string> = {
  'docker.io': 'Docker Hub',
  'quay.io': 'Quay.io',
  'ghcr.io': 'GitHub Container Registry',
  'mcr.microsoft.com': 'Microsoft Container Registry',
  'public.ecr.aws': 'Amazon ECR Public',
  'registry.k8s.io': 'Kubernetes registry',
  'k8s.gcr.io': 'legacy Kubernetes registry',
  'registry.gitlab.com': 'GitLab Container Registry',
  'nvcr.io': 'NVIDIA NGC',
  'cgr.dev': 'Chainguard',
  'docker.elastic.co': 'Elastic',
};

/** `docker.io (Docker Hub)`, or just the host when it has no well-known name. */
export function registryLabel(registry: string): string {
  const name = REGISTRY_NAMES[registry.toLowerCase()];
  return name ? `${registry} (${name})` : registry;
}

/** The code of an extraction error: YAML syntax errors get their own. */
export function errorCode(error: { message: string; code?: string }, fileKind?: string): DiagnosticCode {
  if (error.code === CODES.yamlParse || error.code === CODES.extract) return error.code;
  // Size/depth guards are not syntax errors.
  if (/too (deep|large|long|many)|\blimit\b/i.test(error.message)) return CODES.extract;
  if (fileKind === 'yaml' && /yaml|parse|syntax|indent|mapping|sequence|scalar|document/i.test(error.message)) return CODES.yamlParse;
  return CODES.extract;
}

/** The code of a finding (undefined for first-party findings, which are not problems). */
export function findingCode(f: Finding): DiagnosticCode | undefined {
  if (f.error || !f.ref) return CODES.invalid;
  return f.thirdParty ? CODES.thirdParty : undefined;
}

/** A one-line message naming the normalised image and its registry. */
export function findingMessage(f: Finding): string {
  if (f.error || !f.normalized) return `Invalid image reference "${f.resolved}": ${f.error ?? 'cannot be parsed'}`;
  const reg = registryLabel(f.registry ?? '');
  if (!f.thirdParty) return `First-party image ${f.normalized} (${reg})`;
  const built = f.pulled ? '' : ' (built here, not pulled)';
  return `Third-party image ${f.normalized} from ${reg}${built}: not in Artifact Registry`;
}
