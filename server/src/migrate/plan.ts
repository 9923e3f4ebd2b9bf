/**
 * Migration planning (pure, no I/O): findings per file -> the images to mirror
 * (grouped by normalised reference), their targets under the base, and the
 * references each one rewrites. References that cannot be migrated
 * automatically (unresolved variables, build outputs) become skipped images
 * with a reason; first-party, ignored and invalid references are left out.
 */
import type { Finding } from '../model';
import { globToRegExp } from '../references/policy';
import { familiarName, NormalizedReference, parseNormalized } from '../references/reference';
import { parseTargetBase, PathMapping, targetName, targetReference, TargetBase } from '../references/target';

/** A file as the planner needs it: its path, the text the findings were computed on, the findings. */
export interface PlanInputFile {
  /** Absolute path. */
  path: string;
  /** The text the findings' ranges refer to (rewrites apply to it; a file that changed since is skipped). */
  text: string;
  findings: readonly Finding[];
}

export interface PlanOptions {
  /** `.ar-migrate.json` pathMapping / arMigrate.pathMapping. */
  pathMapping?: PathMapping;
  /** Rewrite to `target:tag@digest` with the verified digest. */
  pinDigest?: boolean;
  /**
   * Only these images: a normalised or familiar name (`nginx`,
   * `docker.io/library/nginx`), optionally with a tag (`nginx:1.27`), or a glob
   * over those forms (`quay.io/**`).
   */
  only?: readonly string[];
}

export interface PlannedReference {
  file: string;
  finding: Finding;
}

export type PlannedImageStatus = 'pending' | 'skipped';

export interface PlannedImage {
  /** Normalised source reference copied, e.g. `docker.io/library/nginx:1.27` (the text with variables for skipped ones). */
  image: string;
  /** Target reference copied to, e.g. `us-docker.pkg.dev/p/r/nginx:1.27` ('' when skipped). */
  target: string;
  /** Target repository name (no tag) the references are rewritten to. */
  targetName: string;
  status: PlannedImageStatus;
  /** Why a skipped image is skipped. */
  reason?: string;
  references: PlannedReference[];
  /** Files (absolute paths) holding the references, in first-seen order. */
  files: string[];
}

export interface MigrationPlan {
  base: TargetBase;
  options: PlanOptions;
  images: PlannedImage[];
  /** Input files by path (only files with at least one planned reference). */
  files: Map<string, PlanInputFile>;
  /** --only patterns that matched no image. */
  unmatchedOnly: string[];
  /** References that already point under the base (migrated before). */
  alreadyMigrated: PlannedReference[];
}

export type BaseInput = string | TargetBase;

/**
 * Parses the target base: an Artifact Registry repository
 * (`LOCATION-docker.pkg.dev/PROJECT/REPOSITORY[/PATH]`, validated strictly), or
 * another registry path such as a private mirror (`registry.corp/mirror`,
 * `localhost:5000/mirror`). Throws an Error with a clear message.
 */
export function resolveBase(base: BaseInput): TargetBase {
  if (typeof base !== 'string') return base;
  const r = parseTargetBase(base, { allowOtherRegistries: true });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

interface OnlyMatcher {
  pattern: string;
  test(ref: NormalizedReference): boolean;
}

function onlyMatchers(patterns: readonly string[]): OnlyMatcher[] {
  return patterns
    .map((p) => p.trim())
    .filter(Boolean)
    .map((pattern) => {
      const forms = (ref: NormalizedReference) => {
        const fam = familiarName(ref);
        const tag = ref.tag !== undefined ? `:${ref.tag}` : '';
        return [ref.name, ref.normalized, fam, fam + tag, ref.name + tag];
      };
      if (/[*?]/.test(pattern)) {
        const re = globToRegExp(pattern);
        return { pattern, test: (ref) => forms(ref).some((c) => re.test(c)) };
      }
      const parsed = parseNormalized(pattern);
      if (!parsed.ok) {
        return { pattern, test: (ref) => forms(ref).includes(pattern) };
      }
      const p = parsed.value;
      return {
        pattern,
        test: (ref) => {
          if (ref.name !== p.name) return false;
          if (p.digest) return ref.digest === p.digest;
          if (!p.implicitLatest) return ref.tag === p.tag;
          return true;
        },
      };
    });
}

/** Why a third-party, non-ignored, valid reference cannot be migrated automatically (undefined when it can). */
export function skipReason(f: Finding): string | undefined {
  if (!f.pulled) return 'built here (e.g. compose `build:`), not pulled: nothing to mirror';
  if (f.ref?.hasVariables) return `has unresolved variables (${f.resolved}): set a default (ARG X=image:tag) or rewrite it by hand`;
  return undefined;
}

/** Whether a finding is a candidate for migration at all (third-party, not ignored, valid). */
export function isCandidate(f: Finding): boolean {
  return f.thirdParty && !f.ignored && !f.error && Boolean(f.ref);
}

/**
 * Groups the migratable references by image and maps each image to its target.
 * Images are ordered by first appearance (file order, then position).
 */
export function planMigration(files: readonly PlanInputFile[], base: BaseInput, options: PlanOptions = {}): MigrationPlan {
  const b = resolveBase(base);
  const matchers = onlyMatchers(options.only ?? []);
  const used = new Set<string>();
  const byKey = new Map<string, PlannedImage>();
  const planFiles = new Map<string, PlanInputFile>();
  const alreadyMigrated: PlannedReference[] = [];
  for (const file of files) {
    for (const f of file.findings) {
      if (!f.error && f.ref && !f.ignored && f.ref.name.startsWith(b.base + '/')) {
        alreadyMigrated.push({ file: file.path, finding: f });
        continue;
      }
      if (!isCandidate(f)) continue;
      const ref = f.ref!;
      if (matchers.length) {
        const hit = matchers.filter((m) => m.test(ref));
        if (hit.length === 0) continue;
        for (const m of hit) used.add(m.pattern);
      }
      const reason = skipReason(f);
      const key = reason ? `skip:${ref.normalized}:${f.pulled}` : ref.normalized;
      let img = byKey.get(key);
      if (!img) {
        img = reason
          ? { image: ref.normalized, target: '', targetName: '', status: 'skipped', reason, references: [], files: [] }
          : {
              image: ref.normalized,
              target: targetReference(ref, b, { pathMapping: options.pathMapping }),
              targetName: targetName(ref, b, { pathMapping: options.pathMapping }),
              status: 'pending',
              references: [],
              files: [],
            };
        // A written :latest-less reference copies `latest`: name it so.
        if (!reason && ref.implicitLatest) img.target = `${img.targetName}:latest`;
        byKey.set(key, img);
      }
      img.references.push({ file: file.path, finding: f });
      if (!img.files.includes(file.path)) img.files.push(file.path);
      planFiles.set(file.path, file);
    }
  }
  return {
    base: b,
    options: { ...options },
    images: [...byKey.values()],
    files: planFiles,
    unmatchedOnly: matchers.map((m) => m.pattern).filter((p) => !used.has(p)),
    alreadyMigrated,
  };
}
