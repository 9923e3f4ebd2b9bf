/**
 * A loopback HTTP server speaking enough of the BigQuery REST API v2 for the
 * real @google-cloud/bigquery client: jobs.insert (query jobs, dry runs),
 * jobs.get, jobs.cancel, jobs.getQueryResults (GET /queries/{id}) and
 * jobs.query (POST /queries), with paging (maxResults / pageToken), pending
 * polls (jobComplete: false), and errors in Google's JSON error format.
 *
 * It does not execute SQL: a test supplies a handler that sees the query text
 * and parameters and returns the rows BigQuery would return (or an error).
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { AuthClient } from 'google-auth-library';

export interface QueryParam {
  type: string;
  value: unknown;
}

export interface QueryJobRequest {
  projectId: string;
  jobId: string;
  location?: string;
  query: string;
  useLegacySql?: boolean;
  parameterMode?: string;
  /** Named parameters as sent (queryParameters[]). */
  queryParameters: any[];
  /** Convenience: name -> {type, value}. */
  params: Record<string, QueryParam>;
  dryRun: boolean;
  labels?: Record<string, string>;
  maximumBytesBilled?: string;
  /** 'jobs.insert' or 'jobs.query'. */
  via: 'jobs.insert' | 'jobs.query';
}

export interface SchemaField {
  name: string;
  type: string;
  mode?: string;
}

export interface QueryResult {
  schema: SchemaField[];
  /** Rows as objects keyed by field name; encoded to BigQuery's {f:[{v}]} form. */
  rows: Array<Record<string, string | number | null | undefined>>;
  totalBytesProcessed?: number;
  /** How many getQueryResults calls answer jobComplete:false before the rows (default 0). */
  pendingPolls?: number;
}

export interface ApiErrorSpec {
  status: number;
  reason: string;
  message: string;
  /** 'insert' (default): jobs.insert / jobs.query fails; 'results': the job fails while running. */
  stage?: 'insert' | 'results';
}

export type QueryHandler = (req: QueryJobRequest) => QueryResult | { error: ApiErrorSpec };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body?: any;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

interface JobState {
  req: QueryJobRequest;
  result?: QueryResult;
  error?: ApiErrorSpec;
  polls: number;
  cancelled: boolean;
}

