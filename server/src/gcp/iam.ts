/**
 * IAM: Resource Manager (projects.get, projects.getIamPolicy,
 * projects.testIamPermissions), IAM roles.get, and the evaluation "can this
 * principal download from that repository?" over repository + project policies.
 */
import { GcpApi } from './auth';
import { GcpError } from './errors';

export interface IamBinding {
  role: string;
  members?: string[];
  condition?: { expression?: string; title?: string; description?: string };
}

export interface IamPolicy {
  version?: number;
  etag?: string;
  bindings?: IamBinding[];
}

export interface Project {
  projectId: string;
  projectNumber: string;
  name?: string;
  lifecycleState?: string;
}

export interface Role {
  name: string;
  title?: string;
  includedPermissions?: string[];
  stage?: string;
  deleted?: boolean;
}

export class ResourceManager {
  constructor(private readonly api: GcpApi) {}

  /** projects.get (v1): the project number and ID. */
  getProject(projectId: string, signal?: AbortSignal): Promise<Project> {
    return this.api.call<Project>('resourceManager', {
      path: `/v1/projects/${encodeURIComponent(projectId)}`,
      signal,
      action: `read project ${projectId}`,
      project: projectId,
    });
  }

  /** projects.getIamPolicy (v1, POST .../projects/P:getIamPolicy). */
  getIamPolicy(projectId: string, signal?: AbortSignal): Promise<IamPolicy> {
    return this.api.call<IamPolicy>('resourceManager', {
      method: 'POST',
      path: `/v1/projects/${encodeURIComponent(projectId)}:getIamPolicy`,
      body: { options: { requestedPolicyVersion: 3 } },
      signal,
      action: `read the IAM policy of project ${projectId}`,
      project: projectId,
    });
  }

  /** projects.testIamPermissions: which of `permissions` the caller holds on the project. */
  async testIamPermissions(projectId: string, permissions: string[], signal?: AbortSignal): Promise<string[]> {
    const res = await this.api.call<{ permissions?: string[] }>('resourceManager', {
      method: 'POST',
      path: `/v1/projects/${encodeURIComponent(projectId)}:testIamPermissions`,
      body: { permissions },
      signal,
      action: `test your permissions on project ${projectId}`,
      project: projectId,
    });
    return res.permissions ?? [];
  }
}

export class Iam {
  private readonly cache = new Map<string, Promise<Role>>();
  constructor(private readonly api: GcpApi) {}

  /** roles.get for `roles/X`, `projects/P/roles/X` or `organizations/O/roles/X` (cached). */
  getRole(name: string, signal?: AbortSignal): Promise<Role> {
    let p = this.cache.get(name);
    if (!p) {
      p = this.api.call<Role>('iam', {
        path: `/v1/${name.split('/').map(encodeURIComponent).join('/')}`,
        signal,
        action: `read IAM role ${name}`,
        project: name.startsWith('projects/') ? name.split('/')[1] : undefined,
      });
      p.catch(() => this.cache.delete(name));
      this.cache.set(name, p);
    }
    return p;
  }
}

/** Project IDs, domain-scoped ones (`example.com:my-project`) included. */
export const PROJECT_ID_RE = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** An error message when `p` is not a valid project ID, else undefined. */
export function validateProjectId(p: string): string | undefined {
  return PROJECT_ID_RE.test(p) ? undefined : `"${p}" is not a valid project ID (6-30 lowercase letters, digits, hyphens; starts with a letter)`;
}

// ---------------------------------------------------------------------------
// Principals

/** Normalises a principal: `serviceAccount:x@y`, `user:`, `group:`, ... A bare email gets its type guessed. */
export function normalizeMember(text: string): string {
  const t = text.trim();
  if (/^(serviceAccount|user|group|domain|principal|principalSet|deleted:\w+):/i.test(t) || t === 'allUsers' || t === 'allAuthenticatedUsers') {
    const colon = t.indexOf(':');
    if (colon < 0) return t;
    const kind = t.slice(0, colon);
    const rest = t.slice(colon + 1);
    const k = kind.toLowerCase() === 'serviceaccount' ? 'serviceAccount' : kind;
    return /^(serviceAccount|user|group|domain)$/.test(k) ? `${k}:${rest.toLowerCase()}` : `${k}:${rest}`;
  }
  if (/^[^@\s]+@[^@\s]+$/.test(t)) {
    return /\.gserviceaccount\.com$/i.test(t) ? `serviceAccount:${t.toLowerCase()}` : `user:${t.toLowerCase()}`;
  }
  return t;
}

/** Checks a principal given on the command line; returns an error message or undefined. */
export function validateMember(text: string): string | undefined {
  const m = normalizeMember(text);
  if (m === 'allUsers' || m === 'allAuthenticatedUsers') return undefined;
  if (/^(serviceAccount|user|group):[^@\s]+@[^@\s]+\.[^@\s]+$/.test(m)) return undefined;
  if (/^domain:[a-z0-9.-]+\.[a-z]+$/.test(m)) return undefined;
  if (/^principal(Set)?:\/\/\S+$/.test(m)) return undefined;
  return `"${text}" is not a principal: use serviceAccount:NAME@PROJECT.iam.gserviceaccount.com, user:EMAIL, group:EMAIL, or an email address`;
}

