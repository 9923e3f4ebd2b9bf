/**
 * Pull counts from BigQuery: the tables a Cloud Logging sink writes Kubernetes
 * events into (date-sharded `events_YYYYMMDD` by default, or one partitioned
 * table). ONE parameterised query per refresh for the whole workspace,
 * aggregated server-side to (image, cluster, hour) buckets.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { CountsBuilder, PullCounts, PullWindow, SourceInfo } from './counts';
import { classifyBigQueryError, PullError } from './errors';

export interface BigQuerySettings {
  /** `PROJECT.DATASET` the log sink writes into. */
  dataset: string;
  /** Project that runs (and pays for) the query job; defaults to the dataset's project. */
  billingProject?: string;
  /** Date-sharded table prefix (default `events_`: tables `events_YYYYMMDD`; `events` means the same). */
  tablePrefix?: string;
  /** Query one partitioned table instead of date shards (sink option "use partitioned tables"). */
  partitioned?: boolean;
  /** Partitioned table name; default: the prefix without its trailing `_` (`events`). */
  table?: string;
  /** Dataset location, e.g. `EU`, `europe-west1` (default: let BigQuery decide). */
  location?: string;
  /** Group counts per cluster (resource.labels.cluster_name); default true. */
  perCluster?: boolean;
  /** Fail instead of scanning more than this many bytes. */
  maximumBytesBilled?: number;
  /** Result page size (default 10000). */
  pageSize?: number;
}

/** How to reach BigQuery. Production: nothing (Application Default Credentials, real endpoint). */
export interface BigQueryConnection {
  /** e.g. http://127.0.0.1:PORT for a local endpoint. */
  apiEndpoint?: string;
  /** A google-auth-library AuthClient or GoogleAuth; default: Application Default Credentials. */
  authClient?: unknown;
  /** Retries of transient errors (default 2). */
  maxRetries?: number;
}

export interface PullQuery {
  sql: string;
  params: Record<string, unknown>;
  /** `project.dataset.events_*` or `project.dataset.events`. */
  table: string;
  project: string;
  datasetId: string;
  billingProject: string;
  location?: string;
}

