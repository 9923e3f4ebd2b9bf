import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { getManifest, HarnessRegistryClient, manifestExists, pushImage, pushManifest } from '../../harness/images';
import { copyImage, copyImages } from '../../../server/src/registry/copy';
import { anonymousCredentials } from '../../../server/src/registry/credentials';

/**
 * In front of a real registry: adds Docker Hub's rate-limit headers to
 * manifest responses and counts one pull per GET of a platform manifest.
 */
async function hubLikeProxy(upstream: string, remaining: { n: number }) {
  const up = new URL(upstream);
  const gets: string[] = [];
  const server = http.createServer((req, res) => {
    const isManifest = /\/manifests\//.test(req.url ?? '');
    const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      const headers = { ...ures.headers };
      if (isManifest) {
        const ct = String(ures.headers['content-type'] ?? '');
        if (req.method === 'GET' && ures.statusCode === 200 && !/index|list/.test(ct)) {
          remaining.n = Math.max(0, remaining.n - 1);
          gets.push(req.url ?? '');
        }
        headers['ratelimit-limit'] = '100;w=21600';
        headers['ratelimit-remaining'] = `${remaining.n};w=21600`;
        headers['docker-ratelimit-source'] = '192.0.2.1';
      }
      res.writeHead(ures.statusCode ?? 502, headers);
      ures.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { host, gets, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('pull rate limits (Docker Hub headers)', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;

  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('reports the limit and stops a batch the remaining pulls cannot cover, before any pull', async () => {
    await Promise.all([1, 2, 3].map((i) => pushImage(a.url, `rl/img${i}`, 'v1', { kind: 'schema2' })));
    const remaining = { n: 2 };
    const p = await hubLikeProxy(a.url, remaining);
    try {
      const out = await copyImages([1, 2, 3].map((i) => ({ src: `${p.host}/rl/img${i}:v1`, dst: `${b.host}/rl/img${i}:v1` })), { credentials: anonymousCredentials });
      assert.equal(p.gets.length, 0, 'no pull made');
      for (const o of out) {
        assert.equal(o.ok, false);
        if (!o.ok) {
          assert.equal(o.error.code, 'RATE_LIMITED');
          assert.match(o.error.message, /2 of 100 pulls left per 6h/);
          assert.match(o.error.message, /needs at least 3 pulls/);
        }
      }
      for (const i of [1, 2, 3]) assert.equal(await manifestExists(b.url, `rl/img${i}`, 'v1'), false);
    } finally {
      await p.stop();
    }
  });

  it('stops when the platform manifests of a batch exhaust the budget mid-way; copies what fits', async () => {
    const imgs = await Promise.all([1, 2].map((i) => pushImage(a.url, `rl2/img${i}`, 'v1', { kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64'] })));
    const remaining = { n: 3 };
    const p = await hubLikeProxy(a.url, remaining);
    try {
      const out = await copyImages(imgs.map((_, i) => ({ src: `${p.host}/rl2/img${i + 1}:v1`, dst: `${b.host}/rl2/img${i + 1}:v1` })), { credentials: anonymousCredentials, imageJobs: 1 });
      assert.ok(out[0].ok, JSON.stringify(out[0]));
      if (out[0].ok) {
        assert.equal(out[0].result.targetDigest, imgs[0].digest);
        assert.deepEqual({ limit: out[0].result.rateLimit?.limit, window: out[0].result.rateLimit?.window }, { limit: 100, window: 21600 });
      }
      assert.equal(out[1].ok, false);
      if (!out[1].ok) {
        assert.equal(out[1].error.code, 'RATE_LIMITED');
        assert.match(out[1].error.message, /pull limit/);
      }
      assert.ok(p.gets.length <= 3);
      assert.equal((await getManifest(b.url, 'rl2/img1', 'v1')).digest, imgs[0].digest);
      assert.equal(await manifestExists(b.url, 'rl2/img2', 'v1'), false);
    } finally {
      await p.stop();
    }
  });
});

/** In front of a real registry: lets a test rewrite response headers. */
async function headerProxy(upstream: string, edit: (req: http.IncomingMessage, headers: http.IncomingHttpHeaders) => void) {
  const up = new URL(upstream);
  const server = http.createServer((req, res) => {
    const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      const headers = { ...ures.headers };
      edit(req, headers);
      res.writeHead(ures.statusCode ?? 502, headers);
      ures.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { host, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('Docker-Content-Digest missing or wrong', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;
  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('hashes the manifest bytes itself', async () => {
    const img = await pushImage(a.url, 'dcd/app', 'v1', { kind: 'docker-list' });
    const missing = await headerProxy(a.url, (_req, h) => {
      delete h['docker-content-digest'];
    });
    const wrong = await headerProxy(a.url, (req, h) => {
      if (/\/manifests\/v1$/.test(req.url ?? '')) h['docker-content-digest'] = `sha256:${'0'.repeat(64)}`;
    });
    try {
      const r1 = await copyImage(`${missing.host}/dcd/app:v1`, `${b.host}/dcd/missing:v1`, { credentials: anonymousCredentials });
      assert.equal(r1.sourceDigest, img.digest);
      assert.equal(r1.targetDigest, img.digest);
      const r2 = await copyImage(`${wrong.host}/dcd/app:v1`, `${b.host}/dcd/wrong:v1`, { credentials: anonymousCredentials });
      assert.equal(r2.sourceDigest, img.digest);
      assert.equal((await getManifest(b.url, 'dcd/wrong', 'v1')).digest, img.digest);
      assert.ok(r2.warnings.some((w) => /announced digest/.test(w)));
    } finally {
      await Promise.all([missing.stop(), wrong.stop()]);
    }
  });
});

describe('cosign signatures', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;
  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('copies OCI 1.1 referrers (an artifact whose subject is the image) when asked', async () => {
    const img = await pushImage(a.url, 'ref/app', 'v1', { kind: 'oci' });
    // an artifact manifest pointing at the image, pushed by digest only
    const art = await pushImage(a.url, 'ref/app', 'sbom-tmp', { kind: 'oci', layers: 1 });
    const doc = JSON.parse(art.manifestBytes.toString());
    doc.subject = { mediaType: img.mediaType, digest: img.digest, size: img.manifestBytes.length };
    doc.artifactType = 'application/spdx+json';
    const bytes = Buffer.from(JSON.stringify(doc));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await pushManifest(new HarnessRegistryClient(a.url), 'ref/app', digest, doc.mediaType, bytes);
    // distribution 2.8 has no referrers API: answer it in front of the registry
    const up = new URL(a.url);
    const server = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url === `/v2/ref/app/referrers/${img.digest}`) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
        res.end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: doc.mediaType, digest, size: bytes.length, artifactType: doc.artifactType }] }));
        return;
      }
      const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await copyImage(`${host}/ref/app:v1`, `${b.host}/ref/app:v1`, { credentials: anonymousCredentials, copySignatures: true });
      assert.equal(r.targetDigest, img.digest);
      assert.equal(r.signatures, 1);
      assert.equal((await getManifest(b.url, 'ref/app', digest)).digest, digest);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('copies sha256-<digest>.sig and .att tags when asked', async () => {
    const img = await pushImage(a.url, 'signed/app', 'v1', { kind: 'oci-index' });
    const tag = img.digest.replace(':', '-');
    const sig = await pushImage(a.url, 'signed/app', `${tag}.sig`, { kind: 'oci', layers: 1 });
    const att = await pushImage(a.url, 'signed/app', `${tag}.att`, { kind: 'oci', layers: 1 });
    const plain = await copyImage(`${a.host}/signed/app:v1`, `${b.host}/plain/app:v1`, { credentials: anonymousCredentials });
    assert.equal(plain.signatures, undefined);
    assert.equal(await manifestExists(b.url, 'plain/app', `${tag}.sig`), false);
    const r = await copyImage(`${a.host}/signed/app:v1`, `${b.host}/signed/app:v1`, { credentials: anonymousCredentials, copySignatures: true });
    assert.equal(r.signatures, 2);
    assert.equal((await getManifest(b.url, 'signed/app', `${tag}.sig`)).digest, sig.digest);
    assert.equal((await getManifest(b.url, 'signed/app', `${tag}.att`)).digest, att.digest);
    // again: nothing to do
    const again = await copyImage(`${a.host}/signed/app:v1`, `${b.host}/signed/app:v1`, { credentials: anonymousCredentials, copySignatures: true });
    assert.equal(again.upToDate, true);
    assert.equal(again.signatures, 0);
  });
});
