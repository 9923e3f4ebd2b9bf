/**
 * One registry host: HTTP requests with auth (Bearer token flow per scope,
 * Basic), manual redirects that never carry Authorization to another host,
 * rate-limit headers, and bounded retries with exponential backoff + jitter.
 */
import { Readable } from 'node:stream';
import type { Agent as AgentType, Dispatcher } from 'undici';
// Deep imports: the undici index also loads fetch, WebSocket, caches and
// mocks, which roughly doubles the copier's start-up time.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Agent: typeof AgentType = require('undici/lib/dispatcher/agent');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const apiRequest: (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData> = require('undici/lib/api/api-request');

function request(url: string, opts: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher }): Promise<Dispatcher.ResponseData> {
  const u = new URL(url);
  const { dispatcher, ...rest } = opts;
  return apiRequest.call(dispatcher, { ...rest, origin: u.origin, path: u.pathname + u.search } as Dispatcher.RequestOptions);
}
import { basicAuthorization, Challenge, normalizeScopes, parseChallenges, pickChallenge } from './auth';
import { anonymousCredentials, Credential, CredentialStore } from './credentials';
import { allowsPlainHttp, Endpoint, isGoogleRegistry, isDockerHub, isLoopbackHost, resolveEndpoint } from './endpoint';
import { cancelled, isAbortError, redact, RegistryError, safeUrl } from './errors';
import { describeRateLimit, parseRateLimit, RateLimit } from './ratelimit';
import { sleep as abortableSleep } from '../abort';

export interface RetryPolicy {
  /** Attempts after the first (default 4). */
  retries: number;
  /** First backoff, ms (default 250); doubles each attempt, full jitter. */
  baseDelayMs: number;
  /** Cap of one backoff, ms (default 8000). */
  maxDelayMs: number;
  /** Cap of an honoured Retry-After, ms (default 30000). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 30_000 };

export interface RetryEvent {
  type: 'retry';
  registry: string;
  what: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface ClientOptions {
  insecureRegistries?: readonly string[];
  credentials?: CredentialStore;
  dispatcher?: Dispatcher;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  onRetry?: (e: RetryEvent) => void;
}

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface RequestSpec {
  method: Method;
  /** Path under the registry, e.g. `/v2/library/nginx/manifests/latest`. */
  path?: string;
  /** Absolute URL (an upload Location). */
  url?: string;
  headers?: Record<string, string>;
  /** A Buffer is replayable (retried here); a Readable is sent once. */
  body?: Buffer | Readable;
  /** Token scopes this request needs. */
  scopes: string[];
  signal?: AbortSignal;
  followRedirects?: boolean;
  /** Names what is fetched in errors, e.g. `manifest docker.io/library/nginx:1.25`. */
  what: string;
  /** Statuses returned to the caller instead of thrown (besides 2xx). */
  accept?: number[];
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  url: string;
}

export function header(res: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]);
const RETRY_NET = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ERR_STREAM_PREMATURE_CLOSE',
]);

// Liftoff-only WebAssembly (smaller peak RSS while copying) is a process-wide
// V8 flag: the CLI's mirror/migrate entry sets it (preferBaselineWasm in
// ./memory), so loading this module does not change the language server.

/**
 * Response header limit: undici's default is Node's http.maxHeaderSize
 * (16 KiB), and reading it loads node:http, which the CLI bundles otherwise
 * skip (docs/cli-startup.md). Registries behind CDNs can send large headers,
 * so 64 KiB, unless the user set --max-http-header-size for Node.
 */
function maxHeaderSize(): number | undefined {
  const flag = '--max-http-header-size';
  if (process.execArgv.some((a) => a.startsWith(flag)) || (process.env.NODE_OPTIONS ?? '').includes(flag)) return undefined;
  return 64 << 10;
}

const AGENT_OPTIONS = {
  keepAliveTimeout: 10_000,
  headersTimeout: 120_000,
  bodyTimeout: 120_000,
  connect: { timeout: 30_000 },
  maxHeaderSize: maxHeaderSize(),
};

let sharedAgent: Dispatcher | undefined;
let directAgent: Dispatcher | undefined;

function proxyConfigured(): boolean {
  const e = process.env;
  return !!(e.https_proxy || e.HTTPS_PROXY || e.http_proxy || e.HTTP_PROXY);
}

