import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { blobExists, getManifest, manifestExists, pushImage, PushResult } from '../../harness/images';
import { copyImage, ProgressEvent } from '../../../server/src/registry/copy';
import { anonymousCredentials, StaticCredentialStore } from '../../../server/src/registry/credentials';
import { RegistryError } from '../../../server/src/registry/errors';
import { FaultProxy, startProxy } from './proxy';

const fast = { retries: 4, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 5000 };
const isBlobGet = (r: { method: string; url: string }) => r.method === 'GET' && /\/blobs\/sha256:/.test(r.url);
const isManifestGet = (r: { method: string; url: string }) => r.method === 'GET' && /\/manifests\//.test(r.url);

async function assertFaithful(b: RegistryHandle, repo: string, tag: string, img: PushResult): Promise<void> {
  const m = await getManifest(b.url, repo, tag);
  assert.equal(m.digest, img.digest);
  for (const blob of img.blobs) assert.ok(await blobExists(b.url, repo, blob.digest), `blob ${blob.digest} at target`);
}

describe('mirror engine under faults (real registry behind a fault proxy)', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;
  let proxy: FaultProxy;
  let n = 0;

  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    proxy = await startProxy(a.url);
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  async function image(kind: 'schema2' | 'oci-index' = 'oci-index', layerSize = 200_000): Promise<{ img: PushResult; src: string; repo: string }> {
    const repo = `fault${++n}`;
    const img = await pushImage(a.url, `src/${repo}`, 'v1', { kind, layers: 2, layerSize });
    proxy.requests.length = 0;
    return { img, src: `${proxy.host}/src/${repo}:v1`, repo };
  }

  /** Applies `action` to the first `times` requests matching `match`. */
  function inject(match: (r: { method: string; url: string }) => boolean, times: number, action: Parameters<FaultProxy['rule']>[0] extends never ? never : ReturnType<FaultProxy['rule']>) {
    let left = times;
    proxy.rule = (r) => (match(r) && left-- > 0 ? action : undefined);
  }

  afterEach(() => {
    proxy.rule = () => undefined;
  });

  it('honours 429 Retry-After and ends with a faithful copy', async () => {
    const { img, src, repo } = await image();
    inject(isBlobGet, 1, { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }) });
    const events: ProgressEvent[] = [];
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast, onProgress: (e) => events.push(e) });
    assert.equal(r.targetDigest, img.digest);
    const retries = events.filter((e) => e.type === 'retry') as Array<{ delayMs: number; reason: string }>;
    assert.ok(retries.some((e) => e.delayMs === 1000 && /429/.test(e.reason)), JSON.stringify(retries));
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
  });

  it('retries 503 on manifests and blobs', async () => {
    const { img, src, repo } = await image();
    let m = 2;
    let bl = 2;
    proxy.rule = (r) => {
      if (isManifestGet(r) && m-- > 0) return { kind: 'status', status: 503 };
      if (isBlobGet(r) && bl-- > 0) return { kind: 'status', status: 503 };
      return undefined;
    };
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast });
    assert.equal(r.targetDigest, img.digest);
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
  });

  it('gives up on a persistent 503 with a clear error and writes no tag', async () => {
    const { src, repo } = await image('schema2');
    proxy.rule = (r) => (isBlobGet(r) ? { kind: 'status', status: 503 } : undefined);
    await assert.rejects(copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast }), (e: RegistryError) => {
      assert.equal(e.code, 'SERVER');
      assert.match(e.message, /503/);
      assert.ok(e.message.includes(proxy.host), e.message);
      assert.match(e.message, /attempts/);
      return true;
    });
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
  });

  it('restarts a blob from a fresh GET after a connection reset mid-blob', async () => {
    const { img, src, repo } = await image('oci-index', 1_000_000);
    inject(isBlobGet, 2, { kind: 'truncate', after: 300_000 });
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast });
    assert.equal(r.targetDigest, img.digest);
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
    const resets = proxy.requests.filter(isBlobGet).length;
    assert.ok(resets >= img.blobs.length + 2);
  });

  it('retries a connection reset before any answer', async () => {
    const { img, src, repo } = await image('schema2');
    inject((r) => isBlobGet(r) || isManifestGet(r), 3, { kind: 'reset' });
    const r = await copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast });
    assert.equal(r.targetDigest, img.digest);
    await assertFaithful(b, `dst/${repo}`, 'v1', img);
  });

  it('refuses a blob that is always truncated: clear error, no tag, no blob', async () => {
    const { img, src, repo } = await image('schema2', 400_000);
    const big = img.blobs.reduce((x, y) => (y.size > x.size ? y : x));
    proxy.rule = (r) => (isBlobGet(r) && r.url.includes(big.digest) ? { kind: 'truncate', after: 1000 } : undefined);
    await assert.rejects(copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast }), (e: RegistryError) => {
      assert.ok(['SIZE_MISMATCH', 'NETWORK'].includes(e.code), e.code);
      assert.ok(e.message.includes(big.digest.slice(7, 19)), e.message);
      return true;
    });
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
    assert.equal(await blobExists(b.url, `dst/${repo}`, big.digest), false);
  });

  it('refuses a blob whose bytes do not match its digest: no tag, no blob', async () => {
    const { img, src, repo } = await image('oci-index');
    const victim = img.children[0].layers[0];
    proxy.rule = (r) => (isBlobGet(r) && r.url.includes(victim.digest) ? { kind: 'corrupt' } : undefined);
    await assert.rejects(copyImage(src, `${b.host}/dst/${repo}:v1`, { credentials: anonymousCredentials, retry: fast }), (e: RegistryError) => {
      assert.equal(e.code, 'DIGEST_MISMATCH');
      assert.ok(e.message.includes(victim.digest), e.message);
      assert.ok(e.message.includes(`src/${repo}`), e.message);
      return true;
    });
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
    assert.equal(await blobExists(b.url, `dst/${repo}`, victim.digest), false);
  });

  it('can be cancelled mid-copy; no tag is written', async () => {
    const { src, repo } = await image('schema2', 3_000_000);
    proxy.rule = (r) => (isBlobGet(r) ? { kind: 'slow', bytesPerSecond: 2_000_000 } : undefined);
    const ac = new AbortController();
    const p = copyImage(src, `${b.host}/dst/${repo}:v1`, {
      credentials: anonymousCredentials,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'blob-progress' && e.bytes > 100_000) ac.abort();
      },
    });
    await assert.rejects(p, (e: RegistryError) => e.code === 'CANCELLED' && e.message.includes(`src/${repo}`));
    assert.equal(await manifestExists(b.url, `dst/${repo}`, 'v1'), false);
  });
});

