/**
 * Google API errors -> clear messages. Google REST APIs answer errors as
 *   {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
 *              "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
 *                           "reason": "SERVICE_DISABLED", "metadata": {"service": "..."}}]}}
 * (BigQuery also sends `errors: [{reason: "notFound" | "accessDenied" | "duplicate" ...}]`).
 * Messages never include request headers, so tokens cannot leak through them.
 */

export type GcpErrorKind =
  | 'no-credentials'
  | 'unauthenticated'
  | 'service-disabled'
  | 'permission-denied'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'invalid-argument'
  | 'rate-limited'
  | 'unavailable'
  | 'cancelled'
  | 'network'
  | 'unknown';

export class GcpError extends Error {
  readonly kind: GcpErrorKind;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** Canonical status (`PERMISSION_DENIED`, `NOT_FOUND`, ...). */
  readonly code?: string;
  /** ErrorInfo reason (`SERVICE_DISABLED`, `IAM_PERMISSION_DENIED`) or BigQuery reason. */
  readonly reason?: string;
  /** The API that is disabled (`artifactregistry.googleapis.com`). */
  readonly service?: string;
  /** The IAM permission that is missing, when the server said. */
  readonly permission?: string;
  /** The command or step that fixes it, when known. */
  readonly fix?: string;
  /** The server's own message. */
  readonly serverMessage?: string;

  constructor(
    kind: GcpErrorKind,
    message: string,
    extra: {
      status?: number;
      code?: string;
      reason?: string;
      service?: string;
      permission?: string;
      fix?: string;
      serverMessage?: string;
    } = {},
  ) {
    super(message);
    this.name = 'GcpError';
    this.kind = kind;
    Object.assign(this, extra);
  }
}

export const ADC_LOGIN = 'gcloud auth application-default login';

export class NoCredentialsError extends GcpError {
  constructor(detail?: string) {
    super(
      'no-credentials',
      `No Google Cloud credentials found${detail ? ` (${detail})` : ''}. ` +
        `Run \`${ADC_LOGIN}\`, or set GOOGLE_APPLICATION_CREDENTIALS to a credentials file.`,
      { fix: ADC_LOGIN },
    );
    this.name = 'NoCredentialsError';
  }
}

export function isGcpError(err: unknown, kind?: GcpErrorKind): err is GcpError {
  return err instanceof GcpError && (kind === undefined || err.kind === kind);
}

/** What the failed call was doing, for the message: "get repository projects/p/.../r". */
export interface ErrorContext {
  /** e.g. "get repository us-docker.pkg.dev/p/r". */
  action: string;
  /** Project ID the call was about (for the `gcloud services enable` fix). */
  project?: string;
}

interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
  errors?: Array<{ reason?: string; message?: string; domain?: string }>;
}

function googleErrorBody(data: unknown): GoogleErrorBody | undefined {
  let d = data;
  if (typeof d === 'string') {
    try {
      d = JSON.parse(d);
    } catch {
      return undefined;
    }
  }
  if (d && typeof d === 'object' && 'error' in d) {
    const e = (d as { error: unknown }).error;
    if (e && typeof e === 'object') return e as GoogleErrorBody;
  }
  return undefined;
}

const STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** A few well-known API display names for messages. */
const API_NAMES: Record<string, string> = {
  'artifactregistry.googleapis.com': 'Artifact Registry API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'logging.googleapis.com': 'Cloud Logging API',
  'bigquery.googleapis.com': 'BigQuery API',
};

function truncate(s: string, n = 400): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * Turns whatever google-auth-library/gaxios threw into a GcpError with a
 * message that says what failed and how to fix it.
 */