const PROJECT_RE = /^(?:[A-Za-z0-9.-]+:)?[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;
const DATASET_RE = /^[A-Za-z0-9_]{1,1024}$/;
const TABLE_RE = /^[A-Za-z0-9_-]{0,1024}$/;

/**
 * Splits and validates `PROJECT.DATASET` (also `PROJECT:DATASET`, domain-scoped
 * projects `example.com:proj.dataset`, and a bare `DATASET` in `defaultProject`).
 */
export function parseDataset(text: string, defaultProject?: string): { project: string; datasetId: string } {
  const t = (text ?? '').trim().replace(/^bq:\/\//, '');
  let cut = t.lastIndexOf('.');
  if (cut < 0) cut = t.lastIndexOf(':');
  let project = cut > 0 ? t.slice(0, cut) : '';
  const datasetId = cut > 0 ? t.slice(cut + 1) : t;
  if (!project && datasetId && defaultProject?.trim()) project = defaultProject.trim();
  if (!project || !datasetId) {
    throw new PullError('invalid-setting', `BigQuery dataset "${t}" must be PROJECT.DATASET (e.g. my-project.k8s_events), or a dataset with a billing project set.`);
  }
  if (!PROJECT_RE.test(project)) throw new PullError('invalid-setting', `"${project}" is not a valid Google Cloud project ID (in dataset "${t}").`);
  if (!DATASET_RE.test(datasetId)) throw new PullError('invalid-setting', `"${datasetId}" is not a valid BigQuery dataset ID (letters, digits and underscores).`);
  return { project, datasetId };
}

/** Date-shard prefix: `events` and `events_` both mean tables `events_YYYYMMDD`. */
export function shardPrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').trim();
  if (!p) return 'events_';
  return p.endsWith('_') ? p : `${p}_`;
}

/** Partitioned table name: the explicit table, else the prefix without trailing `_` (`events`). */
export function partitionedTable(settings: Pick<BigQuerySettings, 'table' | 'tablePrefix'>): string {
  return settings.table?.trim() || (settings.tablePrefix ?? '').trim().replace(/_+$/, '') || 'events';
}

function ymd(iso: string): string {
  return iso.slice(0, 10).replace(/-/g, '');
}

/**
 * The SQL and parameters of the pull count query. Only the columns needed are
 * read (timestamp, jsonPayload.reason, jsonPayload.message, and
 * resource.labels.cluster_name when per-cluster), the window is a
 * `_TABLE_SUFFIX BETWEEN @start AND @end` filter on date shards (plus an exact
 * timestamp filter) or a timestamp filter on the partitioned table.
 */
export function buildPullQuery(settings: BigQuerySettings, window: PullWindow): PullQuery {
  const { project, datasetId } = parseDataset(settings.dataset, settings.billingProject);
  const billingProject = (settings.billingProject ?? '').trim() || project;
  if (!PROJECT_RE.test(billingProject)) throw new PullError('invalid-setting', `Billing project "${billingProject}" is not a valid Google Cloud project ID.`);
  const prefix = shardPrefix(settings.tablePrefix);
  if (!TABLE_RE.test(prefix)) throw new PullError('invalid-setting', `Table prefix "${prefix}" may contain only letters, digits, "_" and "-".`);
  const perCluster = settings.perCluster !== false;
  const startDate = new Date(window.start);
  const endDate = new Date(window.end);
  let table: string;
  let where: string;
  const params: Record<string, unknown> = {};
  if (settings.partitioned) {
    const name = partitionedTable(settings);
    if (!name || !TABLE_RE.test(name)) throw new PullError('invalid-setting', `Table name "${name}" may contain only letters, digits, "_" and "-".`);
    table = `${project}.${datasetId}.${name}`;
    where = 'timestamp >= @start AND timestamp < @end';
    params.start = BigQuery.timestamp(startDate);
    params.end = BigQuery.timestamp(endDate);
  } else {
    table = `${project}.${datasetId}.${prefix}*`;
    where = '_TABLE_SUFFIX BETWEEN @start AND @end\n    AND timestamp >= @start_ts AND timestamp < @end_ts';
    params.start = ymd(window.start);
    params.end = ymd(window.end);
    params.start_ts = BigQuery.timestamp(startDate);
    params.end_ts = BigQuery.timestamp(endDate);
  }
  const sql = [
    'SELECT',
    '  image,',
    perCluster ? '  cluster,' : null,
    '  UNIX_SECONDS(TIMESTAMP_TRUNC(timestamp, HOUR)) AS hour,',
    '  COUNT(*) AS pulls,',
    '  UNIX_MILLIS(MIN(timestamp)) AS first_seen,',
    '  UNIX_MILLIS(MAX(timestamp)) AS last_seen',
    'FROM (',
    '  SELECT',
    '    timestamp,',
    `    REGEXP_EXTRACT(jsonPayload.message, r'(?i)pulling image\\s+"?([^"\\s]+)') AS image${perCluster ? ',' : ''}`,
    perCluster ? '    resource.labels.cluster_name AS cluster' : null,
    `  FROM \`${table}\``,
    `  WHERE ${where}`,
    "    AND jsonPayload.reason = 'Pulling'",
    ')',
    'WHERE image IS NOT NULL',
    `GROUP BY image, ${perCluster ? 'cluster, ' : ''}hour`,
  ]
    .filter((l) => l !== null)
    .join('\n');
  return { sql, params, table, project, datasetId, billingProject, location: settings.location?.trim() || undefined };
}

function client(q: PullQuery, conn: BigQueryConnection): BigQuery {
  const opts: Record<string, unknown> = {
    projectId: q.billingProject,
    // (maxRetries: 0 would be taken as "default 3"; retryOptions is exact.)
    retryOptions: { autoRetry: (conn.maxRetries ?? 2) > 0, maxRetries: conn.maxRetries ?? 2 },
  };
  if (q.location) opts.location = q.location;
  if (conn.apiEndpoint) opts.apiEndpoint = conn.apiEndpoint;
  if (conn.authClient) opts.authClient = conn.authClient;
  return new BigQuery(opts as any);
}

function jobOptions(q: PullQuery, settings: BigQuerySettings, dryRun: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {
    query: q.sql,
    params: q.params,
    useLegacySql: false,
    labels: { tool: 'ar-migrate', purpose: 'pull-counts' },
  };
  if (dryRun) o.dryRun = true;
  if (q.location) o.location = q.location;
  if (settings.maximumBytesBilled && settings.maximumBytesBilled > 0) o.maximumBytesBilled = String(Math.floor(settings.maximumBytesBilled));
  return o;
}

function errorContext(q: PullQuery) {
  return { dataset: `${q.project}.${q.datasetId}`, table: q.table, billingProject: q.billingProject };
}

export interface DryRunResult {
  /** Bytes the query would scan (statistics.totalBytesProcessed). */
  bytes: number;
  sql: string;
  params: Record<string, unknown>;
  table: string;
  billingProject: string;
}

/** Validates the query and returns the bytes it would scan, without running it. */
export async function dryRunPullQuery(settings: BigQuerySettings, window: PullWindow, conn: BigQueryConnection = {}): Promise<DryRunResult> {
  const q = buildPullQuery(settings, window);
  try {
    const bq = client(q, conn);
    const [job, resp] = await bq.createQueryJob(jobOptions(q, settings, true) as any);
    const meta: any = resp ?? job?.metadata ?? {};
    const bytes = Number(meta?.statistics?.totalBytesProcessed ?? meta?.statistics?.query?.totalBytesProcessed ?? 0);
    return { bytes, sql: q.sql, params: q.params, table: q.table, billingProject: q.billingProject };
  } catch (err) {
    throw classifyBigQueryError(err, errorContext(q));
  }
}

export interface QueryOptions {
  signal?: AbortSignal;
  /** Rows read so far (and total when known). */
  onProgress?: (rowsRead: number, totalRows?: number) => void;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'value' in (v as any)) return Number((v as any).value);
  return Number(v);
}

