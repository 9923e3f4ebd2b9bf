/**
 * A loopback HTTP server that speaks the Google REST protocols ar-migrate
 * uses, for tests: Artifact Registry v1 (repositories get/create with a
 * long-running operation, operations.get, getIamPolicy, testIamPermissions),
 * Resource Manager v1 (projects.get, getIamPolicy, testIamPermissions), IAM v1
 * roles.get, Cloud Logging v2 sinks (get/create/update), BigQuery v2 datasets
 * (get/insert/patch), and an OAuth token endpoint for refresh tokens.
 *
 * Each API lives under its own root (fake.endpoints), like the real hosts.
 * Errors are shaped like Google's: {"error": {code, message, status, details|errors}}.
 * Requests need `Authorization: Bearer <token issued here>` (401 otherwise).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface Binding {
  role: string;
  members: string[];
  condition?: { title?: string; expression: string };
}
export interface Policy {
  version?: number;
  etag?: string;
  bindings: Binding[];
}

export interface FakeProject {
  projectId: string;
  projectNumber: string;
  policy: Policy;
}

export interface FakeRepository {
  name: string;
  format: string;
  mode: string;
  description?: string;
  createTime: string;
  updateTime: string;
  policy: Policy;
}

export interface FakeSink {
  name: string;
  destination: string;
  filter?: string;
  description?: string;
  disabled?: boolean;
  writerIdentity: string;
  bigqueryOptions?: { usePartitionedTables?: boolean; usesTimestampColumnPartitioning?: boolean };
  createTime: string;
  updateTime: string;
}

export interface AccessEntry {
  role?: string;
  userByEmail?: string;
  groupByEmail?: string;
  specialGroup?: string;
  iamMember?: string;
  domain?: string;
}

export interface FakeDataset {
  kind: 'bigquery#dataset';
  id: string;
  datasetReference: { projectId: string; datasetId: string };
  location: string;
  access: AccessEntry[];
  etag: string;
  creationTime: string;
  lastModifiedTime: string;
  description?: string;
}

export interface RecordedRequest {
  api: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

type Handler = (req: Req) => Reply;
interface Req {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  headers: http.IncomingHttpHeaders;
}
interface Reply {
  status: number;
  body: unknown;
}

const SERVICES: Record<string, { service: string; title: string }> = {
  artifactregistry: { service: 'artifactregistry.googleapis.com', title: 'Artifact Registry API' },
  cloudresourcemanager: { service: 'cloudresourcemanager.googleapis.com', title: 'Cloud Resource Manager API' },
  iam: { service: 'iam.googleapis.com', title: 'Identity and Access Management (IAM) API' },
  logging: { service: 'logging.googleapis.com', title: 'Cloud Logging API' },
  bigquery: { service: 'bigquery.googleapis.com', title: 'BigQuery API' },
};

const GRPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  500: 'INTERNAL',
};

function now(): string {
  return new Date().toISOString();
}

function etag(): string {
  return crypto.randomBytes(6).toString('base64');
}

function gError(status: number, message: string, details?: unknown[]): Reply {
  return { status, body: { error: { code: status, message, status: GRPC_STATUS[status] ?? 'UNKNOWN', ...(details ? { details } : {}) } } };
}

function bqError(status: number, reason: string, message: string): Reply {
  return {
    status,
    body: { error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: GRPC_STATUS[status] ?? 'UNKNOWN' } },
  };
}

export interface FakeGcpOptions {
  /** Polls of operations.get that answer done:false before the operation completes. Default 2. */
  opPollsUntilDone?: number;
  /** The caller's email (dataset owner entry, etc.). */
  callerEmail?: string;
}

