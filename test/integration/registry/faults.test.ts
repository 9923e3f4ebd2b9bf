import * as assert from 'node:assert/strict';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { startFaultProxy, FaultProxyHandle, FaultRule } from '../../harness/faultProxy';
import { blobExists, getManifest, manifestExists, pushImage, PushResult } from '../../harness/images';
import { copyImage, ProgressEvent } from '../../../server/src/registry/copy';
import { anonymousCredentials, StaticCredentialStore } from '../../../server/src/registry/credentials';
import { RegistryError } from '../../../server/src/registry/errors';

const fast = { retries: 4, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 5000 };
const BLOB = /\/blobs\/sha256:/;
const MANIFEST = /\/manifests\//;

async function assertFaithful(b: RegistryHandle, repo: string, tag: string, img: PushResult): Promise<void> {
  const m = await getManifest(b.url, repo, tag);
  assert.equal(m.digest, img.digest);
  for (const blob of img.blobs) assert.ok(await blobExists(b.url, repo, blob.digest), `blob ${blob.digest} at target`);
}

describe('mirror engine under faults (real registry behind the harness fault proxy)', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;
  let proxy: FaultProxyHandle;
  let n = 0;

  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    proxy = await startFaultProxy(a.url);
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });
  afterEach(() => proxy.setRules([]));

  async function image(kind: 'schema2' | 'oci-index' = 'oci-index', layerSize = 200_000, layers = 2): Promise<{ img: PushResult; src: string; repo: string }> {
    const repo = `fault${++n}`;
    const img = await pushImage(a.url, `src/${repo}`, 'v1', { kind, layers, layerSize });
    proxy.requests.length = 0;
    return { img, src: `${proxy.host}/src/${repo}:v1`, repo };
  }
  const rules = (...r: FaultRule[]) => proxy.setRules(r);

  it('honours 429 Retry-After and ends with a faithful copy', async () => {
    const { img, src, repo } = await image();
    rules({ name: '429', method: 'GET', path: BLOB, times: 1, action: { type: 'status', status: 429, retryAfter: 1 } });
    const events: ProgressEvent[] = [];
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast, onProgress: (e) => events.push(e) });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(proxy.fired('429'), 1);
    const retries = events.filter((e) => e.type === 'retry') as Array<{ delayMs: number; reason: string }>;
    assert.ok(retries.some((e) => e.delayMs === 1000 && /429/.test(e.reason)), JSON.stringify(retries));
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
  });

  it('caps a huge Retry-After', async () => {
    const { img, src, repo } = await image('schema2');
    rules({ name: '429', method: 'GET', path: MANIFEST, times: 1, action: { type: 'status', status: 429, retryAfter: 3600 } });
    const events: ProgressEvent[] = [];
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: { ...fast, maxRetryAfterMs: 300 }, onProgress: (e) => events.push(e) });
    assert.equal(r.targetDigest, img.digest);
    assert.ok(events.some((e) => e.type === 'retry' && e.delayMs === 300));
  });

  it('does not retry a 429 whose rate-limit headers say the quota is spent', async () => {
    const { src, repo } = await image('schema2');
    rules({
      name: 'spent', method: 'GET', path: MANIFEST,
      action: { type: 'status', status: 429, headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600' } },
    });
    await assert.rejects(copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast }), (e: RegistryError) => {
      assert.equal(e.code, 'RATE_LIMITED');
      assert.match(e.message, /0 of 100 pulls left per 6h/);
      assert.ok(e.message.includes(proxy.host));
      return true;
    });
    assert.equal(proxy.fired('spent'), 1);
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
  });

  it('retries 503 on manifests and blobs', async () => {
    const { img, src, repo } = await image();
    rules(
      { name: 'm', method: ['GET', 'HEAD'], path: MANIFEST, times: 2, action: { type: 'status', status: 503 } },
      { name: 'b', method: 'GET', path: BLOB, times: 2, action: { type: 'status', status: 503 } },
    );
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(proxy.fired('m'), 2);
    assert.equal(proxy.fired('b'), 2);
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
  });

  it('gives up on a persistent 503 with a clear error and writes no tag', async () => {
    const { src, repo } = await image('schema2');
    rules({ method: 'GET', path: BLOB, action: { type: 'status', status: 503 } });
    await assert.rejects(copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast }), (e: RegistryError) => {
      assert.equal(e.code, 'SERVER');
      assert.match(e.message, /503/);
      assert.ok(e.message.includes(proxy.host), e.message);
      assert.match(e.message, /after 5 attempts/);
      return true;
    });
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
  });

  it('restarts a blob from a fresh GET after a connection reset mid-blob', async () => {
    const { img, src, repo } = await image('oci-index', 1_000_000);
    rules({ name: 'rst', method: 'GET', path: BLOB, times: 2, action: { type: 'reset', afterBytes: 300_000 } });
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(proxy.fired('rst'), 2);
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
  });

  it('retries a dropped connection before any answer', async () => {
    const { img, src, repo } = await image('schema2');
    rules({ name: 'drop', method: 'GET', path: /\/(blobs|manifests)\//, times: 3, action: { type: 'drop' } });
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(proxy.fired('drop'), 3);
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
  });

  it('recovers from a truncated blob, and refuses one that is always truncated (no tag, no blob)', async () => {
    const once = await image('schema2', 400_000);
    rules({ method: 'GET', path: BLOB, times: 1, action: { type: 'truncate', afterBytes: 5000 } });
    assert.equal((await copyImage(once.src, `${b.host}/dst/${once.repo}:v1`, { credentials: anonymousCredentials, retry: fast })).targetDigest, once.img.digest);
    await assertFaithful(b, `dst/${once.repo}`, 'v1', once.img);

    const { img, src, repo } = await image('schema2', 400_000);
    const big = img.blobs.reduce((x, y) => (y.size > x.size ? y : x));
    rules({ method: 'GET', path: big.digest, action: { type: 'truncate', afterBytes: 1000 } });
    await assert.rejects(copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast }), (e: RegistryError) => {
      assert.ok(['SIZE_MISMATCH', 'NETWORK'].includes(e.code), e.code);
      assert.ok(e.message.includes(big.digest.slice(7, 19)), e.message);
      assert.ok(e.message.includes(`src/${repo}`), e.message);
      return true;
    });
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
    assert.equal(await blobExists(b.url, `dst/${repo}`, big.digest), false);
  });

  it('refuses a blob whose bytes do not match its digest: no tag, no blob', async () => {
    const { img, src, repo } = await image('oci-index');
    const victim = img.children[0].layers[0];
    rules({ name: 'bad', method: 'GET', path: victim.digest, action: { type: 'corrupt' } });
    await assert.rejects(copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast }), (e: RegistryError) => {
      assert.equal(e.code, 'DIGEST_MISMATCH');
      assert.ok(e.message.includes(victim.digest), e.message);
      assert.ok(e.message.includes(`src/${repo}`), e.message);
      return true;
    });
    assert.ok(proxy.fired('bad') >= 1);
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
    assert.equal(await blobExists(b.url, `dst/${repo}`, victim.digest), false);
  });

  it('can be cancelled mid-copy; no tag is written', async () => {
    const { src, repo } = await image('schema2', 100_000, 4);
    rules({ method: 'GET', path: BLOB, skip: 1, action: { type: 'delay', ms: 3000 } });
    const ac = new AbortController();
    const p = copyImage(src, `${b.host}/dst/${repo}:v1`, {
      credentials: anonymousCredentials,
      signal: ac.signal,
      jobsPerHost: 1,
      onProgress: (e) => {
        if (e.type === 'blob-done' && e.action === 'copied') ac.abort();
      },
    });
    await assert.rejects(p, (e: RegistryError) => e.code === 'CANCELLED' && e.message.includes(`src/${repo}`));
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
  });
});

