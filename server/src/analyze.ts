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
  let lines: string[] | undefined;
  return references.map((raw) => {
    lines ??= splitLines(text);
    const ref = raw.error ? undefined : raw.ref;
    const commented = hasIgnoreComment(lines, raw, fileKind);
    if (!ref) return { ...raw, thirdParty: false, ignored: commented };
    let firstParty = true;
    let ignoredByPolicy = false;
    try {
      firstParty = policy.isFirstParty(ref);
      ignoredByPolicy = policy.isIgnored(ref);
    } catch {
      // A policy glob that cannot match this input is not a reason to lose the finding.
    }
    return {
      ...raw,
      normalized: ref.normalized,
      registry: ref.registry,
      thirdParty: !firstParty,
      ignored: commented || ignoredByPolicy,
    };
  });
}

/** Findings that call for action: third-party, not ignored. */
export function actionable(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.thirdParty && !f.ignored && !f.error);
}
