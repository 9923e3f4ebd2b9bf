/**
 * Artifact Registry: the REST API v1 calls ar-migrate needs (repositories.get/create with the
 * long-running operation, getIamPolicy, testIamPermissions).
 */
import { abortableSleep, abortError, GcpApi } from './auth';
import { GcpError, toGcpError } from './errors';
import type { IamPolicy } from './iam';

// Target bases are parsed in references/target.ts (one parser for the CLI, the
// language server and the API calls); re-exported for existing importers.
export { explainDestinationMistake, parseTargetBase, TARGET_FORMAT } from '../references/target';
export type { ParseResult, TargetBase } from '../references/target';

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
