// A Docker registry token server (https://distribution.github.io/distribution/spec/auth/token/)
// for tests: GET <realm>?service=&scope=... with optional Basic credentials, plus the OAuth2
// POST form (grant_type=password | refresh_token). Issues ES256 JWTs whose header carries the
// self-signed signing certificate in `x5c`; the registry trusts that certificate through its
// `rootcertbundle`. Records every request so tests can assert the scopes a client asked for.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenUser {
  username: string;
  password: string;
}

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface GrantRequest extends TokenAccess {
  /** Authenticated account, undefined for anonymous requests. */
  account?: string;
}

/** Returns the actions granted (subset of `req.actions`; may be empty). */
export type TokenAcl = (req: GrantRequest) => string[];

export interface TokenServerOptions {
  users?: TokenUser[];
  /** `service` the registry expects (token `aud`). Default 'ar-migrate-test-registry'. */
  service?: string;
  /** Token `iss`. Default 'ar-migrate-test-token-issuer'. */
  issuer?: string;
  /**
   * Access control. Default: authenticated users get every action they ask for; anonymous
   * requests get 'pull' when `anonymousPull` is true, else nothing.
   */
  acl?: TokenAcl;
  anonymousPull?: boolean;
  /** Token lifetime. Default 300 s. */
  expiresInSeconds?: number;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
}

export interface TokenRequestRecord {
  method: string;
  /** Path + query as received. */
  path: string;
  service?: string;
  /** Raw scope strings, in order. */
  scopes: string[];
  /** Whether the request carried credentials (Basic header or a password/refresh grant). */
  credentialsGiven: boolean;
  /** The account the credentials proved, if valid. */
  account?: string;
  grantType?: string;
  status: number;
  /** Access written into the token (empty for errors). */
  granted: TokenAccess[];
}

export interface TokenServerHandle {
  url: string;
  /** `${url}/token` — the realm the registry advertises. */
  realm: string;
  service: string;
  issuer: string;
  certificatePem: string;
  certificateDer: Buffer;
  publicKey: crypto.KeyObject;
  /** Every request so far (mutable array; tests may clear it with `requests.length = 0`). */
  requests: TokenRequestRecord[];
  /** Replace the ACL at run time. */
  setAcl(acl: TokenAcl | undefined): void;
  /** Mint a token directly (for tests of expiry etc.). */
  mintToken(account: string | undefined, access: TokenAccess[], expiresInSeconds?: number): string;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Minimal DER encoder, enough for one self-signed X.509 v3 certificate.

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLen(body.length), body]);
}
const seq = (...c: Buffer[]) => der(0x30, ...c);
const set = (...c: Buffer[]) => der(0x31, ...c);
function derInt(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return der(0x02, b);
}
function derOid(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const enc: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      enc.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...enc);
  }
  return der(0x06, Buffer.from(out));
}
function derUtcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return der(0x17, Buffer.from(s, 'ascii'));
}
const derBitString = (b: Buffer, unused = 0) => der(0x03, Buffer.from([unused]), b);
const derOctets = (b: Buffer) => der(0x04, b);
const derUtf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const derName = (cn: string) => seq(set(seq(derOid('2.5.4.3'), derUtf8(cn))));

/** Self-signed ECDSA P-256 certificate (DER) for `privateKey`, valid from 1 h ago for 30 days. */
export function selfSignedCertificate(privateKey: crypto.KeyObject, commonName: string): Buffer {
  const publicKey = crypto.createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  const sigAlg = seq(derOid('1.2.840.10045.4.3.2')); // ecdsa-with-SHA256, no parameters
  const now = Date.now();
  const extensions = der(
    0xa3,
    seq(
      // basicConstraints: critical, CA:TRUE
      seq(derOid('2.5.29.19'), der(0x01, Buffer.from([0xff])), derOctets(seq(der(0x01, Buffer.from([0xff]))))),
      // keyUsage: critical, digitalSignature + keyCertSign
      seq(derOid('2.5.29.15'), der(0x01, Buffer.from([0xff])), derOctets(derBitString(Buffer.from([0x84]), 2))),
    ),
  );
  const tbs = seq(
    der(0xa0, derInt(Buffer.from([2]))), // v3
    derInt(serial),
    sigAlg,
    derName(commonName),
    seq(derUtcTime(new Date(now - 3600_000)), derUtcTime(new Date(now + 30 * 86400_000))),
    derName(commonName),
    spki,
    extensions,
  );
  const signature = crypto.sign('sha256', tbs, privateKey); // DER-encoded ECDSA-Sig-Value
  return seq(tbs, sigAlg, derBitString(signature));
}

// ---------------------------------------------------------------------------------------------