export function toGcpError(err: unknown, ctx: ErrorContext): GcpError {
  if (err instanceof GcpError) return err;
  const e = err as {
    name?: string;
    message?: string;
    code?: string | number;
    status?: number;
    response?: { status?: number; data?: unknown };
  };
  const message = typeof e?.message === 'string' ? e.message : String(err);

  const cause = (err as { cause?: { name?: string } })?.cause;
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR' || cause?.name === 'AbortError') {
    return new GcpError('cancelled', `Cancelled: ${ctx.action}`);
  }
  if (/Could not load the default credentials|Unable to detect a Project Id/i.test(message) && !e?.response) {
    return new NoCredentialsError();
  }

  const status = e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
  const data = e?.response?.data;
  const body = googleErrorBody(data);

  // OAuth token endpoint errors: {"error": "invalid_grant", "error_description": "..."}.
  if (data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string') {
    const oauth = data as { error: string; error_description?: string };
    return new GcpError(
      'unauthenticated',
      `Could not ${ctx.action}: your Google credentials were refused (${oauth.error}${
        oauth.error_description ? `: ${truncate(oauth.error_description, 200)}` : ''
      }). Run \`${ADC_LOGIN}\` to refresh them.`,
      { status, code: 'UNAUTHENTICATED', reason: oauth.error, fix: ADC_LOGIN },
    );
  }

  if (status === undefined) {
    const code = typeof e?.code === 'string' ? e.code : undefined;
    if (code && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+)$/.test(code) || /fetch failed|network|socket/i.test(message)) {
      return new GcpError('network', `Could not ${ctx.action}: network error (${code ?? truncate(message, 200)}).`);
    }
    if (/private_key|client_email|refresh_token|refresh token|credential|invalid_grant|unauthorized_client|access token/i.test(message)) {
      return new GcpError(
        'unauthenticated',
        `Could not ${ctx.action}: the Google credentials cannot be used (${truncate(message, 200)}). ` +
          `Run \`${ADC_LOGIN}\`, or point GOOGLE_APPLICATION_CREDENTIALS at a valid credentials file.`,
        { fix: ADC_LOGIN },
      );
    }
    return new GcpError('unknown', `Could not ${ctx.action}: ${truncate(message)}`);
  }

  const serverMessage = body?.message ?? (typeof data === 'string' ? truncate(data) : undefined);
  const code = body?.status ?? STATUS_BY_HTTP[status];
  const details = body?.details ?? [];
  const errorInfo = details.find((d) => typeof d['@type'] === 'string' && (d['@type'] as string).endsWith('google.rpc.ErrorInfo')) as
    | { reason?: string; domain?: string; metadata?: Record<string, string> }
    | undefined;
  const bqReason = body?.errors?.[0]?.reason;
  const reason = errorInfo?.reason ?? bqReason;
  const meta = errorInfo?.metadata ?? {};

  const disabledMatch = serverMessage?.match(/([a-z0-9-]+\.googleapis\.com)/);
  // User credentials without a quota project (Google answers SERVICE_DISABLED for gcloud's own project).
  if (/requires a quota project/i.test(serverMessage ?? '')) {
    const project = ctx.project ?? 'PROJECT';
    const fix = `gcloud auth application-default set-quota-project ${project}`;
    return new GcpError(
      'failed-precondition',
      `Could not ${ctx.action}: your application-default credentials have no quota project, which ${
        meta.service ?? disabledMatch?.[1] ?? 'this API'
      } requires. Set one with \`${fix}\` (a project where the API is enabled and you have serviceusage.services.use).`,
      { status, code, reason: 'QUOTA_PROJECT_REQUIRED', service: meta.service, fix, serverMessage },
    );
  }

  // API not enabled.
  if (
    reason === 'SERVICE_DISABLED' ||
    reason === 'accessNotConfigured' ||
    (status === 403 && /has not been used in project|it is disabled/i.test(serverMessage ?? ''))
  ) {
    const service = meta.service ?? disabledMatch?.[1] ?? 'the required API';
    const consumer = meta.consumer?.replace(/^projects\//, '');
    const project = ctx.project ?? consumer ?? 'PROJECT';
    const fix = `gcloud services enable ${service} --project ${project}`;
    return new GcpError(
      'service-disabled',
      `Could not ${ctx.action}: the ${API_NAMES[service] ?? service} (${service}) is not enabled in project ${project}. ` +
        `Enable it with \`${fix}\` and retry (it can take a minute to take effect).`,
      { status, code, reason: 'SERVICE_DISABLED', service, fix, serverMessage },
    );
  }

  if (status === 401) {
    return new GcpError(
      'unauthenticated',
      `Could not ${ctx.action}: the credentials were rejected (401 UNAUTHENTICATED). Run \`${ADC_LOGIN}\` and retry.`,
      { status, code, reason, fix: ADC_LOGIN, serverMessage },
    );
  }

  if (status === 403) {
    const permission =
      meta.permission ??
      serverMessage?.match(/[Pp]ermission ['"‘“]?([a-z][a-zA-Z0-9]*\.[a-zA-Z0-9]+\.[a-zA-Z0-9]+)['"’”]?/)?.[1] ??
      serverMessage?.match(/\b([a-z][a-zA-Z0-9]*\.[a-zA-Z0-9]+\.[a-zA-Z]+)\b permission/)?.[1];
    const tail = permission
      ? `you are missing the IAM permission ${permission}${serverMessage?.includes('may not exist') ? ' (or the resource does not exist)' : ''}.`
      : `permission denied${serverMessage ? `: ${truncate(serverMessage, 300)}` : ''}.`;
    return new GcpError('permission-denied', `Could not ${ctx.action}: ${tail}`, {
      status,
      code,
      reason,
      permission,
      serverMessage,
    });
  }
  if (status === 404) {
    return new GcpError('not-found', `Could not ${ctx.action}: not found${serverMessage ? ` (${truncate(serverMessage, 300)})` : ''}.`, {
      status,
      code,
      reason,
      serverMessage,
    });
  }
  if (status === 409) {
    const kind = code === 'ABORTED' ? 'failed-precondition' : 'already-exists';
    return new GcpError(kind, `Could not ${ctx.action}: ${kind === 'already-exists' ? 'it already exists' : 'conflict'}${serverMessage ? ` (${truncate(serverMessage, 300)})` : ''}.`, {
      status,
      code,
      reason,
      serverMessage,
    });
  }
  if (status === 412) {
    return new GcpError('failed-precondition', `Could not ${ctx.action}: it was changed concurrently; retry${serverMessage ? ` (${truncate(serverMessage, 300)})` : ''}.`, {
      status,
      code,
      reason,
      serverMessage,
    });
  }
  if (status === 400) {
    return new GcpError('invalid-argument', `Could not ${ctx.action}: the request was refused as invalid${serverMessage ? `: ${truncate(serverMessage, 300)}` : ''}.`, {
      status,
      code,
      reason,
      serverMessage,
    });
  }
  if (status === 429) {
    return new GcpError('rate-limited', `Could not ${ctx.action}: quota or rate limit exceeded; wait and retry${serverMessage ? ` (${truncate(serverMessage, 300)})` : ''}.`, {
      status,
      code,
      reason,
      serverMessage,
    });
  }
  if (status >= 500) {
    return new GcpError('unavailable', `Could not ${ctx.action}: the service answered ${status}${serverMessage ? ` (${truncate(serverMessage, 300)})` : ''}; retry later.`, {
      status,
      code,
      reason,
      serverMessage,
    });
  }
  return new GcpError('unknown', `Could not ${ctx.action}: HTTP ${status}${serverMessage ? ` (${truncate(serverMessage, 300)})` : ''}.`, {
    status,
    code,
    reason,
    serverMessage,
  });
}