describe('token registry behind the fault proxy: CDN redirects and token faults', function () {
  this.timeout(120_000);
  let reg: RegistryHandle;
  let dst: RegistryHandle;
  let proxy: FaultProxyHandle;

  before(async () => {
    [reg, dst] = await Promise.all([startRegistry({ auth: 'token' }), startRegistry()]);
    proxy = await startFaultProxy(reg.url);
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([reg?.stop(), dst?.stop()]);
  });
  afterEach(() => proxy.setRules([]));

  it('follows a blob redirect to another host without sending Authorization there', async () => {
    const u = reg.credentials!;
    const img = await pushImage(reg.url, 'app/cdn', 'v1', { kind: 'docker-list', layers: 2 }, u);
    proxy.setRules([{ name: 'cdn', method: 'GET', path: BLOB, action: { type: 'redirect' } }]);
    const creds = new StaticCredentialStore({ [proxy.host]: u });
    const r = await copyImage(`${proxy.host}/app/cdn:v1`, `${dst.host}/mirror/cdn:v1`, { credentials: creds });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(proxy.cdn.requests.length, img.blobs.length);
    assert.ok(proxy.cdn.requests.every((q) => !q.hasAuthorization), 'no Authorization at the CDN');
    assert.ok(proxy.requests.some((q) => q.target === 'upstream' && q.hasAuthorization));
    await assertFaithful(dst, 'mirror/cdn', 'v1', img);
  });

  it('retries a token server 503 and a registry 401 (token refreshed)', async () => {
    const u = reg.credentials!;
    const img = await pushImage(reg.url, 'app/tok', 'v1', { kind: 'oci', layers: 2 }, u);
    proxy.setRules([
      { name: 'realm503', path: /^\/__realm\//, times: 1, action: { type: 'status', status: 503 } },
      { name: 'u401', method: 'GET', path: BLOB, skip: 0, times: 1, action: { type: 'status', status: 401, headers: { 'www-authenticate': `Bearer realm="${reg.tokenServer!.realm}",service="${reg.tokenServer!.service}"` } } },
    ]);
    const creds = new StaticCredentialStore({ [proxy.host]: u });
    const r = await copyImage(`${proxy.host}/app/tok:v1`, `${dst.host}/mirror/tok:v1`, { credentials: creds, retry: fast });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(proxy.fired('realm503'), 1);
    assert.equal(proxy.fired('u401'), 1);
  });
});