/** Parse "type:name:actions" (name may contain ':' e.g. a port, actions after the last ':'). */
export function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
  };
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServerHandle> {
  const service = opts.service ?? 'ar-migrate-test-registry';
  const issuer = opts.issuer ?? 'ar-migrate-test-token-issuer';
  const users = new Map((opts.users ?? []).map((u) => [u.username, u.password]));
  const ttl = opts.expiresInSeconds ?? 300;
  let acl: TokenAcl | undefined = opts.acl;
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certificateDer = selfSignedCertificate(privateKey, issuer);
  const certB64 = certificateDer.toString('base64'); // standard base64, as x5c requires
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${certB64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>(); // refresh token -> account

  const defaultAcl: TokenAcl = (req) => {
    if (req.account !== undefined) return req.actions;
    return opts.anonymousPull ? req.actions.filter((a) => a === 'pull') : [];
  };

  function mintToken(account: string | undefined, access: TokenAccess[], expiresIn = ttl): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certB64] };
    const claims = {
      iss: issuer,
      sub: account ?? '',
      aud: service,
      exp: now + expiresIn,
      nbf: now - 1,
      iat: now,
      jti: crypto.randomBytes(12).toString('hex'),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = crypto.sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${b64url(sig)}`;
  }

  function grant(account: string | undefined, scopes: string[]): TokenAccess[] {
    const out: TokenAccess[] = [];
    for (const s of scopes) {
      const parsed = parseScope(s);
      if (!parsed) continue;
      const allowed = (acl ?? defaultAcl)({ ...parsed, account });
      const all = allowed.includes('*');
      const uniq = [...new Set(parsed.actions.filter((a) => all || allowed.includes(a)))];
      if (uniq.length) out.push({ type: parsed.type, name: parsed.name, actions: uniq });
    }
    return out;
  }

  function send(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(data.length), ...extra });
    res.end(data);
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const rec: TokenRequestRecord = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      scopes: [],
      credentialsGiven: false,
      status: 0,
      granted: [],
    };
    requests.push(rec);
    try {
      if (u.pathname !== '/token') {
        rec.status = 404;
        return send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'unknown path' }] });
      }
      let account: string | undefined;
      let params: URLSearchParams;
      if (req.method === 'POST') {
        params = new URLSearchParams(await readBody(req));
      } else if (req.method === 'GET') {
        params = u.searchParams;
      } else {
        rec.status = 405;
        return send(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'method not allowed' }] });
      }
      rec.service = params.get('service') ?? undefined;
      rec.scopes = params.getAll('scope').flatMap((s) => s.split(' ').filter(Boolean));
      const invalid = () => {
        rec.status = 401;
        send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }, {
          'WWW-Authenticate': 'Basic realm="ar-migrate-test-token"',
        });
      };

      const authz = req.headers.authorization;
      if (authz && /^basic /i.test(authz)) {
        rec.credentialsGiven = true;
        const decoded = Buffer.from(authz.slice(6).trim(), 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        const user = i >= 0 ? decoded.slice(0, i) : decoded;
        const pass = i >= 0 ? decoded.slice(i + 1) : '';
        if (!users.has(user) || users.get(user) !== pass) return invalid();
        account = user;
      }
      if (req.method === 'POST') {
        const gt = params.get('grant_type') ?? '';
        rec.grantType = gt;
        if (gt === 'password') {
          rec.credentialsGiven = true;
          const user = params.get('username') ?? '';
          if (!users.has(user) || users.get(user) !== (params.get('password') ?? '')) return invalid();
          account = user;
        } else if (gt === 'refresh_token') {
          rec.credentialsGiven = true;
          const who = refreshTokens.get(params.get('refresh_token') ?? '');
          if (who === undefined) return invalid();
          account = who;
        } else {
          rec.status = 400;
          return send(res, 400, { error: 'unsupported_grant_type' });
        }
      }
      if (rec.service !== undefined && rec.service !== service) {
        rec.status = 400;
        return send(res, 400, { errors: [{ code: 'INVALID_SERVICE', message: `unknown service ${rec.service}` }] });
      }
      const access = grant(account, rec.scopes);
      rec.account = account;
      rec.granted = access;
      const token = mintToken(account, access);
      const body: Record<string, unknown> = {
        token,
        access_token: token,
        expires_in: ttl,
        issued_at: new Date().toISOString(),
      };
      const wantRefresh = params.get('offline_token') === 'true' || params.get('access_type') === 'offline';
      if (account !== undefined && (wantRefresh || req.method === 'POST')) {
        const rt = crypto.randomBytes(24).toString('base64url');
        refreshTokens.set(rt, account);
        body.refresh_token = rt;
      }
      rec.status = 200;
      send(res, 200, body);
    } catch (e) {
      rec.status = 500;
      if (!res.headersSent) send(res, 500, { errors: [{ code: 'INTERNAL', message: String((e as Error).message) }] });
      else res.destroy();
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  return {
    url,
    realm: `${url}/token`,
    service,
    issuer,
    certificatePem,
    certificateDer,
    publicKey: crypto.createPublicKey(privateKey),
    requests,
    setAcl(a) {
      acl = a;
    },
    mintToken,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