export interface BigQueryServerOptions {
  handler: QueryHandler;
  /** When set, every request must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
}

export class BigQueryTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly queries: QueryJobRequest[] = [];
  readonly jobs = new Map<string, JobState>();
  handler: QueryHandler;
  private server!: http.Server;
  url = '';

  private constructor(private readonly options: BigQueryServerOptions) {
    this.handler = options.handler;
  }

  static async start(options: BigQueryServerOptions): Promise<BigQueryTestServer> {
    const s = new BigQueryTestServer(options);
    s.server = http.createServer((req, res) => {
      s.handle(req, res).catch((err) => s.send(res, 500, googleError(500, 'backendError', String(err?.message ?? err))));
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return this.send(res, 400, googleError(400, 'parseError', 'Parse Error'));
      }
    }
    const query: Record<string, string> = {};
    u.searchParams.forEach((v, k) => (query[k] = v));
    this.requests.push({ method: req.method ?? '', path: u.pathname, query, authorization: req.headers.authorization, body });

    if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`) {
      return this.send(
        res,
        401,
        googleError(401, 'authError', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.'),
      );
    }

    const m = /^(?:\/bigquery\/v2)?\/projects\/([^/]+)\/(jobs|queries)(?:\/([^/]+))?(\/cancel)?$/.exec(u.pathname);
    if (!m) return this.send(res, 404, googleError(404, 'notFound', `Not found: ${u.pathname}`));
    const projectId = decodeURIComponent(m[1]);
    const kind = m[2];
    const id = m[3] ? decodeURIComponent(m[3]) : undefined;

    if (kind === 'jobs' && !id && req.method === 'POST') return this.insertJob(res, projectId, body);
    if (kind === 'jobs' && id && m[4] && req.method === 'POST') {
      const job = this.jobs.get(id);
      if (!job) return this.send(res, 404, googleError(404, 'notFound', `Not found: Job ${projectId}:${id}`));
      job.cancelled = true;
      return this.send(res, 200, { kind: 'bigquery#jobCancelResponse', job: this.jobResource(id, job) });
    }
    if (kind === 'jobs' && id && req.method === 'GET') {
      const job = this.jobs.get(id);
      if (!job) return this.send(res, 404, googleError(404, 'notFound', `Not found: Job ${projectId}:${id}`));
      return this.send(res, 200, this.jobResource(id, job));
    }
    if (kind === 'queries' && id && req.method === 'GET') return this.getQueryResults(res, projectId, id, query);
    if (kind === 'queries' && !id && req.method === 'POST') return this.jobsQuery(res, projectId, body);
    return this.send(res, 404, googleError(404, 'notFound', `Not found: ${req.method} ${u.pathname}`));
  }

  private toRequest(projectId: string, jobId: string, location: string | undefined, q: any, dryRun: boolean, via: QueryJobRequest['via'], labels?: any): QueryJobRequest {
    const params: Record<string, QueryParam> = {};
    for (const p of q?.queryParameters ?? []) {
      params[p.name] = { type: p.parameterType?.type, value: p.parameterValue?.value };
    }
    return {
      projectId,
      jobId,
      location,
      query: q?.query ?? '',
      useLegacySql: q?.useLegacySql,
      parameterMode: q?.parameterMode,
      queryParameters: q?.queryParameters ?? [],
      params,
      dryRun,
      labels,
      maximumBytesBilled: q?.maximumBytesBilled,
      via,
    };
  }

  private run(r: QueryJobRequest): { result?: QueryResult; error?: ApiErrorSpec } {
    this.queries.push(r);
    const out = this.handler(r);
    if ('error' in out) return { error: out.error };
    return { result: out };
  }

  private insertJob(res: http.ServerResponse, projectId: string, body: any): void {
    const ref = body?.jobReference ?? {};
    const jobId: string = ref.jobId ?? `job_${this.jobs.size + 1}`;
    const cfg = body?.configuration ?? {};
    if (!cfg.query) return this.send(res, 400, googleError(400, 'invalid', 'Only query jobs are supported by this endpoint'));
    if (cfg.query.useLegacySql !== false) return this.send(res, 400, googleError(400, 'invalidQuery', 'Legacy SQL is not expected'));
    const r = this.toRequest(projectId, jobId, ref.location, cfg.query, Boolean(cfg.dryRun), 'jobs.insert', cfg.labels);
    const { result, error } = this.run(r);
    if (error && (error.stage ?? 'insert') === 'insert') return this.send(res, error.status, googleError(error.status, error.reason, error.message));
    if (r.dryRun) {
      const bytes = String(result?.totalBytesProcessed ?? 0);
      return this.send(res, 200, {
        kind: 'bigquery#job',
        jobReference: { projectId, location: ref.location ?? 'US' },
        configuration: { query: cfg.query, dryRun: true, jobType: 'QUERY' },
        status: { state: 'DONE' },
        statistics: { totalBytesProcessed: bytes, query: { totalBytesProcessed: bytes, statementType: 'SELECT' } },
      });
    }
    const job: JobState = { req: r, result, error, polls: 0, cancelled: false };
    this.jobs.set(jobId, job);
    return this.send(res, 200, this.jobResource(jobId, job));
  }

  private jobsQuery(res: http.ServerResponse, projectId: string, body: any): void {
    const jobId = `query_${this.jobs.size + 1}`;
    const r = this.toRequest(projectId, jobId, body?.location, body, Boolean(body?.dryRun), 'jobs.query', body?.labels);
    const { result, error } = this.run(r);
    if (error) return this.send(res, error.status, googleError(error.status, error.reason, error.message));
    const job: JobState = { req: r, result, polls: 0, cancelled: false };
    this.jobs.set(jobId, job);
    const max = body?.maxResults !== undefined ? Number(body.maxResults) : undefined;
    return this.send(res, 200, this.page(projectId, jobId, job, 0, max));
  }

  private jobResource(jobId: string, job: JobState): any {
    const done = job.cancelled || job.error !== undefined || job.polls >= (job.result?.pendingPolls ?? 0);
    const status: any = { state: done ? 'DONE' : 'RUNNING' };
    if (job.error) {
      const e = { reason: job.error.reason, message: job.error.message, location: 'query' };
      status.errorResult = e;
      status.errors = [e];
    }
    return {
      kind: 'bigquery#job',
      id: `${job.req.projectId}:${job.req.location ?? 'US'}.${jobId}`,
      jobReference: { projectId: job.req.projectId, jobId, location: job.req.location ?? 'US' },
      configuration: { jobType: 'QUERY', query: { query: job.req.query } },
      status,
      statistics: { totalBytesProcessed: String(job.result?.totalBytesProcessed ?? 0) },
    };
  }

  private getQueryResults(res: http.ServerResponse, projectId: string, jobId: string, q: Record<string, string>): void {
    const job = this.jobs.get(jobId);
    if (!job) return this.send(res, 404, googleError(404, 'notFound', `Not found: Job ${projectId}:${jobId}`));
    if (job.error) return this.send(res, job.error.status, googleError(job.error.status, job.error.reason, job.error.message));
    if (job.cancelled) return this.send(res, 400, googleError(400, 'stopped', 'Job execution was cancelled: User requested cancellation'));
    if (job.polls < (job.result?.pendingPolls ?? 0)) {
      job.polls++;
      return this.send(res, 200, {
        kind: 'bigquery#getQueryResultsResponse',
        jobReference: { projectId, jobId, location: job.req.location ?? 'US' },
        jobComplete: false,
      });
    }
    let offset = 0;
    if (q.pageToken) {
      const mm = /^page-(\d+)$/.exec(q.pageToken);
      if (!mm) return this.send(res, 400, googleError(400, 'invalid', `Invalid page token: ${q.pageToken}`));
      offset = Number(mm[1]);
    } else if (q.startIndex) offset = Number(q.startIndex);
    const max = q.maxResults !== undefined ? Number(q.maxResults) : undefined;
    return this.send(res, 200, this.page(projectId, jobId, job, offset, max));
  }

  private page(projectId: string, jobId: string, job: JobState, offset: number, max?: number): any {
    const result = job.result ?? { schema: [], rows: [] };
    const all = result.rows;
    const end = max !== undefined && max > 0 ? Math.min(all.length, offset + max) : all.length;
    const rows = all.slice(offset, end).map((row) => ({
      f: result.schema.map((f) => {
        const v = row[f.name];
        return { v: v === null || v === undefined ? null : String(v) };
      }),
    }));
    const out: any = {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: { projectId, jobId, location: job.req.location ?? 'US' },
      schema: { fields: result.schema.map((f) => ({ name: f.name, type: f.type, mode: f.mode ?? 'NULLABLE' })) },
      totalRows: String(all.length),
      rows,
      totalBytesProcessed: String(result.totalBytesProcessed ?? 0),
      jobComplete: true,
      cacheHit: false,
    };
    if (end < all.length) out.pageToken = `page-${end}`;
    return out;
  }
}

/** Google's JSON error body. */
export function googleError(code: number, reason: string, message: string): any {
  return {
    error: {
      code,
      message,
      errors: [{ message, domain: 'global', reason }],
      status: STATUS_NAMES[code] ?? 'UNKNOWN',
    },
  };
}

/**
 * Credentials for tests: a real google-auth-library AuthClient that hands out
 * a fixed bearer token (no Google auth server involved).
 */
export class StaticTokenAuthClient extends AuthClient {
  constructor(private readonly token: string) {
    super();
  }
  async getAccessToken(): Promise<{ token: string; res?: undefined }> {
    return { token: this.token };
  }
  async getRequestHeaders(): Promise<Headers> {
    return new Headers({ authorization: `Bearer ${this.token}` });
  }
  request<T>(opts: any): any {
    return this.transporter.request<T>(opts);
  }
}
