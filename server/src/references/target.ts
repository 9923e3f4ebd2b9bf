/**
 * Target bases and where a source image goes under one: the single source of
 * truth for the CLI (mirror, migrate, drift, check), the language server
 * (`arMigrate.target`, mirror requests and commands) and gcp/ (API calls).
 *
 * A target base is an Artifact Registry Docker repository,
 * `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY` (a domain-scoped project is
 * written `example.com/my-project`), or a gcr.io-domain repository
 * (`gcr.io/PROJECT`, `eu.gcr.io/PROJECT`, ...), optionally with more path
 * below it. With `allowOtherRegistries`, any other registry path is accepted
 * too (`localhost:5000/mirror`, `registry.corp.example/mirror`): private
 * mirrors, air-gapped set-ups and tests.
 *
 * Default mapping of a source image to a path under the base (collision-free,
 * readable):
 *   docker.io/library/nginx      -> BASE/nginx
 *   docker.io/bitnami/redis      -> BASE/bitnami/redis
 *   quay.io/prometheus/node      -> BASE/quay.io/prometheus/node
 *   localhost:5000/team/app      -> BASE/localhost-5000/team/app   (":" is not allowed in a path)
 * Docker Hub namespaces are [a-z0-9] only, so they never collide with a kept
 * host (which has a "." or ":" or is "localhost"). Tags and digests are kept
 * as written; a digest can be pinned.
 */
import { redact } from '../redact';
import { NormalizedReference, ParseResult, parseReference } from './reference';

export type { ParseResult } from './reference';

/** Where mirrored images go: a repository, plus an optional path prefix inside it. */
export interface TargetBase {
  /** `us-central1-docker.pkg.dev`, `gcr.io`, or another registry's `host[:port]`. */
  host: string;
  /** `us-central1`, `us`, `europe`, ... ('' for a registry other than Artifact Registry). */
  location: string;
  /** Project ID; domain-scoped projects as `example.com:my-project` ('' for another registry). */
  project: string;
  /** Repository ID (`gcr.io`, ... for gcr.io-domain repositories; the whole path for another registry). */
  repository: string;
  /** Path inside the repository before each image ('' when none), e.g. `mirror/dockerhub`. */
  prefix: string;
  /** Canonical text: host/project-path/repository[/prefix] (host/path for another registry). */
  base: string;
  /** `projects/P/locations/L/repositories/R` ('' for another registry). */
  resourceName: string;
}

export interface TargetBaseOptions {
  /**
   * Also accept registries other than Artifact Registry (`localhost:5000/m`,
   * `registry.corp.example/mirror`). Artifact-Registry-looking input
   * (`*.pkg.dev`, gcr.io, placeholders) is still validated strictly.
   * Default false: only Artifact Registry (and gcr.io-domain) repositories.
   */
  allowOtherRegistries?: boolean;
}

export const TARGET_FORMAT = 'LOCATION-docker.pkg.dev/PROJECT/REPOSITORY';
const EXAMPLE = 'us-central1-docker.pkg.dev/my-project/docker-mirror';
const OTHER_FORMAT = 'REGISTRY/PATH';
const OTHER_EXAMPLE = 'localhost:5000/mirror';

const LOCATION_RE = /^[a-z]+(?:-[a-z]+[0-9]*)?$/;
const PROJECT_ID_RE = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REPOSITORY_RE = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** gcr.io domain hosts served by Artifact Registry repositories of the same name. */
const GCR_HOSTS: Record<string, string> = { 'gcr.io': 'us', 'us.gcr.io': 'us', 'eu.gcr.io': 'europe', 'asia.gcr.io': 'asia' };

function runbookMistake(host: string, projectPath: string): string {
  return (
    `An Artifact Registry Docker path is ${TARGET_FORMAT}[/IMAGE]: the repository is required. ` +
    `(The migration runbook's \`gcrane cp $img LOCATION-docker.pkg.dev/\${AR_PROJECT}/\${img}\` ` +
    `leaves REPOSITORY out, so the first part of each image path — "library" in library/nginx — would be taken as the repository.) ` +
    `Use e.g. ${host}/${projectPath}/docker-mirror.`
  );
}

/**
 * Parses and validates a target base. Accepts an optional `https://` or
 * `docker://` scheme, surrounding white space and trailing slashes. Errors
 * name the input, say what is wrong and what a correct value looks like
 * (placeholders, unresolved variables, tags, digests, the runbook's missing
 * REPOSITORY, display names instead of project IDs, ...).
 */