/**
 * The shared connection pool. With HTTPS_PROXY / HTTP_PROXY set, requests go
 * through the proxy (NO_PROXY honoured); loopback registries never do.
 */
export function defaultDispatcher(): Dispatcher {
  if (!sharedAgent) {
    if (proxyConfigured()) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent');
      sharedAgent = new EnvHttpProxyAgent(AGENT_OPTIONS) as Dispatcher;
    } else {
      sharedAgent = new Agent(AGENT_OPTIONS);
    }
  }
  return sharedAgent;
}

function loopbackDispatcher(): Dispatcher {
  if (!proxyConfigured()) return defaultDispatcher();
  if (!directAgent) directAgent = new Agent(AGENT_OPTIONS);
  return directAgent;
}

/** Waits `ms`; rejects with a CANCELLED RegistryError when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortableSleep(ms, signal, () => cancelled('wait'));
}

/** Retry-After as ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

export function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), policy.maxRetryAfterMs);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}

/** Maps a network error to a RegistryError naming the registry. */
export function networkError(err: unknown, registry: string, what: string): RegistryError {
  if (err instanceof RegistryError) return err;
  if (isAbortError(err)) return cancelled(what);
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code && e.code !== 'UND_ERR' ? e.code : e?.cause?.code ?? e?.code;
  const causeCode = e?.cause?.code;
  const anyCode = (c: string) => code === c || causeCode === c;
  if (anyCode('ENOTFOUND')) {
    return new RegistryError('DNS', `${what}: cannot resolve registry host ${registry} (DNS lookup failed); check the registry name and your network`, { registry });
  }
  if (anyCode('EAI_AGAIN')) {
    return new RegistryError('DNS', `${what}: DNS lookup of ${registry} failed temporarily`, { registry, retryable: true });
  }
  if (anyCode('ECONNREFUSED')) {
    return new RegistryError('CONNECTION_REFUSED', `${what}: connection to ${registry} refused; is the registry running and the port right?`, { registry, retryable: true });
  }
  if (anyCode('CERT_HAS_EXPIRED') || anyCode('DEPTH_ZERO_SELF_SIGNED_CERT') || anyCode('SELF_SIGNED_CERT_IN_CHAIN') || anyCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE') || anyCode('ERR_TLS_CERT_ALTNAME_INVALID') || /SSL|TLS|wrong version number/i.test(e?.message ?? '')) {
    return new RegistryError('NETWORK', `${what}: TLS error talking to ${registry} (${code ?? e?.message}); if it serves plain HTTP, list it with --insecure-registry ${registry}`, { registry });
  }
  const retryable = (code !== undefined && (RETRY_NET.has(code) || code.startsWith('HPE_'))) || (causeCode !== undefined && (RETRY_NET.has(causeCode) || causeCode.startsWith('HPE_')));
  const label = code ?? causeCode ?? 'network error';
  return new RegistryError('NETWORK', `${what}: ${label} talking to ${registry}${e?.message ? ` (${redact(e.message)})` : ''}`, { registry, retryable: retryable || code === undefined });
}

interface CachedToken {
  authorization: string;
  expires: number;
}

export class RegistryClient {
  readonly endpoint: Endpoint;
  readonly registry: string;
  /** The last rate limit the registry reported. */
  rateLimit?: RateLimit;
  readonly policy: RetryPolicy;
  private readonly creds: CredentialStore;
  private readonly dispatcher?: Dispatcher;
  private readonly insecure: readonly string[];
  private readonly userAgent: string;
  private readonly onRetry?: (e: RetryEvent) => void;
  /** undefined: not probed yet; null: registry needs no auth. */
  private challenge?: Challenge | null;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  private credential?: Promise<Credential | undefined>;
  /** Counts requests by method (tests, bench). */
  readonly counts: Record<string, number> = {};

  constructor(registry: string, opts: ClientOptions = {}) {
    this.registry = registry;
    this.insecure = opts.insecureRegistries ?? [];
    this.endpoint = resolveEndpoint(registry, this.insecure);
    this.creds = opts.credentials ?? anonymousCredentials;
    this.dispatcher = opts.dispatcher;
    this.policy = { ...DEFAULT_RETRY, ...(opts.retry ?? {}) };
    this.userAgent = opts.userAgent ?? 'ar-migrate';
    this.onRetry = opts.onRetry;
  }

