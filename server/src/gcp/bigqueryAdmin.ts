/**
 * BigQuery dataset administration over REST v2 (datasets.get / insert / patch):
 * enough to create the pull-log dataset and give log sinks write access.
 * (Queries go through @google-cloud/bigquery in server/src/pulls.)
 */
import { GcpApi } from './auth';
import { GcpError } from './errors';
import { PROJECT_ID_RE } from './iam';

export interface DatasetRef {
  project: string;
  datasetId: string;
}

export interface AccessEntry {
  role?: string;
  userByEmail?: string;
  groupByEmail?: string;
  specialGroup?: string;
  iamMember?: string;
  domain?: string;
  [k: string]: unknown;
}

export interface Dataset {
  id?: string;
  datasetReference: { projectId: string; datasetId: string };
  location?: string;
  access?: AccessEntry[];
  etag?: string;
  description?: string;
  [k: string]: unknown;
}

const DATASET_RE = /^[A-Za-z0-9_]{1,1024}$/;

/** Parses `PROJECT.DATASET` (or `PROJECT:DATASET`); domain-scoped projects `example.com:proj.ds` allowed. */
export function parseDatasetRef(text: string): { ok: true; value: DatasetRef } | { ok: false; error: string } {
  const t = (text ?? '').trim();
  const cut = Math.max(t.lastIndexOf('.'), t.lastIndexOf(':'));
  if (!t || cut <= 0 || cut === t.length - 1) {
    return { ok: false, error: `"${text}" is not a dataset: expected PROJECT.DATASET, e.g. my-logs-project.image_pulls` };
  }
  const project = t.slice(0, cut);
  const datasetId = t.slice(cut + 1);
  if (!PROJECT_ID_RE.test(project)) return { ok: false, error: `"${text}": "${project}" is not a valid project ID` };
  if (!DATASET_RE.test(datasetId)) {
    return { ok: false, error: `"${text}": dataset ID "${datasetId}" may contain only letters, digits and underscores` };
  }
  return { ok: true, value: { project, datasetId } };
}

function datasetPath(d: DatasetRef): string {
  return `/bigquery/v2/projects/${encodeURIComponent(d.project)}/datasets/${encodeURIComponent(d.datasetId)}`;
}

export function datasetDisplay(d: DatasetRef): string {
  return `${d.project}.${d.datasetId}`;
}

/** Legacy dataset roles and the IAM roles that include table writes. */
const WRITE_ROLES = new Set(['WRITER', 'OWNER', 'roles/bigquery.dataEditor', 'roles/bigquery.dataOwner', 'roles/bigquery.admin']);

/** Whether an access entry lets `member` (serviceAccount:x / user:x / group:x) write tables. */
export function entryGrantsWrite(e: AccessEntry, member: string): boolean {
  if (!e.role || !WRITE_ROLES.has(e.role)) return false;
  const colon = member.indexOf(':');
  const email = (colon >= 0 ? member.slice(colon + 1) : member).toLowerCase();
  if (e.userByEmail && e.userByEmail.toLowerCase() === email) return true;
  if (e.iamMember && e.iamMember.toLowerCase() === member.toLowerCase()) return true;
  if (member.startsWith('group:') && e.groupByEmail?.toLowerCase() === email) return true;
  return false;
}

export class BigQueryAdmin {
  constructor(private readonly api: GcpApi) {}

  getDataset(d: DatasetRef, signal?: AbortSignal): Promise<Dataset | undefined> {
    return this.api.getOrUndefined<Dataset>('bigquery', {
      path: datasetPath(d),
      signal,
      action: `read BigQuery dataset ${datasetDisplay(d)}`,
      project: d.project,
    });
  }

  insertDataset(d: DatasetRef, location: string, signal?: AbortSignal, description?: string): Promise<Dataset> {
    return this.api.call<Dataset>('bigquery', {
      method: 'POST',
      path: `/bigquery/v2/projects/${encodeURIComponent(d.project)}/datasets`,
      body: {
        datasetReference: { projectId: d.project, datasetId: d.datasetId },
        location,
        ...(description ? { description } : {}),
      },
      signal,
      action: `create BigQuery dataset ${datasetDisplay(d)}`,
      project: d.project,
    });
  }

  /** datasets.patch of the access list, guarded by the etag (If-Match). */
  patchAccess(d: DatasetRef, access: AccessEntry[], etag: string | undefined, signal?: AbortSignal): Promise<Dataset> {
    return this.api.call<Dataset>('bigquery', {
      method: 'PATCH',
      path: datasetPath(d),
      body: { access },
      headers: etag ? { 'If-Match': etag } : undefined,
      signal,
      action: `update the access list of BigQuery dataset ${datasetDisplay(d)}`,
      project: d.project,
    });
  }

  /** Gets the dataset, creating it when missing. */
  async ensureDataset(
    d: DatasetRef,
    location: string,
    signal?: AbortSignal,
  ): Promise<{ dataset: Dataset; created: boolean }> {
    const got = await this.getDataset(d, signal);
    if (got) return { dataset: got, created: false };
    try {
      return { dataset: await this.insertDataset(d, location, signal, 'Kubernetes image pull events (ar-migrate setup-logging)'), created: true };
    } catch (err) {
      if (err instanceof GcpError && err.kind === 'already-exists') {
        const again = await this.getDataset(d, signal);
        if (again) return { dataset: again, created: false };
      }
      throw err;
    }
  }

  /**
   * Makes sure each member can write tables in the dataset (access entry
   * role WRITER = BigQuery Data Editor). Returns the members added (empty when
   * all already had access). Retries once on a concurrent change.
   */
  async grantWriters(d: DatasetRef, members: string[], signal?: AbortSignal): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      const ds = await this.getDataset(d, signal);
      if (!ds) throw new GcpError('not-found', `BigQuery dataset ${datasetDisplay(d)} does not exist.`);
      const access = [...(ds.access ?? [])];
      const added: string[] = [];
      for (const m of members) {
        if (access.some((e) => entryGrantsWrite(e, m))) continue;
        const email = m.slice(m.indexOf(':') + 1);
        if (m.startsWith('group:')) access.push({ role: 'WRITER', groupByEmail: email });
        else if (m.startsWith('serviceAccount:') || m.startsWith('user:')) access.push({ role: 'WRITER', userByEmail: email });
        else access.push({ role: 'roles/bigquery.dataEditor', iamMember: m });
        added.push(m);
      }
      if (added.length === 0) return [];
      try {
        await this.patchAccess(d, access, ds.etag, signal);
        return added;
      } catch (err) {
        if (attempt < 2 && err instanceof GcpError && err.kind === 'failed-precondition') continue;
        throw err;
      }
    }
  }
}
