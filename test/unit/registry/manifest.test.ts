import * as assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import {
  buildIndex, digestOf, isAttestation, isForeignLayer, manifestMediaType, MANIFEST_ACCEPT, MT, parseManifest, parsePlatform, platformMatches,
} from '../../../server/src/registry/manifest';
import { VerifyStream } from '../../../server/src/registry/verify';
import { RegistryError } from '../../../server/src/registry/errors';

const d = (c: string) => `sha256:${c.repeat(64)}`;

describe('registry: manifests', () => {
  it('accepts every manifest type we copy', () => {
    for (const t of [MT.dockerManifest, MT.dockerList, MT.ociManifest, MT.ociIndex]) assert.ok(MANIFEST_ACCEPT.includes(t));
  });
  it('parses image manifests and indexes, keeping media types', () => {
    const img = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerManifest, config: { mediaType: 'x', digest: d('a'), size: 3 }, layers: [{ mediaType: MT.dockerForeignLayer, digest: d('b'), size: 5, urls: ['https://x'] }] }));
    const p = parseManifest(img, 'application/json', 'test');
    assert.equal(p.kind, 'image');
    if (p.kind === 'image') {
      assert.equal(p.mediaType, MT.dockerManifest);
      assert.ok(isForeignLayer(p.layers[0]));
    }
    // OCI manifests may omit mediaType: the Content-Type decides
    const oci = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x', digest: d('a'), size: 3 }, layers: [] }));
    assert.equal(manifestMediaType(oci, `${MT.ociManifest}; charset=utf-8`), MT.ociManifest);
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MT.ociManifest, digest: d('c'), size: 10, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }] }));
    const pi = parseManifest(idx, MT.ociIndex, 'idx');
    assert.equal(pi.kind, 'index');
    assert.equal(digestOf(idx), `sha256:${createHash('sha256').update(idx).digest('hex')}`);
  });
  it('refuses broken and schema 1 manifests with a clear error', () => {
    assert.throws(() => parseManifest(Buffer.from('{nope'), undefined, 'img x'), (e: RegistryError) => e.code === 'INVALID_MANIFEST' && /img x/.test(e.message));
    assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), undefined, 'old'), (e: RegistryError) => e.code === 'UNSUPPORTED');
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: 'x', size: -1 } })), MT.ociManifest, 'bad'), /invalid/);
  });
  it('matches platforms like docker does', () => {
    const arm64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    assert.ok(platformMatches(arm64, parsePlatform('linux/arm64')));
    assert.ok(platformMatches({ os: 'linux', architecture: 'arm64' }, parsePlatform('linux/arm64/v8')));
    assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatform('linux/arm/v7')));
    assert.ok(platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/amd64')));
    assert.ok(platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('amd64')));
    assert.ok(!platformMatches({ os: 'windows', architecture: 'amd64' }, parsePlatform('linux/amd64')));
    assert.throws(() => parsePlatform('linux/amd64/v1/x'), /invalid platform/);
  });
  it('builds a sub-index and recognises attestations', () => {
    const raw = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: MT.ociManifest, digest: d('1'), size: 1 }, { mediaType: MT.ociManifest, digest: d('2'), size: 1, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d('1') } }], annotations: { a: 'b' } };
    const bytes = Buffer.from(JSON.stringify(raw));
    const p = parseManifest(bytes, undefined, 'x');
    assert.ok(p.kind === 'index' && isAttestation(p.manifests[1]));
    if (p.kind === 'index') {
      const sub = JSON.parse(buildIndex(p, [p.manifests[0]]).toString());
      assert.equal(sub.manifests.length, 1);
      assert.deepEqual(sub.annotations, { a: 'b' });
      assert.equal(sub.mediaType, MT.ociIndex);
    }
  });
});

describe('registry: VerifyStream', () => {
  const data = Buffer.alloc(300_000, 7);
  const digest = digestOf(data);
  const run = async (input: Buffer, want: string, size: number) => {
    const v = new VerifyStream(want, size, 'blob t');
    const out: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (c) => out.push(c));
    await pipeline(Readable.from([input.subarray(0, 100_000), input.subarray(100_000)]), v, sink);
    return Buffer.concat(out);
  };
  it('passes matching content through unchanged', async () => {
    assert.deepEqual(await run(data, digest, data.length), data);
  });
  it('refuses a digest mismatch and never passes on all the bytes', async () => {
    const bad = Buffer.from(data);
    bad[5] = 1;
    const v = new VerifyStream(digest, data.length, 'blob t');
    const out: Buffer[] = [];
    v.on('data', (c) => out.push(c));
    await assert.rejects(pipeline(Readable.from([bad.subarray(0, 100_000), bad.subarray(100_000)]), v), (e: RegistryError) => e.code === 'DIGEST_MISMATCH');
    assert.ok(Buffer.concat(out).length < data.length);
  });
  it('refuses short and long content', async () => {
    await assert.rejects(run(data.subarray(0, 200_000), digest, data.length), (e: RegistryError) => e.code === 'SIZE_MISMATCH' && /truncated/.test(e.message));
    await assert.rejects(run(Buffer.concat([data, Buffer.from('x')]), digest, data.length), (e: RegistryError) => e.code === 'SIZE_MISMATCH');
  });
});