export function parseTargetBase(text: string | undefined, options: TargetBaseOptions = {}): ParseResult<TargetBase> {
  const other = options.allowOtherRegistries === true;
  const expected = other
    ? `expected ${TARGET_FORMAT} (e.g. ${EXAMPLE}) or, for another registry, ${OTHER_FORMAT} (e.g. ${OTHER_EXAMPLE})`
    : `expected ${TARGET_FORMAT}, e.g. ${EXAMPLE}`;
  if (typeof text !== 'string' || !text.trim()) return { ok: false, error: `empty target: ${expected}` };
  const input = text.trim();
  const what = other ? 'invalid target base' : 'invalid Artifact Registry target';
  const scheme = urlScheme(input);
  /** The input as shown in messages: never the user name or password. */
  const shown = withoutCredentials(input);
  /** `invalid ... "INPUT": reason`, with the expected form unless the reason already shows it. */
  const fail = (reason: string): ParseResult<TargetBase> => ({
    ok: false,
    error: `${what} "${shown}": ${reason}${reason.includes(TARGET_FORMAT) ? '' : ` (${expected})`}`,
  });

  if (userinfoEnd(input) >= 0) {
    return fail(
      'it contains credentials (USER:PASSWORD@ before the host): a target base is a registry path without scheme or credentials; ' +
        'registry credentials come from docker login / gcloud auth configure-docker (the Docker config), never from the target',
    );
  }
  const s = input.replace(/^(?:https?|docker):\/\//i, '').replace(/\/+$/, '');
  if (scheme && !/^(?:https?|docker):\/\/$/i.test(scheme)) {
    return fail(`the scheme "${scheme}" is not supported: a target base is a registry path, without a scheme (https:// and docker:// are ignored)`);
  }
  if (/\s/.test(s)) return fail('it contains whitespace');
  const variable = s.match(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/);
  if (variable) return fail(`it contains the unresolved variable ${variable[0]}: substitute the real value`);
  if (/\b(LOCATION|PROJECT|REPOSITORY|REGION)\b/.test(s)) {
    return fail(`it still contains a placeholder: replace LOCATION, PROJECT and REPOSITORY with real values, e.g. ${EXAMPLE}`);
  }
  if (s.includes('@')) return fail('it has a digest: a target base is a repository path, with no tag or digest');
  const parts = s.split('/');
  if (parts.slice(1).some((p) => p.includes(':'))) return fail('it has a tag: a target base is a repository path, with no tag or digest');
  if (parts.some((p) => p === '')) return fail('it has an empty path component');
  const host = parts[0].toLowerCase();
  const hostname = host.replace(/:[0-9]*$/, '');

  let location: string;
  let isGcr = false;
  const m = hostname.match(/^([a-z0-9-]+)-docker\.pkg\.dev$/);
  if (m || hostname.endsWith('pkg.dev') || GCR_HOSTS[hostname]) {
    if (host !== hostname) return fail(`an Artifact Registry host takes no port ("${parts[0]}")`);
  }
  if (m) {
    location = m[1];
    if (!LOCATION_RE.test(location)) return fail(`"${location}" is not an Artifact Registry location (e.g. us-central1, europe-west1, us, europe, asia)`);
  } else if (hostname === 'docker.pkg.dev' || hostname.endsWith('.pkg.dev')) {
    if (/^[a-z0-9-]+-(?:maven|npm|python|apt|yum|go|kfp)\.pkg\.dev$/.test(hostname)) {
      return fail('it is not a Docker host: Docker repositories are served at LOCATION-docker.pkg.dev');
    }
    return fail(`"${parts[0]}" is not an Artifact Registry Docker host: the host must name the location, e.g. us-central1-docker.pkg.dev (${TARGET_FORMAT})`);
  } else if (GCR_HOSTS[hostname]) {
    location = GCR_HOSTS[hostname];
    isGcr = true;
  } else if (other) {
    return parseOtherRegistry(s, host, parts, fail);
  } else {
    return fail(`it is not an Artifact Registry address: "${parts[0]}" is not an Artifact Registry Docker host (LOCATION-docker.pkg.dev, or gcr.io for gcr.io-domain repositories)`);
  }

  let rest = parts.slice(1);
  if (rest.length === 0) return fail(`it names no project or repository: ${TARGET_FORMAT}`);
  // Domain-scoped projects (example.com:my-project) appear in Docker paths as example.com/my-project.
  let project = rest[0];
  let projectPath = rest[0];
  if (project.includes('.') && rest.length >= 2 && PROJECT_ID_RE.test(rest[1])) {
    project = `${rest[0]}:${rest[1]}`;
    projectPath = `${rest[0]}/${rest[1]}`;
    rest = rest.slice(2);
  } else {
    rest = rest.slice(1);
  }
  const projectId = project.includes(':') ? project.split(':')[1] : project;
  if (!PROJECT_ID_RE.test(projectId)) {
    if (PROJECT_ID_RE.test(projectId.toLowerCase())) {
      return fail(`project ID "${projectId}" must be lowercase (use the project ID, not its display name)`);
    }
    return fail(`"${projectId}" is not a valid project ID (6-30 characters: lowercase letters, digits, hyphens; starts with a letter)`);
  }

  let repository: string;
  if (isGcr) {
    repository = hostname;
  } else {
    if (rest.length === 0) return fail(`it names no repository (the repository is missing). ${runbookMistake(host, projectPath)}`);
    repository = rest[0];
    rest = rest.slice(1);
    if (!REPOSITORY_RE.test(repository)) {
      if (/\./.test(repository) && /^[a-z0-9.-]+$/.test(repository)) {
        return fail(`"${repository}" looks like a registry host, not a repository: ${runbookMistake(host, projectPath)}`);
      }
      if (REPOSITORY_RE.test(repository.toLowerCase())) return fail(`repository "${repository}" is not valid: repository IDs must be lowercase`);
      return fail(
        `repository "${repository}" is not valid: not a valid repository ID (lowercase letters, digits and hyphens, starting with a letter, at most 63 characters)`,
      );
    }
  }
  for (const c of rest) {
    if (!PATH_COMPONENT_RE.test(c)) return fail(`path component "${c}" is not valid in an image name (lowercase letters, digits, . _ -)`);
  }
  const prefix = rest.join('/');
  const base = isGcr ? [hostname, projectPath, ...rest].join('/') : [hostname, projectPath, repository, ...rest].join('/');
  return {
    ok: true,
    value: { host: hostname, location, project, repository, prefix, base, resourceName: `projects/${project}/locations/${location}/repositories/${repository}` },
  };
}

const SCHEME_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The URL scheme `text` starts with (`https://`), or ''. */
export function urlScheme(text: string): string {
  return SCHEME_RE.exec(text)?.[0] ?? '';
}

/**
 * Where URL-style userinfo (`user:password@`, `token@`) before a registry host
 * ends in `text` (an image reference or target, with or without a scheme): the
 * index of its `@`, or -1 when there is none (see findUserinfoEnd).
 */
export function userinfoEnd(text: string): number {
  const scheme = urlScheme(text);
  const end = findUserinfoEnd(text.slice(scheme.length));
  return end < 0 ? -1 : scheme.length + end;
}

/** `text` (an image reference or target) as it may be shown: userinfo replaced by [REDACTED], tokens redacted. */
export function withoutCredentials(text: string): string {
  const end = userinfoEnd(text);
  return redact(end >= 0 ? `${urlScheme(text)}[REDACTED]${text.slice(end)}` : text);
}

/** An OCI digest at the end of a reference: `@ALGORITHM:ENCODED`. */
const DIGEST_TAIL_RE = /@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[A-Za-z0-9=_-]+$/;

/**
 * Where URL-style userinfo (`user:password@`, `token@`) ends in `text` (no
 * scheme), as the index of its `@`; -1 when there is none. An `@` counts as
 * userinfo when it comes before the first `/` or when a `/` follows it (a
 * password may itself contain `/` or `@`: the last such `@` wins); a trailing
 * `@sha256:...` is a digest, not userinfo.
 */
function findUserinfoEnd(text: string): number {
  const body = text.replace(DIGEST_TAIL_RE, '');
  const firstSlash = body.indexOf('/');
  let end = -1;
  for (let i = body.indexOf('@'); i >= 0; i = body.indexOf('@', i + 1)) {
    if (firstSlash < 0 || i < firstSlash || body.slice(i + 1).includes('/')) end = i;
  }
  return end;
}

/** `HOST[:PORT]/PATH` of a registry other than Artifact Registry. */
function parseOtherRegistry(s: string, host: string, parts: string[], fail: (reason: string) => ParseResult<TargetBase>): ParseResult<TargetBase> {
  if (!/[.:]/.test(parts[0]) && host !== 'localhost') {
    return fail(`it does not start with a registry host ("${parts[0]}" has no "." or port and is not localhost)`);
  }
  if (parts.length < 2) return fail(`it names a registry but no path under it, e.g. ${host}/mirror`);
  const parsed = parseReference(s);
  if (!parsed.ok) return fail(parsed.error);
  const path = parsed.value.path;
  return { ok: true, value: { host, location: '', project: '', repository: path, prefix: '', base: `${host}/${path}`, resourceName: '' } };
}

/** True for Artifact Registry (and gcr.io-domain) repositories: the ones Google's APIs know. */
export function isArtifactRegistryBase(base: TargetBase): boolean {
  return base.resourceName !== '';
}

/**
 * Warns when a mirror destination looks like the runbook mistake: the image's
 * own first path component sits where the repository should be
 * (`us-docker.pkg.dev/p/library/nginx` for `docker.io/library/nginx`).
 * Returns a message, or undefined when the destination looks fine.
 */
export function explainDestinationMistake(destination: string, sourceRepositoryPath: string): string | undefined {
  const parts = destination.replace(/^[a-z]+:\/\//, '').split(/[:@]/)[0].split('/');
  if (!/-docker\.pkg\.dev$/.test(parts[0] ?? '') || parts.length < 3) return undefined;
  const afterProject = parts.slice(2).join('/');
  if (afterProject === sourceRepositoryPath || afterProject.startsWith(`${sourceRepositoryPath}/`)) {
    return (
      `Destination ${destination} puts the image path directly after the project, so "${parts[2]}" is taken as the repository. ` +
      `Use ${parts[0]}/${parts[1]}/REPOSITORY/${sourceRepositoryPath} (the runbook's gcrane example leaves REPOSITORY out).`
    );
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Mapping

/** A registry host made into a valid path component: lowercased, ":" and other characters -> "-". */
export function hostPathComponent(registry: string): string {
  return (
    registry
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/([._-])[._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '') || 'registry'
  );
}

/** The default path of an image under the base (no tag): `nginx`, `bitnami/redis`, `quay.io/x/y`. */
export function defaultTargetPath(ref: Pick<NormalizedReference, 'registry' | 'repository'>): string {
  if (ref.registry === 'docker.io') {
    return ref.repository.startsWith('library/') && ref.repository.indexOf('/', 8) < 0 ? ref.repository.slice(8) : ref.repository;
  }
  return `${hostPathComponent(ref.registry)}/${ref.repository}`;
}

/**
 * Path mapping: keys are normalised name prefixes at `/` boundaries
 * (`docker.io/library/nginx`, `docker.io/bitnami`, `quay.io`); values are the
 * replacement path under the base (`''` drops the prefix), or a full
 * `...docker.pkg.dev/...` name to leave the base. Longest key wins.
 */
export type PathMapping = Record<string, string>;

export interface TargetOptions {
  pathMapping?: PathMapping;
}

/** The target repository name (no tag) of a source image. */
export function targetName(ref: Pick<NormalizedReference, 'registry' | 'repository' | 'name'>, base: TargetBase, options: TargetOptions = {}): string {
  const mapping = options.pathMapping ?? {};
  let best: { key: string; value: string } | undefined;
  for (const [rawKey, value] of Object.entries(mapping)) {
    if (typeof value !== 'string') continue;
    const key = rawKey.trim().replace(/\/+$/, '');
    if (!key) continue;
    if ((ref.name === key || ref.name.startsWith(key + '/')) && (!best || key.length > best.key.length)) best = { key, value };
  }
  if (best) {
    const rest = ref.name.slice(best.key.length).replace(/^\//, '');
    const value = best.value.trim().replace(/^\/+|\/+$/g, '');
    const joined = [value, rest].filter(Boolean).join('/');
    if (/docker\.pkg\.dev(\/|$)/.test(value.split('/')[0])) return joined;
    return [base.base, joined].filter(Boolean).join('/');
  }
  return `${base.base}/${defaultTargetPath(ref)}`;
}

export interface ReferenceTargetOptions extends TargetOptions {
  /** Pin this digest (`sha256:...`), replacing a written one. */
  digest?: string;
}

/** The full target reference: target name + the tag and digest as written (no implicit `:latest` added). */
export function targetReference(ref: NormalizedReference, base: TargetBase, options: ReferenceTargetOptions = {}): string {
  const tag = ref.implicitLatest ? undefined : ref.tag;
  const digest = options.digest ?? ref.digest;
  return targetName(ref, base, options) + (tag !== undefined ? `:${tag}` : '') + (digest ? `@${digest}` : '');
}
