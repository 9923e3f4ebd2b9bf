/**
 * Artifact Registry: target bases (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY),
 * and the REST API v1 calls ar-migrate needs (repositories.get/create with the
 * long-running operation, getIamPolicy, testIamPermissions).
 */
import { abortableSleep, abortError, GcpApi } from './auth';
import { GcpError, toGcpError } from './errors';
import type { IamPolicy } from './iam';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Where mirrored images go: an Artifact Registry Docker repository, plus an optional path prefix inside it. */
export interface TargetBase {
  /** `us-central1-docker.pkg.dev` (or `gcr.io` for gcr.io-domain repositories). */
  host: string;
  /** `us-central1`, `us`, `europe`, ... */
  location: string;
  /** Project ID; domain-scoped projects as `example.com:my-project`. */
  project: string;
  /** Repository ID. */
  repository: string;
  /** Path inside the repository before each image ('' when none), e.g. `mirror/dockerhub`. */
  prefix: string;
  /** Canonical text: host/project-path/repository[/prefix]. */
  base: string;
  /** `projects/P/locations/L/repositories/R`. */
  resourceName: string;
}

const LOCATION_RE = /^[a-z]+(?:-[a-z]+[0-9]*)?$/;
const PROJECT_ID_RE = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REPOSITORY_RE = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** gcr.io domain hosts served by Artifact Registry repositories of the same name. */
const GCR_HOSTS: Record<string, string> = { 'gcr.io': 'us', 'us.gcr.io': 'us', 'eu.gcr.io': 'europe', 'asia.gcr.io': 'asia' };

export const TARGET_FORMAT = 'LOCATION-docker.pkg.dev/PROJECT/REPOSITORY';

function runbookMistake(input: string, host: string, project: string): string {
  return (
    `"${input}" names no repository. An Artifact Registry Docker path is ${TARGET_FORMAT}[/IMAGE]: ` +
    `the repository is required. (The migration runbook's \`gcrane cp $img LOCATION-docker.pkg.dev/\${AR_PROJECT}/\${img}\` ` +
    `leaves REPOSITORY out, so the first part of each image path — "library" in library/nginx — would be taken as the repository.) ` +
    `Use e.g. ${host}/${project}/docker-mirror.`
  );
}

/**
 * Parses and validates a target base. Always the full name including the
 * repository; a path prefix after it is allowed. Errors say what is wrong and
 * what a correct value looks like.
 */
