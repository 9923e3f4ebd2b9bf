// A fault-injecting reverse proxy for registry tests. Point the client under test at the proxy
// host as if it were the registry; rules (method + path regex + which matches) inject 429/503,
// connection resets mid-body, truncated or corrupted bodies, slow answers, dropped connections,
// and blob redirects to a second loopback "CDN" origin (127.0.0.2 when bindable) that records
// whether it received an Authorization header. Location headers from upstream are rewritten to
// the proxy, and a Bearer challenge's realm is rewritten to go through the proxy as well
// (under /__realm/<n>/...) so token requests are recorded and can be faulted too.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { canBind } from './ports';

export type FaultAction =
  /** Answer with this status without contacting upstream (e.g. 429 + Retry-After, 503). */
  | { type: 'status'; status: number; retryAfter?: number | string; body?: string; headers?: Record<string, string> }
  /** Forward; send the headers (full Content-Length) and the first `afterBytes` body bytes, then TCP RST. */
  | { type: 'reset'; afterBytes?: number }
  /** Forward; send the headers (full Content-Length) and the first `afterBytes` body bytes, then close (FIN). */
  | { type: 'truncate'; afterBytes?: number }
  /** Forward; flip `length` bytes (default 1) at `offset` (default the middle): same length, wrong content. */
  | { type: 'corrupt'; offset?: number; length?: number }
  /** GET only: fetch from upstream; on 2xx answer `status` (default 307) to the CDN, which serves the bytes. */
  | { type: 'redirect'; status?: 301 | 302 | 303 | 307 | 308 }
  /** Wait `ms`, then forward normally. */
  | { type: 'delay'; ms: number }
  /** Forward a 2xx body slowly: about `bytesPerSecond`, in ten slices a second (progress/cancel tests). */
  | { type: 'throttle'; bytesPerSecond: number }
  /** Destroy the connection without answering. */
  | { type: 'drop' };

export interface FaultRule {
  /** Name used in records and fired(); default `${action.type}#${index}`. */
  name?: string;
  /** Method(s) to match (case-insensitive); default any. */
  method?: string | string[];
  /** Tested against the request path + query (e.g. /v2/lib/x/blobs/sha256:...). A string is a RegExp source. */
  path: RegExp | string;
  /** Let the first `skip` eligible matches through untouched. Default 0. */
  skip?: number;
  /** Then apply to this many matches; default unlimited. */
  times?: number;
  /** Extra condition on the request (e.g. only requests that carry Authorization). */
  when?: (req: { method: string; path: string; headers: http.IncomingHttpHeaders }) => boolean;
  action: FaultAction;
}

export interface ProxyRecord {
  seq: number;
  method: string;
  /** Path + query as the client sent it. */
  path: string;
  /** 'upstream' (the registry) or 'realm' (token server via /__realm/). */
  target: 'upstream' | 'realm';
  /** Request headers, with authorization replaced by "<scheme> <redacted>". */
  headers: Record<string, string>;
  hasAuthorization: boolean;
  authScheme?: string;
  /** Status sent to the client (0 if the connection was dropped before a status). */
  status: number;
  /** Name of the rule that fired, if any. */
  fault?: string;
  /** Body bytes sent to the client. */
  bytesSent: number;
}

export interface CdnRecord {
  method: string;
  path: string;
  hasAuthorization: boolean;
  range?: string;
  status: number;
}

export interface CdnHandle {
  url: string;
  host: string;
  requests: CdnRecord[];
}

export interface FaultProxyOptions {
  /** Rewrite a Bearer challenge's realm so token requests go through the proxy. Default true. */
  proxyRealm?: boolean;
  /** Answer 400 (as S3 pre-signed URLs do) when a CDN request carries Authorization. Default true. */
  cdnRejectsAuthorization?: boolean;
  /** Bind address of the CDN. Default 127.0.0.2 if bindable, else 127.0.0.1 (another port). */
  cdnHost?: string;
}

