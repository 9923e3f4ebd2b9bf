import * as assert from 'node:assert/strict';
import * as diagnostics from 'node:diagnostics_channel';
import { getEventListeners } from 'node:events';
import * as net from 'node:net';
import { Agent } from 'undici';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { buildImage, getManifest, pushBuilt, pushImage, blobExists, manifestExists } from '../../harness/images';
import { copyImage, copyImages, getDigest, MirrorSession, ProgressEvent } from '../../../server/src/registry/copy';
import { anonymousCredentials } from '../../../server/src/registry/credentials';
import { RegistryError } from '../../../server/src/registry/errors';

describe('mirror engine against real registries (no auth)', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;

  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  for (const kind of ['schema2', 'oci', 'docker-list', 'oci-index'] as const) {
    it(`copies a ${kind} image faithfully (same digest, every blob present)`, async () => {
      const img = await pushImage(a.url, `src/${kind}`, 'v1', { kind, platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'], layers: 2, layerSize: 50_000 });
      const events: ProgressEvent[] = [];
      const r = await copyImage(`${a.host}/src/${kind}:v1`, `${b.host}/dst/${kind}:v1`, { credentials: anonymousCredentials, onProgress: (e) => events.push(e) });
      assert.equal(r.sourceDigest, img.digest);
      assert.equal(r.targetDigest, img.digest);
      assert.equal(r.digestChanged, false);
      assert.equal(r.upToDate, false);
      const m = await getManifest(b.url, `dst/${kind}`, 'v1');
      assert.equal(m.digest, img.digest);
      assert.deepEqual(m.bytes, img.manifestBytes);
      assert.equal(m.mediaType, img.mediaType);
      for (const blob of img.blobs) assert.ok(await blobExists(b.url, `dst/${kind}`, blob.digest), `blob ${blob.digest}`);
      for (const c of img.children) assert.ok(await manifestExists(b.url, `dst/${kind}`, c.digest));
      assert.equal(r.blobsCopied, img.blobs.length);
      assert.equal(r.bytesMoved, img.blobs.reduce((s, x) => s + x.size, 0));
      assert.equal(r.manifests, img.children.length + 1);
      assert.ok(events.some((e) => e.type === 'tag'));
      if (img.children.length) assert.deepEqual(r.platforms, ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7']);
    });
  }

  it('a second copy does only HEAD requests', async () => {
    const img = await pushImage(a.url, 'src/idem', 'v1', { kind: 'oci-index', layers: 3, layerSize: 10_000 });
    await copyImage(`${a.host}/src/idem:v1`, `${b.host}/dst/idem:v1`, { credentials: anonymousCredentials });
    const session = new MirrorSession({ credentials: anonymousCredentials });
    const r = await copyImage(`${a.host}/src/idem:v1`, `${b.host}/dst/idem:v1`, { session });
    assert.equal(r.upToDate, true);
    assert.equal(r.targetDigest, img.digest);
    assert.equal(r.bytesMoved, 0);
    const counts = session.counts();
    for (const [reg, c] of Object.entries(counts)) {
      const methods = Object.keys(c).filter((m) => m !== 'HEAD' && !(m === 'GET' && false));
      // GET /v2/ pings are not made for no-auth registries; only HEAD requests
      assert.deepEqual(methods, [], `${reg}: ${JSON.stringify(c)}`);
    }
  });

  it('copies only the platforms asked for and says the digest changed', async () => {
    const img = await pushImage(a.url, 'src/plat', 'v1', { kind: 'docker-list', platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/s390x'] });
    const one = await copyImage(`${a.host}/src/plat:v1`, `${b.host}/dst/plat:one`, { credentials: anonymousCredentials, platforms: ['linux/arm64'] });
    assert.equal(one.digestChanged, true);
    const arm = img.children.find((c) => c.platform.architecture === 'arm64')!;
    assert.equal(one.targetDigest, arm.digest);
    assert.equal((await getManifest(b.url, 'dst/plat', 'one')).digest, arm.digest);
    const two = await copyImage(`${a.host}/src/plat:v1`, `${b.host}/dst/plat:two`, { credentials: anonymousCredentials, platforms: ['linux/amd64', 'linux/s390x'] });
    assert.equal(two.digestChanged, true);
    assert.deepEqual(two.platforms, ['linux/amd64', 'linux/s390x']);
    const m = await getManifest(b.url, 'dst/plat', 'two');
    assert.equal(m.digest, two.targetDigest);
    assert.equal(JSON.parse(m.bytes.toString()).manifests.length, 2);
    await assert.rejects(copyImage(`${a.host}/src/plat:v1`, `${b.host}/dst/plat:x`, { credentials: anonymousCredentials, platforms: ['windows/amd64'] }), /none of the platforms/);
    // a single-platform image: its config decides
    const single = await pushImage(a.url, 'src/single', 'v1', { kind: 'schema2', platforms: ['linux/arm64'] });
    const ok = await copyImage(`${a.host}/src/single:v1`, `${b.host}/dst/single:v1`, { credentials: anonymousCredentials, platforms: ['linux/arm64'] });
    assert.equal(ok.targetDigest, single.digest);
    assert.equal(ok.digestChanged, false);
    await assert.rejects(copyImage(`${a.host}/src/single:v1`, `${b.host}/dst/single:v2`, { credentials: anonymousCredentials, platforms: ['linux/amd64'] }), (e: any) => e.code === 'PLATFORM_NOT_FOUND' && /linux\/arm64/.test(e.message));
  });

  it('mounts blobs across repositories on the same registry', async () => {
    const img = await pushImage(a.url, 'src/mount', 'v1', { kind: 'schema2', layers: 3 });
    const r = await copyImage(`${a.host}/src/mount:v1`, `${a.host}/other/mount:v1`, { credentials: anonymousCredentials });
    assert.equal(r.blobsMounted, img.blobs.length);
    assert.equal(r.blobsCopied, 0);
    assert.equal(r.bytesMoved, 0);
    assert.equal((await getManifest(a.url, 'other/mount', 'v1')).digest, img.digest);
  });

  it('in a batch, mounts blobs already pushed to another target repository instead of uploading them again', async () => {
    const seed = 'shared-base-layers';
    const one = await pushImage(a.url, 'shared/one', 'v1', { kind: 'schema2', layers: 3, seed });
    await pushImage(a.url, 'shared/two', 'v1', { kind: 'schema2', layers: 3, seed });
    const out = await copyImages(
      [
        { src: `${a.host}/shared/one:v1`, dst: `${b.host}/m/one:v1` },
        { src: `${a.host}/shared/two:v1`, dst: `${b.host}/m/two:v1` },
      ],
      { credentials: anonymousCredentials, imageJobs: 1 },
    );
    assert.ok(out[0].ok && out[1].ok);
    if (out[0].ok && out[1].ok) {
      assert.equal(out[0].result.blobsCopied, one.blobs.length);
      assert.equal(out[1].result.blobsMounted, one.blobs.length);
      assert.equal(out[1].result.bytesMoved, 0);
    }
    for (const blob of one.blobs) assert.ok(await blobExists(b.url, 'm/two', blob.digest));
  });

  it('getDigest resolves a tag by HEAD', async () => {
    const img = await pushImage(a.url, 'src/head', 'v1', { kind: 'oci' });
    const session = new MirrorSession({ credentials: anonymousCredentials });
    const d = await getDigest(`${a.host}/src/head:v1`, { session });
    assert.equal(d.digest, img.digest);
    assert.deepEqual(Object.keys(session.counts()[a.host.toLowerCase()]), ['HEAD']);
    await assert.rejects(getDigest(`${a.host}/src/head:nope`, { session }), (e: any) => e.code === 'MANIFEST_UNKNOWN' && e.message.includes(a.host));
  });

  it('a missing source is reported as such, and the target HEAD sent alongside it is cancelled (no retries linger)', async () => {
    // a port nobody listens on: every attempt at the target is refused and retried
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const retries: string[] = [];
    const err = await copyImage(`${a.host}/src/nothing-here:v1`, `127.0.0.1:${closed}/dst/nothing:v1`, {
      credentials: anonymousCredentials,
      retry: { retries: 6, baseDelayMs: 50, maxDelayMs: 100 },
      onProgress: (e) => {
        if (e.type === 'retry') retries.push(e.registry);
      },
    }).then(
      () => assert.fail('copied a missing image'),
      (e: RegistryError) => e,
    );
    assert.equal(err.code, 'MANIFEST_UNKNOWN');
    assert.match(err.message, /nothing-here/);
    const atFailure = retries.length;
    // six retries at 50-100 ms would all have happened by now if the HEAD were still going
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(retries.length, atFailure, `retries after the copy failed: ${retries.slice(atFailure).join(', ')}`);
  });

  it('reuses connections for HEAD requests (undici would close each one)', async () => {
    const img = await pushImage(a.url, 'src/keepalive', 'v1', { kind: 'schema2', layers: 6, layerSize: 2_000 });
    const dstPort = String(new URL(b.url).port);
    let connections = 0;
    const onConnect = (m: unknown) => {
      const p = (m as { connectParams?: { port?: string | number; host?: string } }).connectParams;
      if (String(p?.port) === dstPort || p?.host?.endsWith(`:${dstPort}`)) connections++;
    };
    diagnostics.subscribe('undici:client:connected', onConnect);
    let heads = 0;
    // a pool of its own: the shared one may hold connections from earlier tests
    const dispatcher = new Agent();
    try {
      const session = new MirrorSession({ credentials: anonymousCredentials, jobsPerHost: 1, dispatcher });
      const r = await copyImage(`${a.host}/src/keepalive:v1`, `${b.host}/dst/keepalive:v1`, { session });
      assert.equal(r.targetDigest, img.digest);
      heads = session.counts()[b.host.toLowerCase()]?.HEAD ?? 0;
    } finally {
      diagnostics.unsubscribe('undici:client:connected', onConnect);
      await dispatcher.close();
    }
    assert.ok(heads >= 8, `HEAD requests to the target: ${heads}`);
    assert.ok(connections > 0 && connections < heads / 2, `${connections} connections for ${heads} HEAD requests`);
  });

  it('a caller signal gets one listener, however many requests are in flight (no MaxListenersExceededWarning)', async () => {
    await pushImage(a.url, 'src/listeners', 'v1', { kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/s390x'], layers: 4, layerSize: 20_000 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const controller = new AbortController();
    let most = 0;
    try {
      const r = await copyImage(`${a.host}/src/listeners:v1`, `${b.host}/dst/listeners:v1`, {
        credentials: anonymousCredentials,
        signal: controller.signal,
        jobsPerHost: 8,
        onProgress: () => {
          most = Math.max(most, getEventListeners(controller.signal, 'abort').length);
        },
      });
      assert.equal(r.blobsCopied, 4 * 5);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(most, 1, 'listeners on the caller signal during the copy');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'none left after it');
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
  });

  it('copies a batch in parallel and reports each image', async () => {
    const imgs = await Promise.all([1, 2, 3].map((i) => pushImage(a.url, `batch/img${i}`, 't', { kind: 'oci-index', layers: 2 })));
    const out = await copyImages(
      [
        ...imgs.map((_, i) => ({ src: `${a.host}/batch/img${i + 1}:t`, dst: `${b.host}/mirror/img${i + 1}` })),
        { src: `${a.host}/batch/missing:t`, dst: `${b.host}/mirror/missing` },
      ],
      { credentials: anonymousCredentials, jobsPerHost: 2 },
    );
    assert.equal(out.length, 4);
    for (let i = 0; i < 3; i++) {
      const o = out[i];
      assert.ok(o.ok, JSON.stringify(o));
      if (o.ok) {
        assert.equal(o.result.targetDigest, imgs[i].digest);
        assert.equal(o.result.target, `${b.host}/mirror/img${i + 1}:t`);
      }
    }
    const bad = out[3];
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.error.code, 'MANIFEST_UNKNOWN');
      assert.match(bad.error.message, /batch\/missing/);
    }
    assert.equal(await manifestExists(b.url, 'mirror/missing', 't'), false);
  });
});
