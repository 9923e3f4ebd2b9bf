import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { blobExists, getManifest, HarnessRegistryClient, pushBlob, pushImage, pushManifest } from '../../harness/images';
import { copyImage } from '../../../server/src/registry/copy';
import { anonymousCredentials } from '../../../server/src/registry/credentials';
import { MT } from '../../../server/src/registry/manifest';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('mirror engine: attestations and foreign layers', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;
  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('copies an index with attestation manifests unchanged, and keeps the attestations of the platforms selected', async () => {
    const img = await pushImage(a.url, 'att/app', 'v1', { kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'], attestations: true });
    const all = await copyImage(`${a.host}/att/app:v1`, `${b.host}/att/all:v1`, { credentials: anonymousCredentials });
    assert.equal(all.targetDigest, img.digest);
    assert.deepEqual(all.platforms, ['linux/amd64', 'linux/arm64', 'linux/s390x']);
    const two = await copyImage(`${a.host}/att/app:v1`, `${b.host}/att/two:v1`, { credentials: anonymousCredentials, platforms: ['linux/amd64', 'linux/s390x'] });
    assert.equal(two.digestChanged, true);
    const idx = JSON.parse((await getManifest(b.url, 'att/two', 'v1')).bytes.toString());
    const plats = idx.manifests.filter((m: any) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
    const atts = idx.manifests.filter((m: any) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest');
    assert.deepEqual(plats.map((m: any) => `${m.platform.os}/${m.platform.architecture}`), ['linux/amd64', 'linux/s390x']);
    assert.equal(atts.length, 2);
    assert.deepEqual(new Set(atts.map((m: any) => m.annotations['vnd.docker.reference.digest'])), new Set(plats.map((m: any) => m.digest)));
  });

  it('leaves foreign layers at their URLs unless asked', async () => {
    // distribution refuses foreign layers unless its config allows their URLs
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { startRegistry: startPlain } = await import('../../../bench/mirror/registry.mjs' as string);
    const allow = ['validation:', '  manifests:', '    urls:', '      allow:', "        - '^https?://'"];
    const [fa, fb] = await Promise.all([startPlain('foreign-src', allow), startPlain('foreign-dst', allow)]);
    try {
      await foreignCase(fa, fb);
    } finally {
      await Promise.all([fa.stop(), fb.stop()]);
    }
  });

  async function foreignCase(a: { url: string; host: string }, b: { url: string; host: string }) {
    const client = new HarnessRegistryClient(a.url);
    const layer = Buffer.from('a normal layer');
    const config = Buffer.from(JSON.stringify({ os: 'windows', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }));
    await pushBlob(client, 'win/app', { digest: sha(layer), bytes: layer });
    await pushBlob(client, 'win/app', { digest: sha(config), bytes: config });
    const foreign = { mediaType: MT.dockerForeignLayer, digest: `sha256:${'f'.repeat(64)}`, size: 123456, urls: ['https://mcr.microsoft.com/v2/windows/blobs/sha256:' + 'f'.repeat(64)] };
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT.dockerManifest,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
      layers: [foreign, { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha(layer), size: layer.length }],
    }));
    await pushManifest(client, 'win/app', 'v1', MT.dockerManifest, manifest);
    const r = await copyImage(`${a.host}/win/app:v1`, `${b.host}/win/app:v1`, { credentials: anonymousCredentials });
    assert.equal(r.targetDigest, sha(manifest));
    assert.equal(r.blobsCopied, 2);
    assert.equal(await blobExists(b.url, 'win/app', foreign.digest), false);
    assert.ok(await blobExists(b.url, 'win/app', sha(layer)));
    // asked to copy it, but the source does not have it: a clear error, no tag
    await assert.rejects(copyImage(`${a.host}/win/app:v1`, `${b.host}/win/all:v1`, { credentials: anonymousCredentials, includeForeignLayers: true }), (e: any) => /fffffffffff/.test(e.message) && e.message.includes(a.host));
  }
});
