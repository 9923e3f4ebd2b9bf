/**
 * Shared data shapes of the core. Positions are 0-based lines and UTF-16
 * character offsets (LSP convention); the CLI converts to 1-based on output.
 */
import type { TemplateReference } from './references/reference';

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

/** Where a reference was found (the corpus vocabulary). */
export type ReferenceKind =
  | 'dockerfile-from'
  | 'dockerfile-copy-from' // COPY --from=image, RUN --mount=...,from=image
  | 'dockerfile-arg' // FROM $X where the image text is the default of ARG X (range at the ARG value)
  | 'k8s'
  | 'cloudrun'
  | 'compose'
  | 'cloudbuild'
  | 'github-actions'
  | 'gitlab-ci'
  | 'kustomize'
  | 'helm-values'
  | 'other-yaml';

export type FileKind = 'dockerfile' | 'yaml' | 'unknown';

/** A reference as extracted from a file, before any policy is applied. */
export interface RawReference {
  /** Exactly the characters of `text` in the document (quotes excluded). */
  range: Range;
  /** The characters as written. */
  text: string;
  /** After variable substitution (Dockerfile ARG defaults, compose ${VAR:-default}); unresolved variables kept. */
  resolved: string;
  /** Parse + normalisation of `resolved`; absent when `error` is set. */
  ref?: TemplateReference;
  /** Why `resolved` is not a valid reference (an `invalid-image-reference` diagnostic). */
  error?: string;
  kind: ReferenceKind;
  /** False for build outputs (compose image with build:, ...). */
  pulled: boolean;
  /** For Dockerfile ARG-sourced references: the range of the FROM instruction that uses it. */
  usedAt?: Range;
  /**
   * For references assembled from several scalars (Helm values `repository` + `tag`,
   * kustomize `newName` + `newTag`): the image as a whole, for display. The range
   * still covers only `text`.
   */
  composite?: boolean;
}

export interface ExtractError {
  /** 0-based line the problem is on. */
  line: number;
  message: string;
}

export interface ExtractResult {
  fileKind: FileKind;
  references: RawReference[];
  errors: ExtractError[];
}

/** A reference after the policy: what diagnostics, the CLI and rewrites use. */
export interface Finding extends RawReference {
  /** Normalised full reference, e.g. docker.io/library/nginx:1.27 (undefined when invalid). */
  normalized?: string;
  registry?: string;
  thirdParty: boolean;
  /** Silenced by a `# ar-migrate: ignore` comment or the ignored-images setting. */
  ignored: boolean;
}
