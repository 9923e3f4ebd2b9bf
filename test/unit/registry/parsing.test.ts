import * as assert from 'node:assert/strict';
import { normalizeScopes, parseChallenges, pickChallenge } from '../../../server/src/registry/auth';
import { backoffDelay, DEFAULT_RETRY, networkError, parseRetryAfter } from '../../../server/src/registry/client';
import { allowsPlainHttp, dockerConfigKey, isGoogleRegistry, isLoopbackHost, resolveEndpoint } from '../../../server/src/registry/endpoint';
import { redact, RegistryError, safeUrl } from '../../../server/src/registry/errors';
import { describeRateLimit, parseRateLimit } from '../../../server/src/registry/ratelimit';

describe('registry: WWW-Authenticate parsing', () => {
  it('parses a Docker Hub Bearer challenge', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"');
    assert.equal(c.scheme, 'bearer');
    assert.deepEqual(c.params, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' });
  });
  it('parses several challenges, quoted commas and escapes, and prefers Bearer', () => {
    const cs = parseChallenges('Basic realm="a, b", Bearer realm="https://x/token",scope="repository:a:pull,push", error="insufficient_scope"');
    assert.equal(cs.length, 2);
    assert.equal(cs[0].params.realm, 'a, b');
    assert.equal(cs[1].params.scope, 'repository:a:pull,push');
    assert.equal(pickChallenge(cs)?.scheme, 'bearer');
    assert.equal(parseChallenges('Basic realm="say \\"hi\\""')[0].params.realm, 'say "hi"');
    assert.deepEqual(parseChallenges(undefined), []);
    assert.equal(pickChallenge(parseChallenges('Basic realm=Registry'))?.params.realm, 'Registry');
  });
  it('merges scopes per resource', () => {
    assert.deepEqual(normalizeScopes(['repository:b:pull', 'repository:a:push', 'repository:a:pull', '']), ['repository:a:pull,push', 'repository:b:pull']);
  });
});

describe('registry: rate limits', () => {
  it('reads Docker Hub headers', () => {
    const r = parseRateLimit({ 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600', 'docker-ratelimit-source': '203.0.113.7' });
    assert.deepEqual(r, { limit: 100, remaining: 76, window: 21600, source: '203.0.113.7' });
    assert.equal(describeRateLimit(r!), '76 of 100 pulls left per 6h');
    assert.equal(parseRateLimit({}), undefined);
    assert.equal(parseRateLimit({ 'ratelimit-limit': 'x', 'ratelimit-remaining': '1' }), undefined);
    assert.deepEqual(parseRateLimit({ 'ratelimit-limit': '200', 'ratelimit-remaining': '0' }), { limit: 200, remaining: 0 });
  });
});

describe('registry: retry timing', () => {
  it('parses Retry-After seconds and dates', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(Date.now() + 5000).toUTCString(), Date.now()) ! > 3000, true);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
  it('backs off exponentially with jitter, capped, and caps Retry-After', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 2000 };
    for (let a = 0; a < 8; a++) {
      const d = backoffDelay(a, p);
      const cap = Math.min(1000, 100 * 2 ** a);
      assert.ok(d >= cap / 2 && d <= cap, `${a}: ${d}`);
    }
    assert.equal(backoffDelay(0, p, 60_000), 2000);
    assert.equal(backoffDelay(0, p, 500), 500);
  });
});

describe('registry: endpoints and plain HTTP', () => {
  it('uses HTTPS except for loopback and listed insecure hosts', () => {
    assert.equal(resolveEndpoint('docker.io').baseUrl, 'https://registry-1.docker.io');
    assert.equal(resolveEndpoint('quay.io').baseUrl, 'https://quay.io');
    assert.equal(resolveEndpoint('127.0.0.1:5000').baseUrl, 'http://127.0.0.1:5000');
    assert.equal(resolveEndpoint('localhost:5000').scheme, 'http');
    assert.equal(resolveEndpoint('[::1]:5000').scheme, 'http');
    assert.equal(resolveEndpoint('registry.lan:5000').scheme, 'https');
    assert.equal(resolveEndpoint('registry.lan:5000', ['registry.lan:5000']).scheme, 'http');
    assert.equal(resolveEndpoint('registry.lan:5000', ['registry.lan']).scheme, 'http');
    assert.equal(allowsPlainHttp('10.0.0.1:80'), false);
    assert.ok(isLoopbackHost('127.1.2.3'));
    assert.ok(!isLoopbackHost('127.example.com'));
  });
  it('knows docker config keys and Google registries', () => {
    assert.equal(dockerConfigKey('docker.io'), 'https://index.docker.io/v1/');
    assert.equal(dockerConfigKey('ghcr.io'), 'ghcr.io');
    assert.ok(isGoogleRegistry('us-central1-docker.pkg.dev'));
    assert.ok(isGoogleRegistry('eu.gcr.io'));
    assert.ok(!isGoogleRegistry('docker.pkg.dev.evil.com'));
  });
});

describe('registry: errors never carry secrets', () => {
  it('redacts Authorization, tokens, URL credentials and JWTs', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const s = redact(`Authorization: Bearer abcdefghijklmnop https://user:pa55word@host/x?token=secret123&x=1 ${jwt} {"password":"hunter2"} Basic dXNlcjpwYXNzd29yZA==`);
    for (const bad of ['abcdefghijklmnop', 'pa55word', 'secret123', jwt, 'hunter2', 'dXNlcjpwYXNzd29yZA==']) assert.ok(!s.includes(bad), `${bad} in ${s}`);
    assert.ok(s.includes('x=1'));
    const e = new RegistryError('UNAUTHORIZED', `failed with Bearer ${'z'.repeat(40)}`);
    assert.ok(!e.message.includes('z'.repeat(40)));
    assert.equal(safeUrl('https://cdn.example/blob?X-Amz-Signature=abc'), 'https://cdn.example/blob');
  });
  it('maps network errors to clear codes naming the registry', () => {
    const dns = networkError(Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' }), 'nope.invalid', 'manifest nope.invalid/x:1');
    assert.equal(dns.code, 'DNS');
    assert.match(dns.message, /nope\.invalid/);
    assert.equal(dns.retryable, false);
    const refused = networkError(Object.assign(new Error('connect'), { cause: { code: 'ECONNREFUSED' } }), 'localhost:1', 'x');
    assert.equal(refused.code, 'CONNECTION_REFUSED');
    const reset = networkError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), 'r', 'x');
    assert.equal(reset.code, 'NETWORK');
    assert.equal(reset.retryable, true);
  });
});
