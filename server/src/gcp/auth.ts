/**
 * One authorised REST client for every Google API ar-migrate calls, built on
 * google-auth-library (`GoogleAuth#getClient()` -> `client.request(...)`).
 * Each API has a configurable root URL so tests (and private endpoints) can
 * point it elsewhere: options.endpoints, or AR_MIGRATE_ENDPOINT_<API> in the
 * environment (e.g. AR_MIGRATE_ENDPOINT_ARTIFACTREGISTRY=http://127.0.0.1:8080).
 */
import { GoogleAuth } from 'google-auth-library';
import { GcpError, NoCredentialsError, toGcpError } from './errors';
import { abortError, sleep } from '../abort';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export type ApiName = 'artifactRegistry' | 'resourceManager' | 'iam' | 'logging' | 'bigquery';

export const DEFAULT_ENDPOINTS: Readonly<Record<ApiName, string>> = {
  artifactRegistry: 'https://artifactregistry.googleapis.com',
  resourceManager: 'https://cloudresourcemanager.googleapis.com',
  iam: 'https://iam.googleapis.com',
  logging: 'https://logging.googleapis.com',
  bigquery: 'https://bigquery.googleapis.com',
};

const ENV_SUFFIX: Record<ApiName, string> = {
  artifactRegistry: 'ARTIFACTREGISTRY',
  resourceManager: 'CLOUDRESOURCEMANAGER',
  iam: 'IAM',
  logging: 'LOGGING',
  bigquery: 'BIGQUERY',
};

/** Endpoint overrides from AR_MIGRATE_ENDPOINT_<API> (and AR_MIGRATE_ENDPOINT_ALL for every API). */
export function endpointsFromEnv(env: NodeJS.ProcessEnv): Partial<Record<ApiName, string>> {
  const out: Partial<Record<ApiName, string>> = {};
  for (const api of Object.keys(ENV_SUFFIX) as ApiName[]) {
    const v = env[`AR_MIGRATE_ENDPOINT_${ENV_SUFFIX[api]}`] ?? env.AR_MIGRATE_ENDPOINT_ALL;
    if (v && v.trim()) out[api] = v.trim();
  }
  return out;
}

/** The part of google-auth-library's AuthClient that is used. */
export interface RequestClient {
  request<T = unknown>(opts: {
    url: string;
    method?: string;
    data?: unknown;
    headers?: Record<string, string>;
    signal?: AbortSignal;
    responseType?: 'json' | 'text';
    retry?: boolean;
  }): Promise<{ data: T; status: number }>;
}

export interface GcpApiOptions {
  /** A GoogleAuth, or an already-authorised client (an AuthClient such as OAuth2Client). */
  auth?: GoogleAuth | RequestClient;
  /** Root URL per API (no trailing path), e.g. { artifactRegistry: 'http://127.0.0.1:1234' }. */
  endpoints?: Partial<Record<ApiName, string>>;
  /** Environment used for the defaults (credentials file, endpoint overrides). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Retries for idempotent calls answered 429/5xx. Default 3 attempts in all. */
  maxAttempts?: number;
  /** First retry delay in ms (doubles). Default 500. */
  retryDelayMs?: number;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path after the root, starting with '/': '/v1/projects/p/locations/l/repositories/r'. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** For messages: "get repository ...". */
  action: string;
  /** Project the call is about (for the `gcloud services enable` fix). */
  project?: string;
}

/** Creates the GoogleAuth used by the CLI: application-default credentials, cloud-platform scope. */
export function createGoogleAuth(env: NodeJS.ProcessEnv = process.env): GoogleAuth {
  const keyFilename = env.GOOGLE_APPLICATION_CREDENTIALS?.trim() || undefined;
  return new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], keyFilename });
}

function isGoogleAuth(a: unknown): a is GoogleAuth {
  return !!a && typeof (a as GoogleAuth).getClient === 'function' && typeof (a as GoogleAuth).getProjectId === 'function';
}

export { abortError, sleep as abortableSleep };