/** Runs the query (one job, results read page by page) and aggregates the rows. */
export async function queryPullCounts(settings: BigQuerySettings, window: PullWindow, conn: BigQueryConnection = {}, options: QueryOptions = {}): Promise<PullCounts> {
  const q = buildPullQuery(settings, window);
  const builder = new CountsBuilder();
  let rowsRead = 0;
  let bytes: number | undefined;
  let job: any;
  const cancelled = () => new PullError('cancelled', 'Pull count query cancelled.');
  try {
    const bq = client(q, conn);
    if (options.signal?.aborted) throw cancelled();
    [job] = await bq.createQueryJob(jobOptions(q, settings, false) as any);
    let pageOpts: any = { maxResults: settings.pageSize ?? 10_000, autoPaginate: false };
    let wait = 100;
    for (;;) {
      if (options.signal?.aborted) {
        await job.cancel().catch(() => undefined);
        throw cancelled();
      }
      const [rows, next, resp] = await job.getQueryResults(pageOpts);
      if (resp?.totalBytesProcessed !== undefined) bytes = Number(resp.totalBytesProcessed);
      for (const row of rows as any[]) {
        const image = typeof row.image === 'string' ? row.image : undefined;
        const pulls = num(row.pulls);
        const hourMs = num(row.hour) * 1000;
        if (!image || !Number.isFinite(pulls) || !Number.isFinite(hourMs) || pulls <= 0) continue;
        const first = Number.isFinite(num(row.first_seen)) ? num(row.first_seen) : hourMs;
        const last = Number.isFinite(num(row.last_seen)) ? num(row.last_seen) : hourMs;
        builder.add(image, hourMs, typeof row.cluster === 'string' ? row.cluster : undefined, pulls, first, last);
      }
      rowsRead += (rows as any[]).length;
      options.onProgress?.(rowsRead, resp?.totalRows !== undefined ? Number(resp.totalRows) : undefined);
      if (!next) break;
      if (resp?.jobComplete === false) {
        // Still running: BigQuery already waited server-side; back off a little before polling again.
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 2000);
      }
      pageOpts = next;
    }
  } catch (err) {
    if (err instanceof PullError) throw err;
    throw classifyBigQueryError(err, errorContext(q));
  }
  const source: SourceInfo = {
    kind: 'bigquery',
    description: `BigQuery ${q.table}`,
    table: q.table,
    billingProject: q.billingProject,
    location: q.location,
    fetchedAt: new Date().toISOString(),
    bytesProcessed: bytes,
  };
  return builder.build(window, source);
}