/** The Compute Engine default service account (GKE nodes use it unless configured otherwise). */
export function computeDefaultServiceAccount(projectNumber: string): string {
  return `serviceAccount:${projectNumber}-compute@developer.gserviceaccount.com`;
}

/** The Cloud Run service agent, which pulls images for Cloud Run services of that project. */
export function cloudRunServiceAgent(projectNumber: string): string {
  return `serviceAccount:service-${projectNumber}@serverless-robot-prod.iam.gserviceaccount.com`;
}

// ---------------------------------------------------------------------------
// Evaluation

/** Predefined and basic roles known to include artifactregistry.repositories.downloadArtifacts. */
export const ROLES_WITH_DOWNLOAD: ReadonlySet<string> = new Set([
  'roles/artifactregistry.reader',
  'roles/artifactregistry.writer',
  'roles/artifactregistry.createOnPushWriter',
  'roles/artifactregistry.repoAdmin',
  'roles/artifactregistry.createOnPushRepoAdmin',
  'roles/artifactregistry.admin',
  'roles/owner',
  'roles/editor',
  'roles/viewer',
]);

/** Roles known NOT to include it (no lookup needed). */
const ROLES_WITHOUT_DOWNLOAD: ReadonlySet<string> = new Set([
  'roles/logging.logWriter',
  'roles/monitoring.metricWriter',
  'roles/monitoring.viewer',
  'roles/stackdriver.resourceMetadata.writer',
  'roles/autoscaling.metricsWriter',
  'roles/iam.serviceAccountUser',
  'roles/iam.serviceAccountTokenCreator',
  'roles/logging.configWriter',
  'roles/bigquery.dataEditor',
  'roles/storage.objectViewer',
]);

export type PolicyLevel = 'repository' | 'project';

export interface AccessGrant {
  level: PolicyLevel;
  role: string;
  /** The member entry that matched (the principal itself, allUsers, allAuthenticatedUsers). */
  via: string;
  /** The binding's condition title/expression, when it has one (access then depends on it). */
  condition?: string;
}

export interface AccessEvaluation {
  member: string;
  /** Unconditional grants of a role holding the permission. */
  grants: AccessGrant[];
  /** Grants that depend on a condition. */
  conditional: AccessGrant[];
  /** Groups/domains in bindings of suitable roles that might contain the principal (membership cannot be checked). */
  possibleVia: AccessGrant[];
  /** Roles that could not be looked up (role name -> reason). */
  unknownRoles: Record<string, string>;
}

export interface PolicyInput {
  level: PolicyLevel;
  policy: IamPolicy;
}

/**
 * Decides whether `member` holds `permission` through the given policies.
 * Roles not known statically are looked up with `lookupRole` (IAM roles.get),
 * custom roles included.
 */
export async function evaluateAccess(
  member: string,
  policies: PolicyInput[],
  permission: string,
  lookupRole: (role: string) => Promise<Role>,
  knownWithPermission: ReadonlySet<string> = ROLES_WITH_DOWNLOAD,
): Promise<AccessEvaluation> {
  const m = normalizeMember(member);
  const out: AccessEvaluation = { member: m, grants: [], conditional: [], possibleVia: [], unknownRoles: {} };
  const memberDomain = m.includes('@') ? m.split('@')[1] : undefined;
  const holds = async (role: string): Promise<boolean | undefined> => {
    if (knownWithPermission.has(role)) return true;
    if (ROLES_WITHOUT_DOWNLOAD.has(role)) return false;
    try {
      const r = await lookupRole(role);
      return (r.includedPermissions ?? []).includes(permission);
    } catch (err) {
      out.unknownRoles[role] = err instanceof GcpError ? err.message : String((err as Error)?.message ?? err);
      return undefined;
    }
  };
  for (const { level, policy } of policies) {
    for (const b of policy.bindings ?? []) {
      const members = (b.members ?? []).map(normalizeMember);
      const direct = members.find((x) => x === m || x === 'allUsers' || (x === 'allAuthenticatedUsers' && !m.startsWith('allUsers')));
      const indirect = members.filter((x) => x.startsWith('group:') || (memberDomain && x === `domain:${memberDomain}`));
      if (!direct && indirect.length === 0) continue;
      const ok = await holds(b.role);
      if (!ok) continue;
      const condition = b.condition ? b.condition.title || b.condition.expression || 'condition' : undefined;
      if (direct) {
        const g: AccessGrant = { level, role: b.role, via: direct, ...(condition ? { condition } : {}) };
        (condition ? out.conditional : out.grants).push(g);
      } else {
        for (const x of indirect) out.possibleVia.push({ level, role: b.role, via: x, ...(condition ? { condition } : {}) });
      }
    }
  }
  return out;
}

export function addReaderBindingCommand(
  t: { repository: string; location: string; project: string },
  member: string,
  role = 'roles/artifactregistry.reader',
): string {
  return `gcloud artifacts repositories add-iam-policy-binding ${t.repository} --location=${t.location} --project=${t.project} --member=${normalizeMember(member)} --role=${role}`;
}