describe('blob redirects to another host (CDN)', function () {
  this.timeout(120_000);
  let reg: RegistryHandle;
  let dst: RegistryHandle;
  let proxy: FaultProxy;
  let cdn: http.Server;
  let cdnUrl = '';
  const cdnSeen: Array<{ url: string; authorization?: string }> = [];
  let blobs = new Map<string, Buffer>();

  before(async () => {
    [reg, dst] = await Promise.all([startRegistry({ auth: 'token' }), startRegistry()]);
    proxy = await startProxy(reg.url);
    cdn = http.createServer((req, res) => {
      cdnSeen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const digest = /blobs\/(sha256:[a-f0-9]{64})/.exec(req.url ?? '')?.[1] ?? '';
      const bytes = blobs.get(digest);
      if (!bytes) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': String(bytes.length), 'content-type': 'application/octet-stream' });
      res.end(bytes);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
    cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  });
  after(async () => {
    await proxy?.stop();
    await new Promise<void>((r) => cdn?.close(() => r()));
    await Promise.all([reg?.stop(), dst?.stop()]);
  });

  it('follows the redirect without sending Authorization to the other host', async () => {
    const u = reg.credentials!;
    const img = await pushImage(reg.url, 'app/cdn', 'v1', { kind: 'docker-list', layers: 2 }, u);
    blobs = new Map(img.blobs.map((x) => [x.digest, x.bytes]));
    proxy.rule = (r) => (isBlobGet(r) ? { kind: 'redirect', to: cdnUrl } : undefined);
    const creds = new StaticCredentialStore({ [proxy.host]: u });
    const r = await copyImage(`${proxy.host}/app/cdn:v1`, `${dst.host}/mirror/cdn:v1`, { credentials: creds });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(cdnSeen.length, img.blobs.length);
    assert.ok(cdnSeen.every((s) => s.authorization === undefined), 'no Authorization at the CDN');
    // the registry itself did get authorized requests
    assert.ok(proxy.requests.some((q) => typeof q.headers.authorization === 'string'));
    await assertFaithful(dst, 'mirror/cdn', 'v1', img);
  });
});