export interface FaultProxyHandle {
  url: string;
  /** host:port to put in image references. */
  host: string;
  port: number;
  upstream: string;
  /** Every request so far (mutable: tests may clear it). */
  requests: ProxyRecord[];
  cdn: CdnHandle;
  /** Replace the rules and reset their counters. */
  setRules(rules: FaultRule[]): void;
  /** How many times the named rule (or rule index) has fired. */
  fired(rule: string | number): number;
  stop(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function redactHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const s = Array.isArray(v) ? v.join(', ') : v;
    out[k] = k === 'authorization' || k === 'cookie' ? `${s.split(' ')[0]} <redacted>` : s;
  }
  return out;
}

interface RuleState {
  rule: FaultRule;
  name: string;
  re: RegExp;
  methods?: string[];
  eligible: number;
  fired: number;
}

const BODY_FAULTS = new Set(['reset', 'truncate', 'corrupt', 'redirect', 'throttle']);

function defaultBody(status: number): string {
  if (status === 429) return JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'too many requests (injected by fault proxy)' }] });
  if (status === 401) return JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'injected' }] });
  return JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected HTTP ${status}` }] });
}

export async function startFaultProxy(upstreamUrl: string, rules: FaultRule[] = [], opts: FaultProxyOptions = {}): Promise<FaultProxyHandle> {
  const upstream = new URL(upstreamUrl);
  const proxyRealm = opts.proxyRealm ?? true;
  const rejectAuth = opts.cdnRejectsAuthorization ?? true;
  const agent = new http.Agent({ keepAlive: true });
  const requests: ProxyRecord[] = [];
  const realms: string[] = []; // index -> origin (e.g. http://127.0.0.1:1234)
  let states: RuleState[] = [];
  let seq = 0;
  let proxyOrigin = '';

  function setRules(list: FaultRule[]) {
    states = list.map((rule, i) => ({
      rule,
      name: rule.name ?? `${rule.action.type}#${i}`,
      re: typeof rule.path === 'string' ? new RegExp(rule.path) : rule.path,
      methods: rule.method === undefined ? undefined : (Array.isArray(rule.method) ? rule.method : [rule.method]).map((m) => m.toUpperCase()),
      eligible: 0,
      fired: 0,
    }));
  }
  setRules(rules);

  /** Find a rule for this request; `bodyPhase` selects body faults (checked after a 2xx upstream answer). */
  function pick(method: string, path: string, headers: http.IncomingHttpHeaders, bodyPhase: boolean): RuleState | undefined {
    for (const s of states) {
      if (BODY_FAULTS.has(s.rule.action.type) !== bodyPhase) continue;
      if (s.methods && !s.methods.includes(method)) continue;
      if (s.rule.action.type === 'redirect' && method !== 'GET') continue;
      if (!s.re.test(path)) continue;
      if (s.rule.when && !s.rule.when({ method, path, headers })) continue;
      const idx = s.eligible++;
      const skip = s.rule.skip ?? 0;
      if (idx < skip || idx >= skip + (s.rule.times ?? Infinity)) continue;
      s.fired++;
      return s;
    }
    return undefined;
  }

  // ---- CDN --------------------------------------------------------------------------------
  const cdnBlobs = new Map<string, Buffer>();
  const cdnRequests: CdnRecord[] = [];
  const cdnServer = http.createServer((req, res) => {
    const rec: CdnRecord = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      hasAuthorization: req.headers.authorization !== undefined,
      range: req.headers.range,
      status: 0,
    };
    cdnRequests.push(rec);
    const send = (status: number, headers: Record<string, string>, body?: Buffer) => {
      rec.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (rec.hasAuthorization && rejectAuth) {
      const msg = Buffer.from('<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>');
      return send(400, { 'content-type': 'application/xml', 'content-length': String(msg.length) }, msg);
    }
    const m = /^\/blobs\/([^/]+)\//.exec(new URL(rec.path, 'http://x').pathname);
    const data = m ? cdnBlobs.get(m[1]) : undefined;
    if (!data) return send(404, { 'content-length': '0' });
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
      if (start >= data.length || start > end) return send(416, { 'content-range': `bytes */${data.length}`, 'content-length': '0' });
      const part = data.subarray(start, end + 1);
      return send(206, { 'content-type': 'application/octet-stream', 'content-length': String(part.length), 'content-range': `bytes ${start}-${end}/${data.length}` }, part);
    }
    send(200, { 'content-type': 'application/octet-stream', 'content-length': String(data.length), 'accept-ranges': 'bytes' }, data);
  });
  const cdnHost = opts.cdnHost ?? ((await canBind('127.0.0.2')) ? '127.0.0.2' : '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    cdnServer.once('error', reject);
    cdnServer.listen(0, cdnHost, () => resolve());
  });
  cdnServer.unref();
  const cdnAddr = `${cdnHost}:${(cdnServer.address() as AddressInfo).port}`;
  const cdn: CdnHandle = { url: `http://${cdnAddr}`, host: cdnAddr, requests: cdnRequests };

  // ---- proxy ------------------------------------------------------------------------------
  function rewriteHeaders(h: http.IncomingHttpHeaders, fromOrigin: string): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(h)) {
      if (v === undefined || HOP.has(k)) continue;
      out[k] = v;
    }
    const loc = h.location;
    if (typeof loc === 'string') {
      try {
        const u = new URL(loc, fromOrigin);
        const ri = realms.indexOf(u.origin);
        if (u.origin === upstream.origin) out.location = proxyOrigin + u.pathname + u.search;
        else if (ri >= 0) out.location = `${proxyOrigin}/__realm/${ri}${u.pathname}${u.search}`;
      } catch {
        /* leave it */
      }
    }
    const wa = h['www-authenticate'];
    if (proxyRealm && wa !== undefined) {
      const list = Array.isArray(wa) ? wa : [wa];
      out['www-authenticate'] = list.map((c) =>
        c.replace(/(\brealm=")([^"]+)(")/i, (all: string, a: string, realm: string, z: string) => {
          if (!/^bearer\b/i.test(c.trim())) return all;
          try {
            const u = new URL(realm);
            let i = realms.indexOf(u.origin);
            if (i < 0) i = realms.push(u.origin) - 1;
            return `${a}${proxyOrigin}/__realm/${i}${u.pathname}${u.search}${z}`;
          } catch {
            return all;
          }
        }),
      );
    }
    return out;
  }

  const server = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const authz = req.headers.authorization;
    const rec: ProxyRecord = {
      seq: seq++,
      method,
      path,
      target: 'upstream',
      headers: redactHeaders(req.headers),
      hasAuthorization: authz !== undefined,
      authScheme: authz?.split(' ')[0],
      status: 0,
      bytesSent: 0,
    };
    requests.push(rec);

    let targetOrigin = upstream.origin;
    let targetPath = path;
    const rm = /^\/__realm\/(\d+)([/?].*)?$/.exec(path);
    if (rm) {
      const origin = realms[Number(rm[1])];
      if (!origin) {
        rec.status = 404;
        res.writeHead(404, { 'content-length': '0' });
        return res.end();
      }
      rec.target = 'realm';
      targetOrigin = origin;
      targetPath = !rm[2] ? '/' : rm[2].startsWith('?') ? `/${rm[2]}` : rm[2];
    }

    const pre = pick(method, path, req.headers, false);
    if (pre) {
      rec.fault = pre.name;
      const a = pre.rule.action;
      if (a.type === 'drop') {
        req.resume();
        rec.status = 0;
        (req.socket as Socket).destroy();
        return;
      }
      if (a.type === 'status') {
        req.resume();
        const body = Buffer.from(a.body ?? defaultBody(a.status));
        const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(body.length), ...(a.headers ?? {}) };
        if (a.retryAfter !== undefined) headers['retry-after'] = String(a.retryAfter);
        rec.status = a.status;
        rec.bytesSent = method === 'HEAD' ? 0 : body.length;
        res.writeHead(a.status, headers);
        return res.end(method === 'HEAD' ? undefined : body);
      }
      if (a.type === 'delay') {
        setTimeout(() => forward(), a.ms);
        return;
      }
    }
    forward();

    function forward() {
      const t = new URL(targetOrigin);
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
      headers.host = t.host;
      const up = http.request(
        { protocol: t.protocol, hostname: t.hostname, port: t.port, method, path: targetPath, headers, agent },
        (ures) => onUpstream(ures),
      );
      // The client went away (cancellation): stop talking to upstream too.
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      up.on('error', (e) => {
        if (res.destroyed) return;
        if (!res.headersSent) {
          rec.status = 502;
          const body = Buffer.from(JSON.stringify({ errors: [{ code: 'BAD_GATEWAY', message: e.message }] }));
          res.writeHead(502, { 'content-type': 'application/json', 'content-length': String(body.length) });
          res.end(body);
        } else res.destroy();
      });
      req.pipe(up);
    }

    function onUpstream(ures: http.IncomingMessage) {
      const status = ures.statusCode ?? 502;
      const headers = rewriteHeaders(ures.headers, targetOrigin);
      const body = status >= 200 && status < 300 && method !== 'HEAD' ? pick(method, path, req.headers, true) : undefined;
      if (!body) {
        rec.status = status;
        res.writeHead(status, headers);
        ures.on('data', (c: Buffer) => (rec.bytesSent += c.length));
        ures.on('error', () => res.destroy());
        ures.pipe(res);
        return;
      }
      rec.fault = body.name;
      const act = body.rule.action;
      if (act.type === 'throttle') {
        rec.status = status;
        res.writeHead(status, headers);
        const slice = Math.max(1, Math.floor(act.bytesPerSecond / 10));
        let pending = Buffer.alloc(0);
        let ended = false;
        let timer: NodeJS.Timeout | undefined;
        const tick = () => {
          timer = undefined;
          if (res.destroyed) return ures.destroy();
          const part = pending.subarray(0, slice);
          pending = pending.subarray(part.length);
          if (part.length) {
            rec.bytesSent += part.length;
            res.write(part);
          }
          if (pending.length === 0 && ended) return res.end();
          if (pending.length < slice * 4) ures.resume();
          if (pending.length || !ended) timer = setTimeout(tick, 100);
        };
        ures.on('data', (c: Buffer) => {
          pending = Buffer.concat([pending, c]);
          if (pending.length >= slice * 4) ures.pause();
          if (!timer) timer = setTimeout(tick, 100);
        });
        ures.on('end', () => {
          ended = true;
          if (!timer) timer = setTimeout(tick, 100);
        });
        res.on('close', () => {
          if (timer) clearTimeout(timer);
          ures.destroy();
        });
        return;
      }
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('error', () => res.destroy());
      ures.on('end', () => {
        const data = Buffer.concat(chunks);
        const a = body.rule.action;
        delete headers['content-length'];
        if (a.type === 'redirect') {
          const id = crypto.randomBytes(8).toString('hex');
          cdnBlobs.set(id, data);
          const last = path.split('?')[0].split('/').pop() ?? 'blob';
          const location = `${cdn.url}/blobs/${id}/${last}?X-Signature=${crypto.randomBytes(8).toString('hex')}`;
          rec.status = a.status ?? 307;
          res.writeHead(rec.status, { location, 'content-length': '0', 'docker-distribution-api-version': 'registry/2.0' });
          return res.end();
        }
        if (a.type === 'corrupt') {
          const out = Buffer.from(data);
          const len = Math.max(1, a.length ?? 1);
          const off = Math.min(Math.max(0, a.offset ?? Math.floor(out.length / 2)), Math.max(0, out.length - len));
          for (let i = off; i < Math.min(out.length, off + len); i++) out[i] ^= 0xff;
          rec.status = status;
          rec.bytesSent = out.length;
          res.writeHead(status, { ...headers, 'content-length': String(out.length) });
          return res.end(out);
        }
        // reset / truncate: promise the full length, send part of it, then cut the connection.
        const k = Math.min(a.type === 'reset' || a.type === 'truncate' ? a.afterBytes ?? Math.floor(data.length / 2) : 0, Math.max(0, data.length - 1));
        rec.status = status;
        rec.bytesSent = k;
        res.writeHead(status, { ...headers, 'content-length': String(data.length) });
        const sock = res.socket as Socket;
        res.write(data.subarray(0, k), () => {
          if (a.type === 'reset') setTimeout(() => sock.resetAndDestroy(), 50);
          else sock.end();
        });
      });
    }
  });
  server.on('clientError', (_e, sock) => sock.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  proxyOrigin = `http://${host}`;

  return {
    url: proxyOrigin,
    host,
    port,
    upstream: upstream.origin,
    requests,
    cdn,
    setRules,
    fired(rule) {
      const s = typeof rule === 'number' ? states[rule] : states.find((x) => x.name === rule);
      return s ? s.fired : 0;
    },
    async stop() {
      agent.destroy();
      for (const s of [server, cdnServer]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