/** REST access to the Google APIs ar-migrate uses. Cheap to create; the client is made on first use. */
export class GcpApi {
  private readonly endpoints: Record<ApiName, string>;
  private readonly authOption?: GoogleAuth | RequestClient;
  private readonly env: NodeJS.ProcessEnv;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private clientPromise?: Promise<RequestClient>;
  private auth?: GoogleAuth;

  constructor(options: GcpApiOptions = {}) {
    this.env = options.env ?? process.env;
    this.endpoints = { ...DEFAULT_ENDPOINTS, ...endpointsFromEnv(this.env), ...stripUndefined(options.endpoints ?? {}) };
    for (const k of Object.keys(this.endpoints) as ApiName[]) this.endpoints[k] = this.endpoints[k].replace(/\/+$/, '');
    this.authOption = options.auth;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  endpoint(api: ApiName): string {
    return this.endpoints[api];
  }

  /** The authorised client; throws NoCredentialsError when there are no usable credentials. */
  client(): Promise<RequestClient> {
    if (!this.clientPromise) {
      this.clientPromise = (async () => {
        const a = this.authOption;
        if (a && !isGoogleAuth(a)) return a;
        this.auth = a ?? createGoogleAuth(this.env);
        try {
          return (await this.auth.getClient()) as unknown as RequestClient;
        } catch (err) {
          const msg = (err as Error)?.message ?? '';
          if (/Could not load the default credentials/i.test(msg)) throw new NoCredentialsError();
          if (/ENOENT|no such file/i.test(msg)) {
            throw new NoCredentialsError(`the credentials file named by GOOGLE_APPLICATION_CREDENTIALS cannot be read`);
          }
          throw new NoCredentialsError(`the credentials could not be loaded: ${msg.slice(0, 200)}`);
        }
      })();
      this.clientPromise.catch(() => {
        this.clientPromise = undefined;
      });
    }
    return this.clientPromise;
  }

  /** The account the credentials belong to, when it can be told without a network call (service-account keys). */
  async callerEmail(): Promise<string | undefined> {
    try {
      await this.client();
      const creds = await this.auth?.getCredentials();
      return creds?.client_email || undefined;
    } catch {
      return undefined;
    }
  }

  url(api: ApiName, path: string, query?: CallOptions['query']): string {
    let u = this.endpoints[api] + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.append(k, String(v));
      const s = qs.toString();
      if (s) u += (u.includes('?') ? '&' : '?') + s;
    }
    return u;
  }

  /** One REST call; Google errors become GcpError (see errors.ts). Idempotent calls are retried on 429/5xx. */
  async call<T>(api: ApiName, opts: CallOptions): Promise<T> {
    const method = opts.method ?? 'GET';
    const url = this.url(api, opts.path, opts.query);
    const client = await this.client();
    const idempotent = method === 'GET' || method === 'PUT' || opts.path.endsWith(':getIamPolicy') || opts.path.endsWith(':testIamPermissions');
    let delay = this.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      if (opts.signal?.aborted) throw toGcpError(abortError(), opts);
      try {
        const res = await client.request<T>({
          url,
          method,
          data: opts.body,
          headers: opts.headers,
          signal: opts.signal,
          responseType: 'json',
          retry: false,
        });
        return res.data;
      } catch (err) {
        const mapped = toGcpError(err, opts);
        const retriable = mapped.kind === 'unavailable' || mapped.kind === 'rate-limited' || mapped.kind === 'network';
        if (!idempotent || !retriable || attempt >= this.maxAttempts || opts.signal?.aborted) throw mapped;
        await sleep(delay, opts.signal).catch(() => {
          throw toGcpError(abortError(), opts);
        });
        delay *= 2;
      }
    }
  }

  /** Like call, but a 404 answers undefined. */
  async getOrUndefined<T>(api: ApiName, opts: CallOptions): Promise<T | undefined> {
    try {
      return await this.call<T>(api, opts);
    } catch (err) {
      if (err instanceof GcpError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') (out as Record<string, unknown>)[k] = v;
  return out;
}
