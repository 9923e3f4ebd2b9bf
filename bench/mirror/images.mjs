// Builds and pushes random test images for the mirror bench, streaming large
// layers (never holding a whole layer in memory).
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';

const CHUNK = 1 << 20;

/**
 * A deterministic pseudo-random gzip layer of about `size` bytes: 1 MiB blocks
 * (a random block stamped with its index), each a stored (level 0) gzip
 * member, so the layer is valid gzip and tools see the compression they expect.
 */
function layerSource(size) {
  const base = randomBytes(CHUNK);
  const chunks = function* () {
    for (let off = 0, i = 0; off < size; off += CHUNK, i++) {
      const n = Math.min(CHUNK, size - off);
      const c = Buffer.from(base.subarray(0, n));
      c.writeUInt32BE(i >>> 0, 0);
      yield gzipSync(c, { level: 0 });
    }
  };
  const h = createHash('sha256');
  let total = 0;
  for (const c of chunks()) {
    h.update(c);
    total += c.length;
  }
  return { size: total, digest: `sha256:${h.digest('hex')}`, chunks };
}

async function check(res, what, ok) {
  if (!ok.includes(res.statusCode)) {
    const text = await res.body.text();
    throw new Error(`${what}: ${res.statusCode} ${text.slice(0, 300)}`);
  }
}

async function pushBlob(url, repo, blob) {
  const head = await request(`${url}/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD' });
  await head.body.dump();
  if (head.statusCode === 200) return;
  const post = await request(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
  await check(post, `POST upload ${repo}`, [202]);
  await post.body.dump();
  const loc = new URL(post.headers.location, url);
  loc.searchParams.set('digest', blob.digest);
  const body = blob.bytes ? blob.bytes : Readable.from(blob.chunks());
  const put = await request(loc.toString(), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body,
  });
  await check(put, `PUT blob ${blob.digest}`, [201]);
  await put.body.dump();
}

async function pushManifest(url, repo, ref, mediaType, bytes) {
  const res = await request(`${url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: bytes });
  await check(res, `PUT manifest ${repo}:${ref}`, [201]);
  await res.body.dump();
}

function jsonBlob(obj) {
  const bytes = Buffer.from(JSON.stringify(obj));
  return { bytes, size: bytes.length, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

async function pushPlatformImage(url, repo, platform, layers, layerSize, ref) {
  const layerBlobs = [];
  for (let i = 0; i < layers; i++) {
    const l = layerSource(layerSize);
    await pushBlob(url, repo, l);
    layerBlobs.push(l);
  }
  const [os, architecture, variant] = platform.split('/');
  const config = jsonBlob({
    architecture,
    os,
    ...(variant ? { variant } : {}),
    rootfs: { type: 'layers', diff_ids: layerBlobs.map((l) => l.digest) },
    config: {},
    created: new Date().toISOString(),
  });
  await pushBlob(url, repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
      layers: layerBlobs.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
    }),
  );
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  await pushManifest(url, repo, ref ?? digest, OCI_MANIFEST, manifest);
  return { digest, size: manifest.length, platform: { os, architecture, ...(variant ? { variant } : {}) } };
}

/** Pushes an OCI index of `platforms`, each with `layers` random layers of `layerSize` bytes. Returns its digest. */
export async function pushIndex(url, repo, tag, platforms, layers, layerSize) {
  const children = [];
  for (const p of platforms) children.push(await pushPlatformImage(url, repo, p, layers, layerSize));
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map((c) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: c.size, platform: c.platform })),
    }),
  );
  await pushManifest(url, repo, tag, OCI_INDEX, index);
  return `sha256:${createHash('sha256').update(index).digest('hex')}`;
}

/** Pushes a single-platform image with one layer of `layerSize` bytes. Returns its digest. */
export async function pushSingle(url, repo, tag, layerSize) {
  const m = await pushPlatformImage(url, repo, 'linux/amd64', 1, layerSize, tag);
  return m.digest;
}

/** The digest a tag points to (HEAD). */
export async function headDigest(url, repo, ref) {
  const res = await request(`${url}/v2/${repo}/manifests/${ref}`, {
    method: 'HEAD',
    headers: { accept: [OCI_INDEX, OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ') },
  });
  await res.body.dump();
  return res.statusCode === 200 ? res.headers['docker-content-digest'] : undefined;
}
