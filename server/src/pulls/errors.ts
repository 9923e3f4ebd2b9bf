/**
 * Errors a user meets when counting pulls, each with a stable code and a
 * message that says what to do. Never includes credentials or tokens.
 */
import { redact } from '../redact';

/** Re-exported: redaction lives in ../redact.ts. */
export { redact };

export type PullErrorCode =
  | 'no-credentials' // Application Default Credentials not found
  | 'unauthenticated' // credentials rejected / expired (HTTP 401)
  | 'permission-denied' // HTTP 403 accessDenied
  | 'not-found' // dataset or table does not exist
  | 'quota' // quotaExceeded, rateLimitExceeded, bytes billed limit
  | 'billing' // billing not enabled on the billing project
  | 'invalid-query' // the table is not a Cloud Logging sink table (missing columns)
  | 'invalid-setting' // a setting (dataset, prefix, window) is not valid
  | 'file-unreadable' // log file missing / not readable
  | 'file-malformed' // nothing readable in the log file
  | 'network' // endpoint unreachable
  | 'cancelled'
  | 'unknown';

export class PullError extends Error {
  constructor(
    readonly code: PullErrorCode,
    message: string,
    /** HTTP status or errno, for logs. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'PullError';
  }
}

export const BIGQUERY_ROLES = 'BigQuery Data Viewer (roles/bigquery.dataViewer) on the dataset and BigQuery Job User (roles/bigquery.jobUser) on the billing project';

export const ADC_HINT = 'run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)';

interface ErrorContext {
  /** PROJECT.DATASET */
  dataset: string;
  /** The table or wildcard queried, e.g. PROJECT.DATASET.events_* */
  table: string;
  billingProject: string;
}

function reasonsOf(err: any): string[] {
  const out: string[] = [];
  const push = (r: unknown) => typeof r === 'string' && r && out.push(r);
  if (Array.isArray(err?.errors)) for (const e of err.errors) push(e?.reason);
  push(err?.reason);
  if (Array.isArray(err?.response?.status?.errors)) for (const e of err.response.status.errors) push(e?.reason);
  push(err?.response?.status?.errorResult?.reason);
  return out;
}

/** Maps an error from the BigQuery client (ApiError, auth error, socket error) to a PullError. */
export function classifyBigQueryError(err: unknown, ctx: ErrorContext): PullError {
  if (err instanceof PullError) return err;
  const e = err as any;
  const raw = redact(String(e?.message ?? e ?? 'unknown error'));
  const status: number | undefined = typeof e?.code === 'number' ? e.code : typeof e?.status === 'number' ? e.status : undefined;
  const reasons = reasonsOf(e);
  const has = (...rs: string[]) => reasons.some((r) => rs.includes(r));
  const firstLine = raw.split('\n')[0];

  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return new PullError('cancelled', 'Pull count query cancelled.');
  if (/Could not load the default credentials|Unable to detect a Project Id|default credentials/i.test(raw)) {
    return new PullError('no-credentials', `No Google credentials found for BigQuery: ${ADC_HINT}.`);
  }
  if (/invalid_grant|invalid_rapt|reauth|Token has been expired or revoked/i.test(raw)) {
    return new PullError('unauthenticated', `Google credentials were rejected or have expired: ${ADC_HINT}.`, firstLine);
  }
  if (status === 401 || has('authError', 'unauthorized')) {
    return new PullError('unauthenticated', `BigQuery rejected the credentials (401): ${ADC_HINT}.`, firstLine);
  }
  if (has('billingNotEnabled', 'billingTierLimitExceeded', 'accountDisabled') || /billing (is )?not enabled|billing account|billing has been disabled/i.test(raw)) {
    return new PullError(
      'billing',
      `BigQuery billing problem on project "${ctx.billingProject}": ${firstLine}. Enable billing on the project or set a different billing project (ar-migrate pulls --billing-project, setting arMigrate.pulls.billingProject).`,
      firstLine,
    );
  }
  if (has('quotaExceeded', 'rateLimitExceeded', 'userRateLimitExceeded', 'bytesBilledLimitExceeded', 'resourcesExceeded') || status === 429) {
    return new PullError(
      'quota',
      `BigQuery quota or limit exceeded on project "${ctx.billingProject}": ${firstLine}. Try again later, shorten the window, or use another billing project.`,
      firstLine,
    );
  }
  if (status === 403 || has('accessDenied', 'forbidden')) {
    return new PullError(
      'permission-denied',
      `Permission denied reading ${ctx.table} (billing project "${ctx.billingProject}"): ${firstLine}. Grant ${BIGQUERY_ROLES}.`,
      firstLine,
    );
  }
  if (status === 404 || has('notFound')) {
    const isDataset = /dataset/i.test(raw) && !/table/i.test(raw);
    const what = isDataset
      ? `Dataset ${ctx.dataset} not found`
      : `Table ${ctx.table} not found`;
    const hint = isDataset
      ? 'Check the dataset setting (PROJECT.DATASET) and the location; create the log sink with `ar-migrate setup-logging`.'
      : 'Check the table prefix (date-sharded `events_YYYYMMDD` tables by default, or --partitioned for a partitioned `events` table) and that the log sink has written events in the window.';
    return new PullError('not-found', `${what}: ${firstLine}. ${hint}`, firstLine);
  }
  if (status === 400 || has('invalidQuery', 'invalid')) {
    return new PullError(
      'invalid-query',
      `BigQuery rejected the pull count query on ${ctx.table}: ${firstLine}. Is it a Cloud Logging sink table of Kubernetes events (columns timestamp, jsonPayload.reason, jsonPayload.message, resource.labels.cluster_name)?`,
      firstLine,
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(e?.code) || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|socket hang up|fetch failed/i.test(raw)) {
    return new PullError('network', `Cannot reach BigQuery: ${firstLine}. Check the network or proxy settings.`, firstLine);
  }
  return new PullError('unknown', `BigQuery query failed: ${firstLine}`, firstLine);
}