export function parseTargetBase(text: string): ParseResult<TargetBase> {
  const fail = (error: string): ParseResult<TargetBase> => ({ ok: false, error });
  if (typeof text !== 'string' || !text.trim()) return fail(`empty target: expected ${TARGET_FORMAT}`);
  const input = text.trim();
  let s = input.replace(/^(?:https?|docker):\/\//i, '').replace(/\/+$/, '');
  if (/\s/.test(s)) return fail(`"${input}" contains whitespace: expected ${TARGET_FORMAT}`);
  const variable = s.match(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/);
  if (variable) {
    return fail(`"${input}" contains the unresolved variable ${variable[0]}: substitute the real value (${TARGET_FORMAT})`);
  }
  if (/\b(LOCATION|PROJECT|REPOSITORY|REGION)\b/.test(s)) {
    return fail(`"${input}" still contains a placeholder: replace LOCATION, PROJECT and REPOSITORY with real values, e.g. us-central1-docker.pkg.dev/my-project/docker-mirror`);
  }
  if (s.includes('@')) return fail(`"${input}" has a digest: a target base is a repository path, without tag or digest`);
  const parts = s.split('/');
  const host = parts[0].toLowerCase();
  if (parts.slice(1).some((p) => p.includes(':'))) {
    return fail(`"${input}" has a tag: a target base is a repository path, without tag or digest`);
  }
  if (parts.some((p) => p === '')) return fail(`"${input}" has an empty path component`);
  s = [host, ...parts.slice(1)].join('/');

  let location: string;
  let isGcr = false;
  const m = host.match(/^([a-z0-9-]+)-docker\.pkg\.dev$/);
  if (m) {
    location = m[1];
    if (!LOCATION_RE.test(location)) return fail(`"${input}": "${location}" is not an Artifact Registry location (e.g. us-central1, europe-west1, us, europe, asia)`);
  } else if (host === 'docker.pkg.dev' || host.endsWith('.pkg.dev')) {
    if (/^[a-z0-9-]+-(?:maven|npm|python|apt|yum|go)\.pkg\.dev$/.test(host)) {
      return fail(`"${input}" is not a Docker host: Docker repositories are served at LOCATION-docker.pkg.dev`);
    }
    return fail(`"${input}": the host must name the location, e.g. us-central1-docker.pkg.dev (expected ${TARGET_FORMAT})`);
  } else if (GCR_HOSTS[host]) {
    location = GCR_HOSTS[host];
    isGcr = true;
  } else {
    return fail(`"${input}" is not an Artifact Registry address: expected ${TARGET_FORMAT}, e.g. us-central1-docker.pkg.dev/my-project/docker-mirror`);
  }

  let rest = parts.slice(1);
  if (rest.length === 0) return fail(`"${input}" names no project or repository: expected ${TARGET_FORMAT}`);
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
    if (projectId.toLowerCase() !== projectId) return fail(`"${input}": project ID "${projectId}" must be lowercase (use the project ID, not its display name)`);
    return fail(`"${input}": "${projectId}" is not a valid project ID (6-30 characters: lowercase letters, digits, hyphens; starts with a letter)`);
  }

  let repository: string;
  if (isGcr) {
    repository = host;
  } else {
    if (rest.length === 0) return fail(runbookMistake(input, host, projectPath));
    repository = rest[0];
    rest = rest.slice(1);
    if (!REPOSITORY_RE.test(repository)) {
      if (/\./.test(repository) && /^[a-z0-9.-]+$/.test(repository)) {
        return fail(
          `"${input}": "${repository}" looks like a registry host, not a repository: ${runbookMistake(`${host}/${projectPath}`, host, projectPath).replace(/^"[^"]*" names no repository\. /, '')}`,
        );
      }
      if (repository.toLowerCase() !== repository) return fail(`"${input}": repository ID "${repository}" must be lowercase`);
      return fail(
        `"${input}": "${repository}" is not a valid repository ID (lowercase letters, digits and hyphens, starting with a letter, at most 63 characters)`,
      );
    }
  }
  for (const c of rest) {
    if (!PATH_COMPONENT_RE.test(c)) return fail(`"${input}": path component "${c}" is not valid in an image name (lowercase letters, digits, . _ -)`);
  }
  const prefix = rest.join('/');
  const base = isGcr ? [host, projectPath, ...rest].join('/') : [host, projectPath, repository, ...rest].join('/');
  return {
    ok: true,
    value: {
      host,
      location,
      project,
      repository,
      prefix,
      base,
      resourceName: `projects/${project}/locations/${location}/repositories/${repository}`,
    },
  };
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
// REST API v1

export interface RepositoryRef {
  project: string;
  location: string;
  repository: string;
}

/** projects.locations.repositories resource (fields ar-migrate reads). */
export interface Repository {
  name: string;
  format?: string;
  mode?: string;
  description?: string;
  createTime?: string;
  updateTime?: string;
  sizeBytes?: string;
  labels?: Record<string, string>;
  [k: string]: unknown;
}

/** google.longrunning.Operation */
export interface Operation<T = unknown> {
  name: string;
  done?: boolean;
  metadata?: Record<string, unknown>;
  response?: T;
  error?: { code?: number; message?: string; details?: unknown[] };
}

export interface OperationProgress {
  /** 'started' after the create call, 'waiting' after each poll still running, 'done' at the end. */
  phase: 'started' | 'waiting' | 'done';
  operation: string;
  /** Polls made so far. */
  polls: number;
  elapsedMs: number;
  message: string;
}

export interface WaitOptions {
  signal?: AbortSignal;
  onProgress?: (p: OperationProgress) => void;
  /** First poll delay in ms (then x1.5, capped by maxPollIntervalMs). Default 1000. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Give up after this long (the operation keeps running server-side). Default 10 minutes. */
  timeoutMs?: number;
}

export const UPLOAD_PERMISSION = 'artifactregistry.repositories.uploadArtifacts';
export const DOWNLOAD_PERMISSION = 'artifactregistry.repositories.downloadArtifacts';

function repoPath(r: RepositoryRef): string {
  return `/v1/projects/${encodeURIComponent(r.project)}/locations/${encodeURIComponent(r.location)}/repositories/${encodeURIComponent(r.repository)}`;
}

export function repositoryDisplay(r: RepositoryRef): string {
  return `${r.repository} (project ${r.project}, location ${r.location})`;
}

export class ArtifactRegistry {
  constructor(private readonly api: GcpApi) {}

  /** repositories.get; undefined when the repository does not exist. */
  getRepository(r: RepositoryRef, signal?: AbortSignal): Promise<Repository | undefined> {
    return this.api.getOrUndefined<Repository>('artifactRegistry', {
      path: repoPath(r),
      signal,
      action: `read repository ${repositoryDisplay(r)}`,
      project: r.project,
    });
  }

  /** repositories.create (format DOCKER), then waits for the long-running operation. */
  async createRepository(
    r: RepositoryRef,
    options: WaitOptions & { description?: string; labels?: Record<string, string> } = {},
  ): Promise<Repository> {
    const op = await this.api.call<Operation<Repository>>('artifactRegistry', {
      method: 'POST',
      path: `/v1/projects/${encodeURIComponent(r.project)}/locations/${encodeURIComponent(r.location)}/repositories`,
      query: { repositoryId: r.repository },
      body: {
        format: 'DOCKER',
        description: options.description ?? 'Images mirrored by ar-migrate',
        ...(options.labels ? { labels: options.labels } : {}),
      },
      signal: options.signal,
      action: `create repository ${repositoryDisplay(r)}`,
      project: r.project,
    });
    const done = await this.waitForOperation(op, { ...options }, `create repository ${repositoryDisplay(r)}`, r.project);
    const response = done.response as Repository | undefined;
    if (response && typeof response.name === 'string') return response;
    // Some operations carry no response body: read the repository back.
    const got = await this.getRepository(r, options.signal);
    if (!got) throw new GcpError('unknown', `Repository ${repositoryDisplay(r)} was reported created but cannot be read back.`);
    return got;
  }

  /** Polls operations.get with backoff until done; throws the operation's error, or on cancellation/timeout. */
  async waitForOperation<T>(op: Operation<T>, options: WaitOptions, action: string, project?: string): Promise<Operation<T>> {
    const start = Date.now();
    const timeoutMs = options.timeoutMs ?? 10 * 60_000;
    let delay = options.pollIntervalMs ?? 1000;
    const maxDelay = options.maxPollIntervalMs ?? 10_000;
    let polls = 0;
    let current = op;
    const report = (phase: OperationProgress['phase'], message: string) =>
      options.onProgress?.({ phase, operation: current.name, polls, elapsedMs: Date.now() - start, message });
    report('started', `${action}: operation ${current.name} started`);
    while (!current.done) {
      if (Date.now() - start > timeoutMs) {
        throw new GcpError(
          'unavailable',
          `Timed out after ${Math.round(timeoutMs / 1000)} s waiting to ${action}; operation ${current.name} is still running (check again later).`,
        );
      }
      try {
        await abortableSleep(delay, options.signal);
      } catch {
        throw new GcpError('cancelled', `Cancelled while waiting to ${action}; operation ${current.name} keeps running on Google's side.`);
      }
      delay = Math.min(maxDelay, Math.round(delay * 1.5));
      polls++;
      try {
        current = await this.api.call<Operation<T>>('artifactRegistry', {
          path: `/v1/${current.name.split('/').map(encodeURIComponent).join('/')}`,
          signal: options.signal,
          action: `check operation ${current.name}`,
          project,
        });
      } catch (err) {
        if (err instanceof GcpError && err.kind === 'cancelled') {
          throw new GcpError('cancelled', `Cancelled while waiting to ${action}; operation ${op.name} keeps running on Google's side.`);
        }
        throw err;
      }
      if (!current.done) report('waiting', `${action}: still running (${Math.round((Date.now() - start) / 1000)} s)`);
    }
    report('done', `${action}: done`);
    if (current.error) {
      throw toGcpError(
        { response: { status: httpStatusOf(current.error.code), data: { error: { ...current.error, code: httpStatusOf(current.error.code) } } } },
        { action, project },
      );
    }
    return current;
  }

  /** repositories.testIamPermissions: which of `permissions` the caller holds on the repository. */
  async testIamPermissions(r: RepositoryRef, permissions: string[], signal?: AbortSignal): Promise<string[]> {
    const res = await this.api.call<{ permissions?: string[] }>('artifactRegistry', {
      method: 'POST',
      path: `${repoPath(r)}:testIamPermissions`,
      body: { permissions },
      signal,
      action: `test your permissions on repository ${repositoryDisplay(r)}`,
      project: r.project,
    });
    return res.permissions ?? [];
  }

  /** repositories.getIamPolicy (policy version 3). */
  getIamPolicy(r: RepositoryRef, signal?: AbortSignal): Promise<IamPolicy> {
    return this.api.call<IamPolicy>('artifactRegistry', {
      path: `${repoPath(r)}:getIamPolicy`,
      query: { 'options.requestedPolicyVersion': 3 },
      signal,
      action: `read the IAM policy of repository ${repositoryDisplay(r)}`,
      project: r.project,
    });
  }
}

/** google.rpc.Code -> HTTP status, for operation errors. */
function httpStatusOf(code?: number): number {
  const map: Record<number, number> = { 3: 400, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 13: 500, 14: 503, 16: 401 };
  return code !== undefined ? map[code] ?? 500 : 500;
}

export type EnsureStatus = 'exists' | 'created' | 'missing' | 'not-docker' | 'not-standard';

export interface EnsureResult {
  status: EnsureStatus;
  repository?: Repository;
  message: string;
  /** The command that fixes it, when status is a problem. */
  fix?: string;
}

export function createRepositoryCommand(t: RepositoryRef): string {
  return `gcloud artifacts repositories create ${t.repository} --repository-format=docker --location=${t.location} --project=${t.project}`;
}

/**
 * Checks that the target repository exists and is a standard Docker
 * repository; with `create`, creates it (waiting on the operation, with
 * progress and cancellation).
 */
export async function ensureRepository(
  ar: ArtifactRegistry,
  t: RepositoryRef,
  options: WaitOptions & { create?: boolean; description?: string } = {},
): Promise<EnsureResult> {
  if (options.signal?.aborted) throw toGcpError(abortError(), { action: 'check the repository' });
  let repo = await ar.getRepository(t, options.signal);
  let created = false;
  if (!repo) {
    if (!options.create) {
      return {
        status: 'missing',
        message:
          `Repository ${repositoryDisplay(t)} does not exist.` +
          (t.repository === 'library'
            ? ' ("library" is usually part of a Docker Hub image path: is the REPOSITORY part missing from the target? See the gcrane note in the runbook.)'
            : ''),
        fix: createRepositoryCommand(t),
      };
    }
    try {
      repo = await ar.createRepository(t, options);
      created = true;
    } catch (err) {
      if (err instanceof GcpError && err.kind === 'already-exists') {
        repo = await ar.getRepository(t, options.signal);
        if (!repo) throw err;
      } else throw err;
    }
  }
  if (repo.format && repo.format !== 'DOCKER') {
    return {
      status: 'not-docker',
      repository: repo,
      message: `Repository ${repositoryDisplay(t)} exists but its format is ${repo.format}, not DOCKER: images cannot be pushed to it. Choose another repository name.`,
    };
  }
  if (repo.mode && repo.mode !== 'STANDARD_REPOSITORY' && repo.mode !== 'MODE_UNSPECIFIED') {
    return {
      status: 'not-standard',
      repository: repo,
      message: `Repository ${repositoryDisplay(t)} is a ${repo.mode.replace(/_REPOSITORY$/, '').toLowerCase()} repository: images cannot be pushed to it. Use a standard Docker repository.`,
    };
  }
  return {
    status: created ? 'created' : 'exists',
    repository: repo,
    message: created ? `Created Docker repository ${repositoryDisplay(t)}.` : `Repository ${repositoryDisplay(t)} exists and is a Docker repository.`,
  };
}