export class FakeGcp {
  readonly projects = new Map<string, FakeProject>();
  readonly repositories = new Map<string, FakeRepository>();
  readonly operations = new Map<string, { polls: number; repo: FakeRepository; error?: { code: number; message: string } }>();
  readonly roles = new Map<string, { name: string; title: string; includedPermissions: string[] }>();
  readonly sinks = new Map<string, FakeSink>();
  readonly datasets = new Map<string, FakeDataset>();
  /** Permissions the caller lacks (everything else is granted). */
  readonly denied = new Set<string>();
  /** `${projectId}/${service}` pairs that are disabled. */
  readonly disabledServices = new Set<string>();
  readonly requests: RecordedRequest[] = [];
  /** A valid refresh token for the credentials file. */
  readonly refreshToken = `refresh-${crypto.randomBytes(8).toString('hex')}`;
  readonly clientId = 'ar-migrate-test-client';
  readonly clientSecret = `secret-${crypto.randomBytes(8).toString('hex')}`;
  tokenRequests = 0;
  /** Answer the next N API requests with 503 UNAVAILABLE (transient failure). */
  failNext = 0;
  opPollsUntilDone: number;
  /** When set, operations finish with this error instead of the repository. */
  nextOperationError?: { code: number; message: string };
  callerEmail: string;
  private readonly tokens = new Set<string>();
  private server?: http.Server;
  private port = 0;

  constructor(options: FakeGcpOptions = {}) {
    this.opPollsUntilDone = options.opPollsUntilDone ?? 2;
    this.callerEmail = options.callerEmail ?? 'migrator@example.com';
  }