  private getCredential(signal?: AbortSignal): Promise<Credential | undefined> {
    if (!this.credential) {
      this.credential = this.creds.get(this.registry, signal).catch(() => undefined);
    }
    return this.credential;
  }

  /** Describes the credential used, for error messages (never the secret). */
  private async credentialLabel(): Promise<string> {
    const c = await this.getCredential();
    return c ? `credentials from ${c.source}` : `no credentials (${this.creds.describe(this.registry)})`;
  }

  private async loginHint(): Promise<string> {
    if (isGoogleRegistry(this.registry)) {
      const h = this.registry.split(':')[0];
      return `run \`gcloud auth login\` / \`gcloud auth application-default login\` and \`gcloud auth configure-docker ${h}\`, and check the account has Artifact Registry access (roles/artifactregistry.writer to push, .reader to pull)`;
    }
    if (isDockerHub(this.registry)) return 'run `docker login` (Docker Hub) with an account that can access this repository';
    return `run \`docker login ${this.registry}\` with an account that can access this repository`;
  }

  /** Runs `op` with bounded retries on retryable errors. */
  async withRetry<T>(what: string, signal: AbortSignal | undefined, op: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw cancelled(what);
      try {
        return await op(attempt);
      } catch (err) {
        if (signal?.aborted || isAbortError(err)) throw cancelled(what);
        const e = err instanceof RegistryError ? err : networkError(err, this.registry, what);
        if (!e.retryable || attempt >= this.policy.retries) {
          if (e.retryable && attempt > 0 && !/after \d+ attempts/.test(e.message)) {
            const final = new RegistryError(e.code, `${e.message} (after ${attempt + 1} attempts)`, { registry: e.registry ?? this.registry, status: e.status });
            throw final;
          }
          throw e;
        }
        const delay = backoffDelay(attempt, this.policy, e.retryAfterMs);
        this.onRetry?.({ type: 'retry', registry: this.registry, what, attempt: attempt + 1, delayMs: delay, reason: e.message });
        await sleep(delay, signal);
      }
    }
  }

  /** A request with retries (the body must be replayable: none or a Buffer). */
  request(spec: RequestSpec): Promise<Response> {
    if (spec.body instanceof Readable) return this.send(spec);
    return this.withRetry(spec.what, spec.signal, () => this.send(spec));
  }

  /** GET (with retries, including a body that breaks off) and read the whole body, up to `limit` bytes. */
  fetchBytes(spec: RequestSpec, limit = 16 << 20): Promise<{ res: Response; bytes: Buffer }> {
    return this.withRetry(spec.what, spec.signal, async () => {
      const res = await this.send(spec);
      try {
        const bytes = await readLimited(res, limit, spec.what, this.registry);
        return { res, bytes };
      } catch (err) {
        throw err instanceof RegistryError ? err : networkError(err, this.registry, spec.what);
      }
    });
  }

  /** Learns how the registry authenticates (GET /v2/) if not known yet. */
  async probe(signal?: AbortSignal): Promise<void> {
    if (this.challenge !== undefined) return;
    const res = await this.withRetry(`ping ${this.registry}`, signal, () => this.rawRequest('GET', this.endpoint.baseUrl + '/v2/', {}, undefined, signal, `ping ${this.registry}`));
    await res.body.dump().catch(() => undefined);
    if (res.status === 401) {
      this.challenge = pickChallenge(parseChallenges(res.headers['www-authenticate'])) ?? null;
    } else if (this.challenge === undefined) {
      this.challenge = null;
    }
  }

  private async rawRequest(method: Method, url: string, headers: Record<string, string>, body: Buffer | Readable | undefined, signal: AbortSignal | undefined, what: string): Promise<Response> {
    const u = new URL(url);
    if (u.protocol === 'http:' && !allowsPlainHttp(u.host, this.insecure)) {
      throw new RegistryError('INSECURE', `${what}: refusing plain HTTP to ${u.host}; list it with --insecure-registry ${u.host} if that is intended`, { registry: this.registry });
    }
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    try {
      const res = await request(url, {
        method,
        headers: { 'user-agent': this.userAgent, ...headers },
        body,
        signal,
        // undici closes the connection after every HEAD (for servers that
        // wrongly send a body); registries do not, and a copy HEADs every
        // blob and manifest first: keep the connection (over TLS, a new one
        // costs handshakes). A stray body would surface as an HPE_* parse
        // error on the next request, which is retried on a fresh connection.
        ...(method === 'HEAD' ? { reset: false } : {}),
        dispatcher: this.dispatcher ?? (isLoopbackHost(u.hostname) ? loopbackDispatcher() : defaultDispatcher()),
      });
      const rl = parseRateLimit(res.headers);
      if (rl) this.rateLimit = rl;
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    } catch (err) {
      throw networkError(err, this.registry, what);
    }
  }

  /** Authorization header for these scopes, or undefined when none is needed or known. */
  private async authorization(scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    const cred = await this.getCredential(signal);
    if (ch.scheme === 'basic') {
      if (cred?.kind === 'basic') return basicAuthorization(cred.username, cred.password);
      return undefined;
    }
    if (ch.scheme !== 'bearer') return undefined;
    if (cred?.kind === 'registryToken') return `Bearer ${cred.token}`;
    const key = normalizeScopes(scopes).join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.authorization;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(ch, normalizeScopes(scopes), cred, signal);
      this.pending.set(key, p);
      p.finally(() => this.pending.delete(key)).catch(() => undefined);
    }
    const t = await p;
    this.tokens.set(key, t);
    return t.authorization;
  }

  private async fetchToken(ch: Challenge, scopes: string[], cred: Credential | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const realm = ch.params.realm;
    const what = `token for ${scopes.join(' ') || this.registry}`;
    if (!realm) throw new RegistryError('PROTOCOL', `${this.registry} asked for a Bearer token without a realm`, { registry: this.registry });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('PROTOCOL', `${this.registry} gave an invalid token realm`, { registry: this.registry });
    }
    if (url.protocol === 'http:' && !allowsPlainHttp(url.host, this.insecure)) {
      throw new RegistryError('INSECURE', `${this.registry}: token realm ${url.host} uses plain HTTP; refusing to send credentials (list it with --insecure-registry if intended)`, { registry: this.registry });
    }
    const headers: Record<string, string> = {};
    let method: Method = 'GET';
    let body: Buffer | undefined;
    if (cred?.kind === 'identityToken') {
      method = 'POST';
      const form = new URLSearchParams();
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', cred.token);
      if (ch.params.service) form.set('service', ch.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      form.set('client_id', 'ar-migrate');
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (ch.params.service) url.searchParams.set('service', ch.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (cred?.kind === 'basic') {
        headers.authorization = basicAuthorization(cred.username, cred.password);
        if (cred.username) url.searchParams.set('account', cred.username);
      }
    }
    const res = await this.withRetry(what, signal, () => this.rawRequest(method, url.toString(), headers, body, signal, what).then(async (r) => {
      if (r.status >= 500 || r.status === 429 || r.status === 408) {
        await r.body.dump().catch(() => undefined);
        throw new RegistryError('SERVER', `token server of ${this.registry} answered ${r.status}`, { registry: this.registry, status: r.status, retryable: true, retryAfterMs: parseRetryAfter(header(r, 'retry-after')) });
      }
      return r;
    }));
    const text = await readLimited(res, 1 << 20, what, this.registry).then((b) => b.toString('utf8'));
    if (res.status === 401 || res.status === 403) {
      const label = await this.credentialLabel();
      throw new RegistryError(
        res.status === 401 ? 'UNAUTHORIZED' : 'DENIED',
        `${this.registry}: the token server refused ${label} for ${scopes.join(' ')} (${res.status}); ${await this.loginHint()}`,
        { registry: this.registry, status: res.status },
      );
    }
    if (res.status < 200 || res.status >= 300) {
      throw new RegistryError('PROTOCOL', `${this.registry}: token server answered ${res.status}`, { registry: this.registry, status: res.status });
    }
    let doc: any;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new RegistryError('PROTOCOL', `${this.registry}: token server did not answer JSON`, { registry: this.registry });
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : doc.access_token;
    if (typeof token !== 'string' || !token) throw new RegistryError('PROTOCOL', `${this.registry}: token server answer has no token`, { registry: this.registry });
    const expiresIn = Number(doc.expires_in) > 0 ? Number(doc.expires_in) : 60;
    // refresh a little early
    const expires = Date.now() + Math.max(5, expiresIn - Math.min(30, expiresIn / 4)) * 1000;
    return { authorization: `Bearer ${token}`, expires };
  }

  private invalidateTokens(scopes: string[]): void {
    this.tokens.delete(normalizeScopes(scopes).join(' '));
  }

  /**
   * One attempt: auth handshake (401 -> challenge -> token -> again, once),
   * manual redirects (no Authorization to another host), status mapping.
   */
  async send(spec: RequestSpec): Promise<Response> {
    const { signal, what } = spec;
    const streamBody = spec.body instanceof Readable;
    if (streamBody) await this.probe(signal);
    let url = spec.url ?? this.endpoint.baseUrl + (spec.path ?? '/v2/');
    const origin = new URL(this.endpoint.baseUrl).origin;
    let authRetried = false;
    let hadAuth = false;
    for (let hop = 0; ; ) {
      if (signal?.aborted) throw cancelled(what);
      const sameHost = new URL(url).origin === origin;
      const headers: Record<string, string> = { ...(spec.headers ?? {}) };
      let scopes = spec.scopes;
      if (sameHost) {
        const auth = await this.authorization(scopes, signal);
        if (auth) {
          headers.authorization = auth;
          hadAuth = true;
        }
      }
      const res = await this.rawRequest(spec.method, url, headers, hop === 0 ? spec.body : undefined, signal, what);
      if (res.status === 401 && sameHost && !authRetried) {
        await res.body.dump().catch(() => undefined);
        const ch = pickChallenge(parseChallenges(res.headers['www-authenticate']));
        const cred = await this.getCredential(signal);
        const canImprove = ch && (ch.scheme === 'bearer' || (ch.scheme === 'basic' && cred?.kind === 'basic' && !hadAuth));
        if (canImprove) {
          authRetried = true;
          if (ch.params.scope) scopes = [...new Set([...scopes, ...ch.params.scope.split(' ')])];
          this.challenge = ch;
          this.invalidateTokens(spec.scopes);
          if (scopes !== spec.scopes) spec = { ...spec, scopes };
          if (streamBody) {
            // the body is gone: the caller starts over with a fresh stream (auth now known)
            throw new RegistryError('UNAUTHORIZED', `${what}: authentication needed; retrying`, { registry: this.registry, status: 401, retryable: true, retryAfterMs: 0 });
          }
          continue;
        }
      }
      if ([301, 302, 303, 307, 308].includes(res.status) && spec.followRedirects !== false) {
        await res.body.dump().catch(() => undefined);
        const loc = header(res, 'location');
        if (!loc) throw new RegistryError('PROTOCOL', `${what}: redirect without Location from ${this.registry}`, { registry: this.registry });
        if (++hop > 5) throw new RegistryError('PROTOCOL', `${what}: too many redirects`, { registry: this.registry });
        const next = new URL(loc, url);
        const cur = new URL(url);
        if (next.protocol === 'http:' && cur.protocol === 'https:' && !allowsPlainHttp(next.host, this.insecure)) {
          throw new RegistryError('INSECURE', `${what}: ${this.registry} redirected from HTTPS to plain HTTP (${next.host}); refused`, { registry: this.registry });
        }
        if (streamBody && spec.method !== 'GET' && spec.method !== 'HEAD') {
          throw new RegistryError('PROTOCOL', `${what}: unexpected redirect of an upload`, { registry: this.registry });
        }
        url = next.toString();
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || spec.accept?.includes(res.status)) return res;
      throw await this.statusError(res, spec);
    }
  }

  /** Builds the error for an unexpected status, naming the image and registry. */
  async statusError(res: Response, spec: Pick<RequestSpec, 'what' | 'method' | 'scopes'>): Promise<RegistryError> {
    const status = res.status;
    let detail = '';
    let codes: string[] = [];
    if (spec.method !== 'HEAD') {
      const text = await readLimited(res, 64 << 10, spec.what, this.registry).then((b) => b.toString('utf8')).catch(() => '');
      try {
        const doc = JSON.parse(text);
        if (Array.isArray(doc?.errors)) {
          codes = doc.errors.map((e: any) => String(e?.code ?? ''));
          detail = doc.errors.map((e: any) => [e?.code, e?.message].filter(Boolean).join(': ')).join('; ');
        }
      } catch {
        detail = text.trim().slice(0, 200);
      }
    } else {
      await res.body.dump().catch(() => undefined);
    }
    const d = detail ? ` (${redact(detail)})` : '';
    const registry = this.registry;
    const what = spec.what;
    const retryAfterMs = parseRetryAfter(header(res, 'retry-after'));
    if (status === 401) {
      return new RegistryError('UNAUTHORIZED', `${what}: ${registry} answered 401 unauthorized with ${await this.credentialLabel()}${d}; ${await this.loginHint()}`, { registry, status });
    }
    if (status === 403) {
      const action = spec.scopes.some((s) => s.endsWith('push')) ? 'push to' : 'pull from';
      return new RegistryError('DENIED', `${what}: ${registry} answered 403 denied: ${await this.credentialLabel()} may not ${action} this repository${d}; ${await this.loginHint()}`, { registry, status });
    }
    if (status === 404) {
      if (codes.includes('NAME_UNKNOWN')) {
        const hint = isGoogleRegistry(registry) && spec.method !== 'GET' && spec.method !== 'HEAD'
          ? '; create the Artifact Registry repository first (gcloud artifacts repositories create REPOSITORY --repository-format=docker --location=LOCATION)'
          : '';
        return new RegistryError('NAME_UNKNOWN', `${what}: repository not found on ${registry}${d}${hint}`, { registry, status });
      }
      if (codes.includes('BLOB_UNKNOWN')) return new RegistryError('BLOB_UNKNOWN', `${what}: blob not found on ${registry}${d}`, { registry, status });
      return new RegistryError('MANIFEST_UNKNOWN', `${what}: not found on ${registry}${d || ' (manifest unknown)'}`, { registry, status });
    }
    if (status === 429) {
      const rl = parseRateLimit(res.headers);
      if (rl && rl.remaining === 0) {
        // a spent pull quota (Docker Hub: per 6 h window) does not come back within any retry
        return new RegistryError('RATE_LIMITED', `${what}: pull limit of ${registry} reached (${describeRateLimit(rl)})${d}; ${isDockerHub(registry) ? 'log in with `docker login` for a higher limit, or ' : ''}wait for the window to pass`, { registry, status });
      }
      return new RegistryError('RATE_LIMITED', `${what}: ${registry} answered 429 too many requests${d}${this.rateLimit ? ` (${this.rateLimit.remaining} of ${this.rateLimit.limit} pulls left)` : ''}`, { registry, status, retryable: true, retryAfterMs });
    }
    if (RETRY_STATUS.has(status)) {
      return new RegistryError('SERVER', `${what}: ${registry} answered ${status}${d}`, { registry, status, retryable: true, retryAfterMs });
    }
    if (status >= 500) return new RegistryError('SERVER', `${what}: ${registry} answered ${status}${d}`, { registry, status });
    if (codes.includes('DIGEST_INVALID')) return new RegistryError('DIGEST_MISMATCH', `${what}: ${registry} refused the content: digest does not match${d}`, { registry, status });
    if (codes.includes('SIZE_INVALID')) return new RegistryError('SIZE_MISMATCH', `${what}: ${registry} refused the content: size does not match${d}`, { registry, status });
    if (codes.includes('MANIFEST_INVALID') || codes.includes('MANIFEST_BLOB_UNKNOWN')) {
      return new RegistryError('INVALID_MANIFEST', `${what}: ${registry} refused the manifest${d}`, { registry, status });
    }
    return new RegistryError('PROTOCOL', `${what}: ${registry} answered ${status} to ${spec.method}${d}`, { registry, status });
  }
}

/** Reads a whole response body, refusing more than `limit` bytes. */
export async function readLimited(res: Response, limit: number, what: string, registry: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body) {
    n += chunk.length;
    if (n > limit) {
      res.body.destroy();
      throw new RegistryError('PROTOCOL', `${what}: response from ${registry} larger than ${limit} bytes`, { registry });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export { safeUrl };
