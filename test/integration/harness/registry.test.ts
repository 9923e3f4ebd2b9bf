import * as assert from 'node:assert/strict';
import { startRegistry, type RegistryHandle } from '../../harness/registry';
import {
  MT,
  blobExists,
  buildImage,
  deleteManifest,
  getBlob,
  getManifest,
  listRepositories,
  listTags,
  manifestExists,
  pushImage,
  sha256,
  type ImageKind,
} from '../../harness/images';

describe('harness: real registry (docker-registry) + image pusher', function () {
  this.timeout(60000);

  for (const auth of ['none', 'basic', 'token'] as const) {
    describe(`auth ${auth}`, () => {
      let reg: RegistryHandle;
      before(async () => {
        reg = await startRegistry({ auth });
      });
      after(async () => {
        await reg?.stop();
      });

      it('answers /v2/ (401 with the right challenge unless auth none)', async () => {
        const r = await fetch(`${reg.url}/v2/`);
        await r.arrayBuffer();
        if (auth === 'none') {
          assert.equal(r.status, 200);
        } else {
          assert.equal(r.status, 401);
          const ch = r.headers.get('www-authenticate') ?? '';
          assert.match(ch, auth === 'basic' ? /^Basic /i : /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="/);
        }
        assert.match(reg.host, /^127\.0\.0\.1:\d+$/);
        assert.match(reg.logs(), new RegExp(`listening on ${reg.host.replace(/\./g, '\\.')}`));
        assert.equal(reg.url, `http://${reg.host}`);
      });

      const kinds: ImageKind[] = ['schema2', 'oci', 'docker-list', 'oci-index'];
      for (const kind of kinds) {
        it(`push + pull round trip: ${kind}`, async () => {
          const pushed = await pushImage(reg.url, `harness/${kind}`, 'v1', { kind, layers: 2, layerSize: 2048 }, reg.credentials);
          const got = await getManifest(reg.url, `harness/${kind}`, 'v1', reg.credentials);
          assert.equal(got.digest, pushed.digest);
          assert.equal(got.headerDigest, pushed.digest);
          assert.equal(got.mediaType, pushed.mediaType);
          assert.deepEqual(got.bytes, pushed.manifestBytes);
          for (const c of pushed.children) {
            const child = await getManifest(reg.url, `harness/${kind}`, c.digest, reg.credentials);
            assert.equal(child.digest, c.digest);
          }
          for (const b of pushed.blobs) {
            assert.ok(await blobExists(reg.url, `harness/${kind}`, b.digest, reg.credentials));
            const bytes = await getBlob(reg.url, `harness/${kind}`, b.digest, reg.credentials);
            assert.equal(sha256(bytes), b.digest);
          }
          assert.deepEqual(await listTags(reg.url, `harness/${kind}`, reg.credentials), ['v1']);
        });
      }

      it('lists repositories, deletes manifests, reports missing ones', async () => {
        const p = await pushImage(reg.url, 'harness/del', 'gone', { kind: 'schema2', layers: 1 }, reg.credentials);
        assert.ok((await listRepositories(reg.url, reg.credentials)).includes('harness/del'));
        assert.ok(await manifestExists(reg.url, 'harness/del', 'gone', reg.credentials));
        await deleteManifest(reg.url, 'harness/del', p.digest, reg.credentials);
        assert.equal(await manifestExists(reg.url, 'harness/del', 'gone', reg.credentials), false);
        assert.equal(await blobExists(reg.url, 'harness/nothere', p.blobs[0].digest, reg.credentials), false);
        assert.deepEqual(await listTags(reg.url, 'harness/nothere', reg.credentials), []);
      });

      if (auth !== 'none') {
        it('rejects a wrong password', async () => {
          const bad = { username: reg.credentials!.username, password: 'wrong-password' };
          await assert.rejects(pushImage(reg.url, 'harness/bad', 'v1', { kind: 'schema2', layers: 1 }, bad), /HTTP 401/);
          const r = await fetch(`${reg.url}/v2/`, {
            headers: { authorization: 'Basic ' + Buffer.from(`${bad.username}:${bad.password}`).toString('base64') },
          });
          await r.arrayBuffer();
          assert.equal(r.status, 401);
        });
      }
    });
  }

  it('builds deterministic images from a seed, with correct platforms and media types', () => {
    const a = buildImage({ kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64/v8', 'windows/amd64'], seed: 's1' });
    const b = buildImage({ kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64/v8', 'windows/amd64'], seed: 's1' });
    const c = buildImage({ kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64/v8', 'windows/amd64'], seed: 's2' });
    assert.equal(a.digest, b.digest);
    assert.notEqual(a.digest, c.digest);
    assert.equal(a.mediaType, MT.ociIndex);
    const idx = JSON.parse(a.manifestBytes.toString());
    assert.equal(idx.manifests.length, 3);
    assert.deepEqual(idx.manifests[1].platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    for (const [i, child] of a.children.entries()) {
      assert.equal(idx.manifests[i].digest, sha256(child.bytes));
      assert.equal(idx.manifests[i].size, child.bytes.length);
      const cfg = JSON.parse(child.config.bytes.toString());
      assert.equal(cfg.os, child.platform.os);
      assert.equal(cfg.architecture, child.platform.architecture);
      assert.equal(child.layers[0].mediaType, MT.ociLayer);
      assert.equal(child.layers[0].bytes[0], 0x1f); // gzip magic
    }
    const att = buildImage({ kind: 'oci-index', platforms: ['linux/amd64'], attestations: true });
    const attIdx = JSON.parse(att.manifestBytes.toString());
    assert.equal(attIdx.manifests.length, 2);
    assert.deepEqual(attIdx.manifests[1].platform, { os: 'unknown', architecture: 'unknown' });
    assert.equal(attIdx.manifests[1].annotations['vnd.docker.reference.type'], 'attestation-manifest');
    assert.equal(att.children[1].attestationFor, att.children[0].digest);
    assert.throws(() => buildImage({ kind: 'docker-list', attestations: true }), /oci-index/);
    const s2 = buildImage({ kind: 'schema2', platforms: ['linux/arm64'] });
    assert.equal(s2.mediaType, MT.dockerManifest);
    assert.equal(JSON.parse(s2.blobs[0].bytes.toString()).architecture, 'arm64');
    assert.equal(s2.blobs[0].mediaType, MT.dockerConfig);
  });

  it('stores blobs in its storage dir, and stop() kills it and removes its temp dirs', async () => {
    const fs = await import('node:fs');
    const reg = await startRegistry();
    const dir = reg.storageDir;
    await pushImage(reg.url, 'harness/x', 'v1', { kind: 'schema2', layers: 1 });
    assert.ok(fs.existsSync(`${dir}/docker/registry/v2/repositories/harness/x`));
    await reg.stop();
    assert.equal(fs.existsSync(dir), false);
    const r = await fetch(`${reg.url}/v2/`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(r, 'refused');
  });

  it('fails fast with the registry log when the registry cannot start', async () => {
    await assert.rejects(
      startRegistry({ logLevel: 'bogus' as never }),
      (e: Error) => /registry exited with code \d+/.test(e.message) && /--- registry log ---[\s\S]*bogus/.test(e.message),
    );
  });

  it('restarts on the same port with the same storage dir, keeping its content', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-harness-storage-'));
    try {
      const first = await startRegistry({ storageDir: storage });
      const img = await pushImage(first.url, 'keep/me', 'v1', { kind: 'oci-index', layers: 1 });
      await first.stop();
      assert.ok(fs.existsSync(storage), 'a given storage dir is not removed');
      const again = await startRegistry({ storageDir: storage, port: first.port });
      try {
        assert.equal(again.url, first.url);
        assert.equal((await getManifest(again.url, 'keep/me', 'v1')).digest, img.digest);
      } finally {
        await again.stop();
      }
    } finally {
      fs.rmSync(storage, { recursive: true, force: true });
    }
  });
});