  static async start(options: FakeGcpOptions = {}): Promise<FakeGcp> {
    const f = new FakeGcp(options);
    await f.listen();
    return f;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Root URL per API, in the shape GcpApiOptions.endpoints takes. */
  get endpoints() {
    return {
      artifactRegistry: `${this.url}/artifactregistry`,
      resourceManager: `${this.url}/cloudresourcemanager`,
      iam: `${this.url}/iam`,
      logging: `${this.url}/logging`,
      bigquery: `${this.url}/bigquery`,
    };
  }

  /** Environment for the CLI: endpoint overrides plus a credentials file (written to dir). */
  cliEnv(dir: string): Record<string, string> {
    const e = this.endpoints;
    return {
      GOOGLE_APPLICATION_CREDENTIALS: this.writeCredentialsFile(dir),
      AR_MIGRATE_ENDPOINT_ARTIFACTREGISTRY: e.artifactRegistry,
      AR_MIGRATE_ENDPOINT_CLOUDRESOURCEMANAGER: e.resourceManager,
      AR_MIGRATE_ENDPOINT_IAM: e.iam,
      AR_MIGRATE_ENDPOINT_LOGGING: e.logging,
      AR_MIGRATE_ENDPOINT_BIGQUERY: e.bigquery,
    };
  }

  /**
   * An `external_account_authorized_user` credentials file (a real
   * application-default credentials type) whose token_url is this server:
   * google-auth-library refreshes its access token here, never at Google.
   */
  writeCredentialsFile(dir: string): string {
    const file = path.join(dir, 'adc.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        type: 'external_account_authorized_user',
        audience: '//iam.googleapis.com/locations/global/workforcePools/test-pool/providers/test-provider',
        client_id: this.clientId,
        client_secret: this.clientSecret,
        refresh_token: this.refreshToken,
        token_url: `${this.url}/token`,
        token_info_url: `${this.url}/tokeninfo`,
      }),
    );
    return file;
  }

  /** Issues an access token directly (for an OAuth2Client with preset credentials). */
  issueToken(): string {
    const t = `ya29.test-${crypto.randomBytes(12).toString('hex')}`;
    this.tokens.add(t);
    return t;
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  addProject(projectId: string, projectNumber: string, bindings: Binding[] = []): FakeProject {
    const p = { projectId, projectNumber, policy: { version: 1, etag: etag(), bindings } };
    this.projects.set(projectId, p);
    return p;
  }

  addRepository(
    project: string,
    location: string,
    repository: string,
    opts: { format?: string; mode?: string; bindings?: Binding[] } = {},
  ): FakeRepository {
    const name = `projects/${project}/locations/${location}/repositories/${repository}`;
    const r: FakeRepository = {
      name,
      format: opts.format ?? 'DOCKER',
      mode: opts.mode ?? 'STANDARD_REPOSITORY',
      createTime: now(),
      updateTime: now(),
      policy: { version: 1, etag: etag(), bindings: opts.bindings ?? [] },
    };
    this.repositories.set(name, r);
    return r;
  }

  addRole(name: string, includedPermissions: string[], title = name): void {
    this.roles.set(name, { name, title, includedPermissions });
  }

  disableService(projectId: string, api: keyof typeof SERVICES): void {
    this.disabledServices.add(`${projectId}/${SERVICES[api].service}`);
  }

  requestsTo(api: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.api === api && (!method || r.method === method));
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private listen(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => {
        this.port = (this.server!.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let reply: Reply;
      try {
        reply = this.route(req, raw);
      } catch (err) {
        reply = gError(500, `fake server error: ${(err as Error).message}`);
      }
      const body = JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }

  private route(req: http.IncomingMessage, raw: string): Reply {
    const u = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    if (u.pathname === '/token' && method === 'POST') return this.token(req, raw);

    const m = u.pathname.match(/^\/(artifactregistry|cloudresourcemanager|iam|logging|bigquery)(\/.*)$/);
    if (!m) return gError(404, `no such API path ${u.pathname}`);
    const api = m[1];
    const p = decodeURIComponent(m[2]);
    let body: any;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return gError(400, 'Invalid JSON payload received.');
      }
    }
    this.requests.push({ api, method, path: p, query: Object.fromEntries(u.searchParams), body });

    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!this.tokens.has(token)) {
      return gError(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com' }],
      );
    }
    if (this.failNext > 0) {
      this.failNext--;
      return gError(503, 'The service is currently unavailable.');
    }
    const r: Req = { method, path: p, query: u.searchParams, body, headers: req.headers };
    const handlers: Record<string, Handler> = {
      artifactregistry: (x) => this.artifactRegistry(x),
      cloudresourcemanager: (x) => this.resourceManager(x),
      iam: (x) => this.iam(x),
      logging: (x) => this.logging(x),
      bigquery: (x) => this.bigquery(x),
    };
    const project = p.match(/\/projects\/([^/:]+)/)?.[1];
    if (project && this.disabledServices.has(`${project}/${SERVICES[api].service}`)) {
      const number = this.projects.get(project)?.projectNumber ?? project;
      const s = SERVICES[api];
      return gError(
        403,
        `${s.title} has not been used in project ${number} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${s.service}/overview?project=${number} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            domain: 'googleapis.com',
            metadata: {
              service: s.service,
              consumer: `projects/${number}`,
              activationUrl: `https://console.developers.google.com/apis/api/${s.service}/overview?project=${number}`,
              serviceTitle: s.title,
              containerInfo: number,
            },
          },
        ],
      );
    }
    return handlers[api](r);
  }

  private token(req: http.IncomingMessage, raw: string): Reply {
    this.tokenRequests++;
    const form = new URLSearchParams(raw);
    const basic = (req.headers.authorization ?? '').replace(/^Basic /, '');
    const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':');
    if (id !== this.clientId || secret !== this.clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'The OAuth client was not found.' } };
    }
    if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== this.refreshToken) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
    }
    return { status: 200, body: { access_token: this.issueToken(), expires_in: 3599, token_type: 'Bearer' } };
  }

  private permissionDenied(permission: string, resource: string, service: string): Reply {
    return gError(403, `Permission '${permission}' denied on resource '//${service}/${resource}' (or it may not exist).`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: service,
        metadata: { permission, resource },
      },
    ]);
  }

  // ---------------------------------------------------------------- Artifact Registry
  private artifactRegistry(r: Req): Reply {
    const svc = 'artifactregistry.googleapis.com';
    let m = r.path.match(/^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/repositories\/[^/:]+)(?::(getIamPolicy|testIamPermissions))?$/);
    if (m) {
      const name = m[1];
      const repo = this.repositories.get(name);
      if (!m[2] && r.method === 'GET') {
        if (this.denied.has('artifactregistry.repositories.get')) return this.permissionDenied('artifactregistry.repositories.get', name, svc);
        if (!repo) return gError(404, 'Requested entity was not found.');
        return { status: 200, body: this.repoJson(repo) };
      }
      if (m[2] === 'getIamPolicy' && r.method === 'GET') {
        if (this.denied.has('artifactregistry.repositories.getIamPolicy')) return this.permissionDenied('artifactregistry.repositories.getIamPolicy', name, svc);
        if (!repo) return gError(404, 'Requested entity was not found.');
        const v = Number(r.query.get('options.requestedPolicyVersion') ?? '1');
        return { status: 200, body: policyJson(repo.policy, v) };
      }
      if (m[2] === 'testIamPermissions' && r.method === 'POST') {
        if (!repo) return gError(404, 'Requested entity was not found.');
        const asked: string[] = r.body?.permissions ?? [];
        const granted = asked.filter((x) => !this.denied.has(x));
        return { status: 200, body: granted.length ? { permissions: granted } : {} };
      }
      return gError(404, `Method not found: ${r.method} ${r.path}`);
    }
    m = r.path.match(/^\/v1\/(projects\/([^/]+)\/locations\/([^/]+))\/repositories$/);
    if (m && r.method === 'POST') {
      const parent = m[1];
      const id = r.query.get('repositoryId') ?? '';
      if (this.denied.has('artifactregistry.repositories.create')) return this.permissionDenied('artifactregistry.repositories.create', parent, svc);
      if (!/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(id)) return gError(400, `Invalid repository ID "${id}".`);
      if (!r.body || !['DOCKER', 'MAVEN', 'NPM', 'PYTHON', 'APT', 'YUM', 'GO'].includes(r.body.format)) {
        return gError(400, 'Repository format must be specified.');
      }
      const name = `${parent}/repositories/${id}`;
      const pending = [...this.operations.values()].some((o) => o.repo.name === name && o.polls < this.opPollsUntilDone);
      if (this.repositories.has(name) || pending) return gError(409, `the repository already exists`);
      const opName = `${parent}/operations/${crypto.randomUUID()}`;
      const repo: FakeRepository = {
        name,
        format: r.body.format,
        mode: r.body.mode ?? 'STANDARD_REPOSITORY',
        description: r.body.description,
        createTime: now(),
        updateTime: now(),
        policy: { version: 1, etag: etag(), bindings: [] },
      };
      this.operations.set(opName, { polls: 0, repo, error: this.nextOperationError });
      this.nextOperationError = undefined;
      if (this.opPollsUntilDone <= 0) return { status: 200, body: this.finishOp(opName) };
      return {
        status: 200,
        body: { name: opName, metadata: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata' } },
      };
    }
    m = r.path.match(/^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+)$/);
    if (m && r.method === 'GET') {
      const op = this.operations.get(m[1]);
      if (!op) return gError(404, 'Operation not found.');
      op.polls++;
      if (op.polls < this.opPollsUntilDone) {
        return { status: 200, body: { name: m[1], metadata: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata' } } };
      }
      return { status: 200, body: this.finishOp(m[1]) };
    }
    return gError(404, `Method not found: ${r.method} ${r.path}`);
  }

  private finishOp(opName: string): unknown {
    const op = this.operations.get(opName)!;
    op.polls = Math.max(op.polls, this.opPollsUntilDone);
    const meta = { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata' };
    if (op.error) return { name: opName, metadata: meta, done: true, error: op.error };
    this.repositories.set(op.repo.name, op.repo);
    return {
      name: opName,
      metadata: meta,
      done: true,
      response: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.Repository', ...this.repoJson(op.repo) },
    };
  }

  private repoJson(r: FakeRepository): Record<string, unknown> {
    return {
      name: r.name,
      format: r.format,
      mode: r.mode,
      ...(r.description ? { description: r.description } : {}),
      createTime: r.createTime,
      updateTime: r.updateTime,
      sizeBytes: '0',
    };
  }

  // ---------------------------------------------------------------- Resource Manager
  private resourceManager(r: Req): Reply {
    const svc = 'cloudresourcemanager.googleapis.com';
    const m = r.path.match(/^\/v1\/projects\/([^/:]+)(?::(getIamPolicy|testIamPermissions))?$/);
    if (!m) return gError(404, `Method not found: ${r.method} ${r.path}`);
    const p = this.projects.get(m[1]);
    const verb = m[2];
    if (!verb && r.method === 'GET') {
      if (!p || this.denied.has('resourcemanager.projects.get')) {
        return gError(403, `The caller does not have permission`, [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: svc, metadata: { permission: 'resourcemanager.projects.get', resource: `projects/${m[1]}` } },
        ]);
      }
      return {
        status: 200,
        body: { projectNumber: p.projectNumber, projectId: p.projectId, lifecycleState: 'ACTIVE', name: p.projectId, createTime: '2020-01-01T00:00:00.000Z' },
      };
    }
    if (verb === 'getIamPolicy' && r.method === 'POST') {
      if (!p || this.denied.has('resourcemanager.projects.getIamPolicy')) {
        return gError(403, `The caller does not have permission`, [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: svc, metadata: { permission: 'resourcemanager.projects.getIamPolicy', resource: `projects/${m[1]}` } },
        ]);
      }
      return { status: 200, body: policyJson(p.policy, Number(r.body?.options?.requestedPolicyVersion ?? 1)) };
    }
    if (verb === 'testIamPermissions' && r.method === 'POST') {
      if (!p) return gError(403, 'The caller does not have permission');
      const asked: string[] = r.body?.permissions ?? [];
      const granted = asked.filter((x) => !this.denied.has(x));
      return { status: 200, body: granted.length ? { permissions: granted } : {} };
    }
    return gError(404, `Method not found: ${r.method} ${r.path}`);
  }

  // ---------------------------------------------------------------- IAM
  private iam(r: Req): Reply {
    const m = r.path.match(/^\/v1\/((?:projects|organizations)\/[^/]+\/roles\/[^/]+|roles\/[^/]+)$/);
    if (!m || r.method !== 'GET') return gError(404, `Method not found: ${r.method} ${r.path}`);
    if (this.denied.has('iam.roles.get')) return this.permissionDenied('iam.roles.get', m[1], 'iam.googleapis.com');
    const role = this.roles.get(m[1]);
    if (!role) return gError(404, `The role named ${m[1]} was not found.`);
    return { status: 200, body: { name: role.name, title: role.title, includedPermissions: role.includedPermissions, etag: 'BwW=', stage: 'GA' } };
  }

  // ---------------------------------------------------------------- Logging
  private logging(r: Req): Reply {
    const svc = 'logging.googleapis.com';
    let m = r.path.match(/^\/v2\/projects\/([^/]+)\/sinks\/([^/]+)$/);
    if (m) {
      const key = `projects/${m[1]}/sinks/${m[2]}`;
      const sink = this.sinks.get(key);
      if (r.method === 'GET') {
        if (this.denied.has('logging.sinks.get')) return this.permissionDenied('logging.sinks.get', key, svc);
        if (!sink) return gError(404, `Sink ${m[2]} does not exist`);
        return { status: 200, body: sink };
      }
      if (r.method === 'PUT' || r.method === 'PATCH') {
        if (this.denied.has('logging.sinks.update')) return this.permissionDenied('logging.sinks.update', key, svc);
        if (!sink) return gError(404, `Sink ${m[2]} does not exist`);
        const mask = (r.query.get('updateMask') ?? 'destination,filter,description,disabled,bigqueryOptions').split(',').map((s) => s.trim());
        for (const f of mask) {
          const field = f === 'bigquery_options' ? 'bigqueryOptions' : f;
          if (r.body && field in r.body) (sink as any)[field] = r.body[field];
        }
        if (r.query.get('uniqueWriterIdentity') === 'true' && !/gcp-sa-logging/.test(sink.writerIdentity)) {
          sink.writerIdentity = this.uniqueWriter(m[1]);
        }
        sink.updateTime = now();
        const bad = validateSink(sink);
        if (bad) return gError(400, bad);
        return { status: 200, body: sink };
      }
      return gError(404, `Method not found: ${r.method} ${r.path}`);
    }
    m = r.path.match(/^\/v2\/projects\/([^/]+)\/sinks$/);
    if (m && r.method === 'POST') {
      if (this.denied.has('logging.sinks.create')) return this.permissionDenied('logging.sinks.create', `projects/${m[1]}`, svc);
      const b = r.body ?? {};
      if (typeof b.name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(b.name)) return gError(400, 'Sink name is invalid.');
      const key = `projects/${m[1]}/sinks/${b.name}`;
      if (this.sinks.has(key)) return gError(409, `Sink ${b.name} already exists`);
      const unique = r.query.get('uniqueWriterIdentity') === 'true';
      const sink: FakeSink = {
        name: b.name,
        destination: b.destination,
        filter: b.filter,
        ...(b.description ? { description: b.description } : {}),
        ...(b.disabled ? { disabled: true } : {}),
        writerIdentity: unique ? this.uniqueWriter(m[1]) : 'serviceAccount:cloud-logs@system.gserviceaccount.com',
        ...(b.bigqueryOptions ? { bigqueryOptions: { ...b.bigqueryOptions, usesTimestampColumnPartitioning: !!b.bigqueryOptions.usePartitionedTables } } : {}),
        createTime: now(),
        updateTime: now(),
      };
      const bad = validateSink(sink);
      if (bad) return gError(400, bad);
      this.sinks.set(key, sink);
      return { status: 200, body: sink };
    }
    return gError(404, `Method not found: ${r.method} ${r.path}`);
  }

  private uniqueWriter(projectId: string): string {
    const n = this.projects.get(projectId)?.projectNumber ?? '999';
    return `serviceAccount:service-${n}@gcp-sa-logging.iam.gserviceaccount.com`;
  }

  // ---------------------------------------------------------------- BigQuery
  private bigquery(r: Req): Reply {
    let m = r.path.match(/^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)$/);
    if (m) {
      const key = `${m[1]}:${m[2]}`;
      const ds = this.datasets.get(key);
      if (r.method === 'GET') {
        if (this.denied.has('bigquery.datasets.get')) return bqError(403, 'accessDenied', `Access Denied: Dataset ${key}: Permission bigquery.datasets.get denied on dataset ${key} (or it may not exist).`);
        if (!ds) return bqError(404, 'notFound', `Not found: Dataset ${key}`);
        return { status: 200, body: ds };
      }
      if (r.method === 'PATCH' || r.method === 'PUT') {
        if (this.denied.has('bigquery.datasets.update')) return bqError(403, 'accessDenied', `Access Denied: Dataset ${key}: Permission bigquery.datasets.update denied on dataset ${key} (or it may not exist).`);
        if (!ds) return bqError(404, 'notFound', `Not found: Dataset ${key}`);
        const ifMatch = r.headers['if-match'];
        if (ifMatch && ifMatch !== ds.etag) return bqError(412, 'conditionNotMet', 'Precondition check failed.');
        for (const f of ['access', 'description', 'labels', 'defaultTableExpirationMs']) {
          if (r.body && f in r.body) (ds as any)[f] = r.body[f];
        }
        for (const a of ds.access) {
          if (!a.role || !(a.userByEmail || a.groupByEmail || a.specialGroup || a.iamMember || a.domain)) {
            return bqError(400, 'invalid', 'Invalid value for access entry.');
          }
        }
        ds.etag = etag();
        ds.lastModifiedTime = String(Date.now());
        return { status: 200, body: ds };
      }
      return bqError(404, 'notFound', `Not found: ${r.method} ${r.path}`);
    }
    m = r.path.match(/^\/bigquery\/v2\/projects\/([^/]+)\/datasets$/);
    if (m && r.method === 'POST') {
      const ref = r.body?.datasetReference ?? {};
      const project = m[1];
      const key = `${project}:${ref.datasetId}`;
      if (this.denied.has('bigquery.datasets.create')) return bqError(403, 'accessDenied', `Access Denied: Project ${project}: User does not have bigquery.datasets.create permission in project ${project}.`);
      if (!/^[A-Za-z0-9_]{1,1024}$/.test(ref.datasetId ?? '')) return bqError(400, 'invalid', `Invalid dataset ID "${ref.datasetId}".`);
      if (ref.projectId && ref.projectId !== project) return bqError(400, 'invalid', 'Dataset project does not match the request.');
      if (this.datasets.has(key)) return bqError(409, 'duplicate', `Already Exists: Dataset ${key}`);
      const ds: FakeDataset = {
        kind: 'bigquery#dataset',
        id: key,
        datasetReference: { projectId: project, datasetId: ref.datasetId },
        location: r.body.location ?? 'US',
        access: r.body.access ?? [
          { role: 'WRITER', specialGroup: 'projectWriters' },
          { role: 'OWNER', specialGroup: 'projectOwners' },
          { role: 'OWNER', userByEmail: this.callerEmail },
          { role: 'READER', specialGroup: 'projectReaders' },
        ],
        etag: etag(),
        creationTime: String(Date.now()),
        lastModifiedTime: String(Date.now()),
        ...(r.body.description ? { description: r.body.description } : {}),
      };
      this.datasets.set(key, ds);
      return { status: 200, body: ds };
    }
    return bqError(404, 'notFound', `Not found: ${r.method} ${r.path}`);
  }

  /** Adds a dataset directly (as if it existed before). */
  addDataset(project: string, datasetId: string, location = 'US', access?: AccessEntry[]): FakeDataset {
    const key = `${project}:${datasetId}`;
    const ds: FakeDataset = {
      kind: 'bigquery#dataset',
      id: key,
      datasetReference: { projectId: project, datasetId },
      location,
      access: access ?? [
        { role: 'WRITER', specialGroup: 'projectWriters' },
        { role: 'OWNER', specialGroup: 'projectOwners' },
        { role: 'READER', specialGroup: 'projectReaders' },
      ],
      etag: etag(),
      creationTime: String(Date.now()),
      lastModifiedTime: String(Date.now()),
    };
    this.datasets.set(key, ds);
    return ds;
  }
}

function policyJson(p: Policy, requestedVersion: number): Policy {
  // Version 3 policies carry conditions; asking for less than 3 when there are conditions is an error upstream,
  // here it is answered as version 3 when any binding has a condition.
  const hasCond = p.bindings.some((b) => b.condition);
  void requestedVersion;
  return { version: hasCond ? 3 : p.version ?? 1, etag: p.etag, ...(p.bindings.length ? { bindings: p.bindings } : {}) } as Policy;
}

function validateSink(s: FakeSink): string | undefined {
  if (!/^(bigquery\.googleapis\.com\/projects\/[^/]+\/datasets\/[^/]+|storage\.googleapis\.com\/[^/]+|pubsub\.googleapis\.com\/projects\/[^/]+\/topics\/[^/]+|logging\.googleapis\.com\/.+)$/.test(s.destination ?? '')) {
    return `Invalid sink destination: "${s.destination}"`;
  }
  return undefined;
}
