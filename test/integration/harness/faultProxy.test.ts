import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { startRegistry, type RegistryHandle } from '../../harness/registry';
import { startFaultProxy, type FaultProxyHandle } from '../../harness/faultProxy';
import { HarnessRegistryClient, getBlob, getManifest, pushImage, sha256, type PushResult } from '../../harness/images';

interface RawResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  complete: boolean;
  error?: string;
}

/** Plain node:http GET that reports partial bodies and connection errors instead of hiding them. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    let gotResponse = false;
    let error: string | undefined;
    const req = http.get(url, { headers, agent: false }, (res) => {
      gotResponse = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => (error ??= (e as NodeJS.ErrnoException).code ?? e.message));
      res.on('close', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete, error }),
      );
    });
    req.on('error', (e) => {
      error ??= (e as NodeJS.ErrnoException).code ?? e.message;
      // once a response exists, its 'close' resolves (with the partial body)
      if (!gotResponse) resolve({ status: 0, headers: {}, body: Buffer.alloc(0), complete: false, error });
    });
  });
}

describe('harness: fault-injecting proxy', function () {
  this.timeout(60000);
  let reg: RegistryHandle;
  let proxy: FaultProxyHandle;
  let img: PushResult;
  let layer: { digest: string; size: number };
  let bearer: Record<string, string>;

  before(async () => {
    reg = await startRegistry({ auth: 'token' });
    img = await pushImage(reg.url, 'lib/img', 'v1', { kind: 'oci', layers: 1, layerSize: 64 * 1024, seed: 'fault' }, reg.credentials);
    layer = img.blobs.find((b) => b.mediaType.includes('layer'))!;
    const token = reg.tokenServer!.mintToken('tester', [{ type: 'repository', name: 'lib/img', actions: ['pull', 'push'] }]);
    bearer = { authorization: `Bearer ${token}` };
    proxy = await startFaultProxy(reg.url);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });
  beforeEach(() => {
    proxy.setRules([]);
    proxy.requests.length = 0;
    proxy.cdn.requests.length = 0;
  });

  it('passes the whole token flow and a push through, rewriting realm and upload Locations to itself', async () => {
    const pushed = await pushImage(proxy.url, 'lib/other', 'v1', { kind: 'docker-list', layers: 1 }, reg.credentials);
    assert.equal((await getManifest(reg.url, 'lib/other', 'v1', reg.credentials)).digest, pushed.digest);
    assert.equal((await getManifest(proxy.url, 'lib/other', 'v1', reg.credentials)).digest, pushed.digest);
    const realmHits = proxy.requests.filter((r) => r.target === 'realm');
    assert.ok(realmHits.length >= 2, 'token requests went through the proxy');
    assert.ok(realmHits.every((r) => r.path.startsWith('/__realm/0/token?') && r.status === 200 && r.authScheme === 'Basic'));
    assert.ok(proxy.requests.some((r) => r.method === 'PUT' && /\/blobs\/uploads\//.test(r.path) && r.status === 201), 'upload PUT followed the rewritten Location');
    for (const r of proxy.requests) if (r.hasAuthorization) assert.match(r.headers.authorization, /^(Basic|Bearer) <redacted>$/);
    const ch = await rawGet(`${proxy.url}/v2/`);
    assert.equal(ch.status, 401);
    assert.match(String(ch.headers['www-authenticate']), new RegExp(`^Bearer realm="${proxy.url}/__realm/0/token",service="`));
  });

  it('answers 429 with Retry-After for the first N matches only', async () => {
    proxy.setRules([{ name: 'slow-down', method: 'GET', path: /\/manifests\//, times: 2, action: { type: 'status', status: 429, retryAfter: 3 } }]);
    const url = `${proxy.url}/v2/lib/img/manifests/v1`;
    const h = { ...bearer, accept: img.mediaType };
    const a = await rawGet(url, h);
    const b = await rawGet(url, h);
    const c = await rawGet(url, h);
    assert.deepEqual([a.status, b.status, c.status], [429, 429, 200]);
    assert.equal(a.headers['retry-after'], '3');
    assert.match(a.body.toString(), /TOOMANYREQUESTS/);
    assert.equal(sha256(c.body), img.digest);
    assert.equal(proxy.fired('slow-down'), 2);
    assert.deepEqual(proxy.requests.map((r) => r.fault), ['slow-down', 'slow-down', undefined]);
  });

  it('answers 503 after skipping matches, and ignores other methods and paths', async () => {
    proxy.setRules([{ method: 'HEAD', path: '/blobs/sha256:', skip: 1, times: 1, action: { type: 'status', status: 503 } }]);
    const c = new HarnessRegistryClient(proxy.url, reg.credentials);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await c.request('HEAD', `/v2/lib/img/blobs/${layer.digest}`, { scope: 'repository:lib/img:pull' });
      statuses.push(r.status);
    }
    // the first HEAD (401 challenge) counts as a match: skip it, fail the next, pass the rest
    assert.deepEqual(statuses, [503, 200, 200]);
    const g = await rawGet(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, bearer);
    assert.equal(g.status, 200);
    assert.equal(proxy.fired(0), 1);
  });

  it('resets the connection mid-body after K bytes (once), then serves normally', async () => {
    proxy.setRules([{ name: 'rst', path: /\/blobs\/sha256:/, times: 1, action: { type: 'reset', afterBytes: 1000 } }]);
    const url = `${proxy.url}/v2/lib/img/blobs/${layer.digest}`;
    const r1 = await rawGet(url, bearer);
    assert.equal(r1.status, 200);
    assert.equal(r1.headers['content-length'], String(layer.size));
    assert.equal(r1.complete, false);
    assert.ok(r1.error, 'client saw an error');
    assert.ok(r1.body.length <= 1000);
    const r2 = await rawGet(url, bearer);
    assert.equal(r2.complete, true);
    assert.equal(sha256(r2.body), layer.digest);
    assert.equal(proxy.fired('rst'), 1);
    assert.equal(proxy.requests[0].bytesSent, 1000);
  });

  it('truncates a body: fewer bytes than Content-Length, then closes', async () => {
    proxy.setRules([{ path: /\/blobs\//, times: 1, action: { type: 'truncate', afterBytes: 5000 } }]);
    const r = await rawGet(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, bearer);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(layer.size));
    assert.equal(r.body.length, 5000);
    assert.equal(r.complete, false);
    // fetch() (undici) must also notice
    const f = await fetch(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, { headers: bearer });
    assert.equal(sha256(Buffer.from(await f.arrayBuffer())), layer.digest, 'rule fired only once');
    proxy.setRules([{ path: /\/blobs\//, times: 1, action: { type: 'truncate', afterBytes: 10 } }]);
    const f2 = await fetch(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, { headers: bearer });
    await assert.rejects(f2.arrayBuffer());
  });

  it('corrupts a body: same length, wrong content, digest header unchanged', async () => {
    proxy.setRules([{ path: /\/blobs\//, times: 1, action: { type: 'corrupt', offset: 100, length: 4 } }]);
    const r = await rawGet(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, bearer);
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.equal(r.body.length, layer.size);
    assert.notEqual(sha256(r.body), layer.digest);
    assert.equal(r.headers['docker-content-digest'], layer.digest);
    const good = img.blobs.find((b) => b.digest === layer.digest)!.bytes;
    let diff = 0;
    for (let i = 0; i < good.length; i++) if (good[i] !== r.body[i]) diff++;
    assert.equal(diff, 4);
  });

  it('redirects blob GETs to a CDN on another loopback origin that records Authorization', async () => {
    proxy.setRules([{ name: 'cdn', path: /\/blobs\/sha256:/, action: { type: 'redirect' } }]);
    // the harness client follows redirects without credentials
    const bytes = await getBlob(proxy.url, 'lib/img', layer.digest, reg.credentials);
    assert.equal(sha256(bytes), layer.digest);
    assert.notEqual(new URL(proxy.cdn.url).host, new URL(proxy.url).host);
    assert.equal(proxy.cdn.requests.length, 1);
    assert.equal(proxy.cdn.requests[0].hasAuthorization, false);
    assert.equal(proxy.cdn.requests[0].status, 200);
    const redirect = proxy.requests.find((r) => r.fault === 'cdn')!;
    assert.equal(redirect.status, 307);

    // a client that leaks its Authorization header to the CDN gets S3's 400 and is recorded
    const r = await rawGet(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, bearer);
    assert.equal(r.status, 307);
    const loc = String(r.headers.location);
    assert.ok(loc.startsWith(proxy.cdn.url));
    const leaked = await rawGet(loc, bearer);
    assert.equal(leaked.status, 400);
    assert.equal(proxy.cdn.requests[1].hasAuthorization, true);
    // Range requests work on the CDN
    const part = await rawGet(loc, { range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, img.blobs.find((b) => b.digest === layer.digest)!.bytes.subarray(10, 20));
    // HEAD and manifests are not redirected
    const head = await fetch(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, { method: 'HEAD', headers: bearer, redirect: 'manual' });
    assert.equal(head.status, 200);
  });

  it('drops connections, delays, and faults the token realm too', async () => {
    proxy.setRules([
      { name: 'drop', path: /\/manifests\/v1$/, times: 1, action: { type: 'drop' } },
      { name: 'token-down', path: /^\/__realm\//, times: 1, action: { type: 'status', status: 503 } },
      { name: 'slow', path: /\/tags\/list/, action: { type: 'delay', ms: 200 } },
    ]);
    const dropped = await rawGet(`${proxy.url}/v2/lib/img/manifests/v1`, bearer);
    assert.equal(dropped.status, 0);
    assert.ok(dropped.error);
    await assert.rejects(getManifest(proxy.url, 'lib/img', 'v1', reg.credentials), /token request .* HTTP 503/);
    assert.equal((await getManifest(proxy.url, 'lib/img', 'v1', reg.credentials)).digest, img.digest);
    const tags = await rawGet(`${proxy.url}/v2/lib/img/tags/list`, bearer);
    assert.equal(tags.status, 200);
    assert.deepEqual(JSON.parse(tags.body.toString()).tags, ['v1']);
    assert.deepEqual([proxy.fired('drop'), proxy.fired('token-down'), proxy.fired('slow')], [1, 1, 1]);
  });

  it('throttles a body (slow but complete), and honours a `when` condition', async () => {
    proxy.setRules([
      { name: 'slow', method: 'GET', path: /\/blobs\//, times: 1, action: { type: 'throttle', bytesPerSecond: 256 * 1024 } },
      { name: 'authed-only', method: 'GET', path: /\/tags\/list/, when: (r) => r.headers.authorization !== undefined, action: { type: 'status', status: 500 } },
    ]);
    const r = await rawGet(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, bearer);
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.equal(sha256(r.body), layer.digest);
    assert.equal(proxy.fired('slow'), 1);
    assert.equal(proxy.requests[0].bytesSent, layer.size);
    const anon = await rawGet(`${proxy.url}/v2/lib/img/tags/list`);
    assert.equal(anon.status, 401);
    const authed = await rawGet(`${proxy.url}/v2/lib/img/tags/list`, bearer);
    assert.equal(authed.status, 500);
    assert.equal(proxy.fired('authed-only'), 1);
  });

  it('stops a throttled transfer when the client goes away', async () => {
    proxy.setRules([{ name: 'slow', method: 'GET', path: /\/blobs\//, action: { type: 'throttle', bytesPerSecond: 20 * 1024 } }]);
    const ac = new AbortController();
    const res = await fetch(`${proxy.url}/v2/lib/img/blobs/${layer.digest}`, { headers: bearer, signal: ac.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0 && first.value.length < layer.size);
    ac.abort();
    await reader.read().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(proxy.requests[0].bytesSent < layer.size, `sent ${proxy.requests[0].bytesSent} of ${layer.size}`);
  });
});
