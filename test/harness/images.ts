// Builds small but valid test images (gzip'd tar layers, config blobs with the right
// os/architecture, manifests and indexes with correct media types, sizes and digests) and
// pushes them to a registry over the Distribution API, doing Basic or Bearer-token auth itself.
// Deliberately independent of server/src/registry (the code under test).
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Accept header listing every manifest type the harness produces. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export type ImageKind = 'schema2' | 'oci' | 'docker-list' | 'oci-index';

export interface ImageSpec {
  kind: ImageKind;
  /** e.g. ['linux/amd64', 'linux/arm64/v8']. Single-manifest kinds use the first (default linux/amd64);
   *  list kinds default to ['linux/amd64', 'linux/arm64']. */
  platforms?: string[];
  /** Layers per platform image. Default 2. */
  layers?: number;
  /** Bytes of random file content per layer (the gzip'd tar is a little larger). Default 1024. */
  layerSize?: number;
  /** Seed for deterministic content: same seed + spec => same digests. Default: random. */
  seed?: string;
  /** Extra annotations on the top-level manifest/index (OCI kinds only). */
  annotations?: Record<string, string>;
  /** oci-index only: add a BuildKit-style attestation manifest (platform unknown/unknown) per platform. */
  attestations?: boolean;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Blob {
  digest: string;
  size: number;
  mediaType: string;
  bytes: Buffer;
}

export interface BuiltManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  platform: Platform;
  config: Blob;
  layers: Blob[];
  /** config + layers */
  blobs: Blob[];
  /** For an attestation manifest: the digest of the platform manifest it describes. */
  attestationFor?: string;
  /** Annotations on this manifest's descriptor in the index. */
  descriptorAnnotations?: Record<string, string>;
}

export interface BuiltImage {
  kind: ImageKind;
  /** Digest of the top-level manifest or index. */
  digest: string;
  mediaType: string;
  manifestBytes: Buffer;
  /** Platform manifests of an index/list (empty for single manifests). */
  children: BuiltManifest[];
  /** Every distinct blob (configs and layers) of the image. */
  blobs: Blob[];
}

export interface PushResult extends BuiltImage {
  repo: string;
  tag: string;
}

/** Credentials for the registry (Basic, or exchanged for a bearer token). */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export function sha256(b: Buffer | string): string {
  return 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');
}

export function parsePlatform(p: string): Platform {
  const [os, architecture, variant] = p.split('/');
  if (!os || !architecture) throw new Error(`bad platform "${p}" (want os/arch[/variant])`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** `host/repo:tag` or `host/repo@sha256:...` for a registry host such as 127.0.0.1:41234. */
export function imageRef(host: string, repo: string, tagOrDigest: string): string {
  return `${host}/${repo}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`;
}

/** Deterministic pseudo-random bytes from a seed (AES-256-CTR keystream keyed by SHA-256(seed): fast for big layers). */
export function seededBytes(seed: string, n: number): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest();
  const c = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([c.update(Buffer.alloc(n)), c.final()]);
}

/** A one-file ustar archive. */
function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512, 0);
  const put = (s: string, off: number, len: number) => header.write(s.slice(0, len), off, 'ascii');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(content.length, 12), 124, 12);
  put(octal(0, 12), 136, 12); // mtime 0: deterministic
  header.fill(0x20, 148, 156); // checksum placeholder: spaces
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = (512 - (content.length % 512)) % 512;
  return Buffer.concat([header, content, Buffer.alloc(pad), Buffer.alloc(1024)]);
}

function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256(bytes), size: bytes.length, mediaType, bytes };
}

function descriptor(b: { mediaType: string; digest: string; size: number }) {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size };
}

function buildPlatformManifest(oci: boolean, platform: Platform, spec: ImageSpec, seed: string): BuiltManifest {
  const nLayers = spec.layers ?? 2;
  const size = spec.layerSize ?? 1024;
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < nLayers; i++) {
    const tar = tarOneFile(`layer${i}/data.bin`, seededBytes(`${seed}/${formatPlatform(platform)}/layer${i}`, size));
    diffIds.push(sha256(tar));
    layers.push(blobOf(zlib.gzipSync(tar, { level: 0 }), oci ? MT.ociLayer : MT.dockerLayer));
  }
  const cfg = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/true'], Labels: { 'ar-migrate.test.seed': seed } },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `harness layer ${i}` })),
  };
  const config = blobOf(Buffer.from(JSON.stringify(cfg)), oci ? MT.ociConfig : MT.dockerConfig);
  const mediaType = oci ? MT.ociManifest : MT.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: descriptor(config),
    layers: layers.map(descriptor),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  return { digest: sha256(bytes), mediaType, bytes, platform, config, layers, blobs: [config, ...layers] };
}

/** A BuildKit-style attestation manifest (an in-toto statement as its only layer) for `subject`. */
function buildAttestation(subject: BuiltManifest, seed: string): BuiltManifest {
  const statement = {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [{ name: `pkg:docker/harness@${seed}?platform=${encodeURIComponent(formatPlatform(subject.platform))}`, digest: { sha256: subject.digest.slice(7) } }],
    predicate: { builder: { id: 'ar-migrate-test-harness' } },
  };
  const layer: Blob = blobOf(Buffer.from(JSON.stringify(statement)), 'application/vnd.in-toto+json');
  const platform: Platform = { os: 'unknown', architecture: 'unknown' };
  const config = blobOf(
    Buffer.from(JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } })),
    MT.ociConfig,
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: descriptor(config),
    layers: [{ ...descriptor(layer), annotations: { 'in-toto.io/predicate-type': statement.predicateType } }],
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  return {
    digest: sha256(bytes),
    mediaType: MT.ociManifest,
    bytes,
    platform,
    config,
    layers: [layer],
    blobs: [config, layer],
    attestationFor: subject.digest,
    descriptorAnnotations: { 'vnd.docker.reference.digest': subject.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
  };
}

function uniqueBlobs(list: Blob[]): Blob[] {
  const seen = new Map<string, Blob>();
  for (const b of list) if (!seen.has(b.digest)) seen.set(b.digest, b);
  return [...seen.values()];
}

/** Build an image in memory (no network). */
export function buildImage(spec: ImageSpec): BuiltImage {
  const seed = spec.seed ?? crypto.randomBytes(8).toString('hex');
  const isList = spec.kind === 'docker-list' || spec.kind === 'oci-index';
  const oci = spec.kind === 'oci' || spec.kind === 'oci-index';
  if (!['schema2', 'oci', 'docker-list', 'oci-index'].includes(spec.kind)) throw new Error(`unknown image kind ${spec.kind}`);
  if (!isList) {
    const m = buildPlatformManifest(oci, parsePlatform(spec.platforms?.[0] ?? 'linux/amd64'), spec, seed);
    let bytes = m.bytes;
    if (oci && spec.annotations) {
      bytes = Buffer.from(JSON.stringify({ ...JSON.parse(bytes.toString()), annotations: spec.annotations }, null, 3));
    }
    return { kind: spec.kind, digest: sha256(bytes), mediaType: m.mediaType, manifestBytes: bytes, children: [], blobs: m.blobs };
  }
  const platforms = (spec.platforms ?? ['linux/amd64', 'linux/arm64']).map(parsePlatform);
  const children = platforms.map((p) => buildPlatformManifest(oci, p, spec, seed));
  if (spec.attestations) {
    if (spec.kind !== 'oci-index') throw new Error('attestations need kind oci-index');
    for (const c of [...children]) children.push(buildAttestation(c, seed));
  }
  const mediaType = oci ? MT.ociIndex : MT.dockerList;
  const index: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c) => ({
      ...descriptor({ mediaType: c.mediaType, digest: c.digest, size: c.bytes.length }),
      ...(c.descriptorAnnotations ? { annotations: c.descriptorAnnotations } : {}),
      platform: c.platform,
    })),
  };
  if (oci && spec.annotations) index.annotations = spec.annotations;
  const manifestBytes = Buffer.from(JSON.stringify(index, null, 3));
  return {
    kind: spec.kind,
    digest: sha256(manifestBytes),
    mediaType,
    manifestBytes,
    children,
    blobs: uniqueBlobs(children.flatMap((c) => c.blobs)),
  };
}

// ---------------------------------------------------------------------------------------------
// A minimal Distribution API client (used by the harness only).

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseWwwAuthenticate(h: string | null): Challenge | undefined {
  if (!h) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(h);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]))) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return { scheme: m[1].toLowerCase(), params };
}

/**
 * Tiny client: retries a 401 once with Basic credentials or a bearer token from the realm the
 * registry names (anonymous if no credentials). Tokens are cached per scope string.
 */
export class HarnessRegistryClient {
  private tokens = new Map<string, string>();
  private basic = false;
  constructor(
    readonly baseUrl: string,
    readonly credentials?: RegistryCredentials,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private basicHeader(): string | undefined {
    if (!this.credentials) return undefined;
    return 'Basic ' + Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64');
  }

  private async fetchToken(ch: Challenge, scope: string): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw new Error('bearer challenge without realm');
    const u = new URL(realm);
    if (ch.params.service) u.searchParams.set('service', ch.params.service);
    for (const s of (ch.params.scope ?? scope).split(' ').filter(Boolean)) u.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    const b = this.basicHeader();
    if (b) headers.authorization = b;
    const r = await fetch(u, { headers });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`token request to ${u.origin}${u.pathname} failed: HTTP ${r.status}`);
    const j = JSON.parse(text) as { token?: string; access_token?: string };
    const t = j.token ?? j.access_token;
    if (!t) throw new Error('token response without token');
    return t;
  }

  /** Request `pathOrUrl` (relative to the registry root, or absolute) with auth for `scope`. */
  async request(
    method: string,
    pathOrUrl: string,
    init: { scope?: string; headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : this.baseUrl + pathOrUrl;
    const scope = init.scope ?? '';
    const doFetch = (auth?: string) => {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (auth) headers.authorization = auth;
      return fetch(url, { method, headers, body: init.body, redirect: 'manual' });
    };
    const cached = this.tokens.get(scope);
    const first = cached ? `Bearer ${cached}` : this.basic ? this.basicHeader() : undefined;
    let r = await doFetch(first);
    if (r.status !== 401) return this.followRedirect(r, method);
    const ch = parseWwwAuthenticate(r.headers.get('www-authenticate'));
    await r.arrayBuffer();
    if (ch?.scheme === 'basic') {
      this.basic = true;
      r = await doFetch(this.basicHeader());
    } else if (ch?.scheme === 'bearer') {
      const t = await this.fetchToken(ch, scope);
      this.tokens.set(scope, t);
      r = await doFetch(`Bearer ${t}`);
    }
    return this.followRedirect(r, method);
  }

  /** Follow a blob redirect (GET/HEAD) WITHOUT credentials, as clients must for a CDN. */
  private async followRedirect(r: Response, method: string): Promise<Response> {
    for (let i = 0; i < 5 && [301, 302, 303, 307, 308].includes(r.status) && (method === 'GET' || method === 'HEAD'); i++) {
      const loc = r.headers.get('location');
      if (!loc) return r;
      await r.arrayBuffer();
      r = await fetch(new URL(loc, r.url), { method, redirect: 'manual' });
    }
    return r;
  }
}

async function check(r: Response, what: string, ok: number[]): Promise<Response> {
  if (!ok.includes(r.status)) {
    const body = await r.text().catch(() => '');
    throw new Error(`${what}: HTTP ${r.status} ${body.slice(0, 300)}`);
  }
  return r;
}

const repoScope = (repo: string, actions: string) => `repository:${repo}:${actions}`;

export async function blobExists(registryUrl: string, repo: string, digest: string, auth?: RegistryCredentials, client?: HarnessRegistryClient): Promise<boolean> {
  const c = client ?? new HarnessRegistryClient(registryUrl, auth);
  const r = await c.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scope: repoScope(repo, 'pull') });
  await r.arrayBuffer();
  if (r.status === 200) return true;
  if (r.status === 404) return false;
  throw new Error(`HEAD blob ${repo}@${digest}: HTTP ${r.status}`);
}

export async function getBlob(registryUrl: string, repo: string, digest: string, auth?: RegistryCredentials): Promise<Buffer> {
  const c = new HarnessRegistryClient(registryUrl, auth);
  const r = await check(await c.request('GET', `/v2/${repo}/blobs/${digest}`, { scope: repoScope(repo, 'pull') }), `GET blob ${repo}@${digest}`, [200]);
  return Buffer.from(await r.arrayBuffer());
}

export async function pushBlob(client: HarnessRegistryClient, repo: string, blob: { digest: string; bytes: Buffer }): Promise<void> {
  const scope = repoScope(repo, 'pull,push');
  const head = await client.request('HEAD', `/v2/${repo}/blobs/${blob.digest}`, { scope });
  await head.arrayBuffer();
  if (head.status === 200) return;
  const start = await check(await client.request('POST', `/v2/${repo}/blobs/uploads/`, { scope }), `start upload ${repo}`, [202]);
  await start.arrayBuffer();
  const loc = start.headers.get('location');
  if (!loc) throw new Error(`start upload ${repo}: no Location`);
  const u = new URL(loc, start.url || client.baseUrl);
  u.searchParams.set('digest', blob.digest);
  const put = await client.request('PUT', u.toString(), {
    scope,
    headers: { 'content-type': 'application/octet-stream' },
    body: blob.bytes,
  });
  await check(put, `upload ${repo}@${blob.digest}`, [201]);
  await put.arrayBuffer();
}

export async function pushManifest(client: HarnessRegistryClient, repo: string, ref: string, mediaType: string, bytes: Buffer): Promise<string> {
  const r = await client.request('PUT', `/v2/${repo}/manifests/${ref}`, {
    scope: repoScope(repo, 'pull,push'),
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  await check(r, `PUT manifest ${repo}:${ref}`, [201]);
  await r.arrayBuffer();
  return r.headers.get('docker-content-digest') ?? sha256(bytes);
}

/** Push an already built image (blobs, then child manifests by digest, then the top level by tag). */
export async function pushBuilt(registryUrl: string, repo: string, tag: string, image: BuiltImage, auth?: RegistryCredentials): Promise<PushResult> {
  const client = new HarnessRegistryClient(registryUrl, auth);
  for (const b of image.blobs) await pushBlob(client, repo, b);
  for (const c of image.children) await pushManifest(client, repo, c.digest, c.mediaType, c.bytes);
  const d = await pushManifest(client, repo, tag, image.mediaType, image.manifestBytes);
  if (d !== image.digest) throw new Error(`registry computed ${d} for ${repo}:${tag}, expected ${image.digest}`);
  return { ...image, repo, tag };
}

/** Build and push a test image. `registryUrl` like http://127.0.0.1:PORT. */
export async function pushImage(registryUrl: string, repo: string, tag: string, spec: ImageSpec, auth?: RegistryCredentials): Promise<PushResult> {
  return pushBuilt(registryUrl, repo, tag, buildImage(spec), auth);
}

export interface FetchedManifest {
  /** sha256 of the bytes received. */
  digest: string;
  /** Docker-Content-Digest header, if sent. */
  headerDigest?: string;
  mediaType: string;
  bytes: Buffer;
}

export async function getManifest(registryUrl: string, repo: string, ref: string, auth?: RegistryCredentials, accept = MANIFEST_ACCEPT): Promise<FetchedManifest> {
  const c = new HarnessRegistryClient(registryUrl, auth);
  const r = await check(
    await c.request('GET', `/v2/${repo}/manifests/${ref}`, { scope: repoScope(repo, 'pull'), headers: { accept } }),
    `GET manifest ${repo}:${ref}`,
    [200],
  );
  const bytes = Buffer.from(await r.arrayBuffer());
  return {
    digest: sha256(bytes),
    headerDigest: r.headers.get('docker-content-digest') ?? undefined,
    mediaType: (r.headers.get('content-type') ?? '').split(';')[0].trim(),
    bytes,
  };
}

/** True if the manifest exists (HEAD). */
export async function manifestExists(registryUrl: string, repo: string, ref: string, auth?: RegistryCredentials): Promise<boolean> {
  const c = new HarnessRegistryClient(registryUrl, auth);
  const r = await c.request('HEAD', `/v2/${repo}/manifests/${ref}`, { scope: repoScope(repo, 'pull'), headers: { accept: MANIFEST_ACCEPT } });
  await r.arrayBuffer();
  if (r.status === 200) return true;
  if (r.status === 404) return false;
  throw new Error(`HEAD manifest ${repo}:${ref}: HTTP ${r.status}`);
}

/** All tags of a repository ([] if the repository does not exist). Follows Link pagination. */
export async function listTags(registryUrl: string, repo: string, auth?: RegistryCredentials): Promise<string[]> {
  const c = new HarnessRegistryClient(registryUrl, auth);
  const tags: string[] = [];
  let next: string | undefined = `/v2/${repo}/tags/list?n=1000`;
  while (next) {
    const r = await c.request('GET', next, { scope: repoScope(repo, 'pull') });
    if (r.status === 404) {
      await r.arrayBuffer();
      return tags;
    }
    await check(r, `list tags ${repo}`, [200]);
    const j = (await r.json()) as { tags?: string[] | null };
    tags.push(...(j.tags ?? []));
    const link = r.headers.get('link');
    const m = link ? /<([^>]+)>/.exec(link) : null;
    next = m ? m[1] : undefined;
  }
  return tags.sort();
}

/** Repositories in the registry catalog (follows Link pagination). */
export async function listRepositories(registryUrl: string, auth?: RegistryCredentials): Promise<string[]> {
  const c = new HarnessRegistryClient(registryUrl, auth);
  const repos: string[] = [];
  let next: string | undefined = '/v2/_catalog?n=1000';
  while (next) {
    const r = await check(await c.request('GET', next, { scope: 'registry:catalog:*' }), 'catalog', [200]);
    const j = (await r.json()) as { repositories?: string[] | null };
    repos.push(...(j.repositories ?? []));
    const link = r.headers.get('link');
    const m = link ? /<([^>]+)>/.exec(link) : null;
    next = m ? m[1] : undefined;
  }
  return repos.sort();
}

/**
 * Delete a manifest by digest (distribution 2.8 cannot delete a tag alone: deleting the digest
 * removes every tag pointing at it).
 */
export async function deleteManifest(registryUrl: string, repo: string, digest: string, auth?: RegistryCredentials): Promise<void> {
  const c = new HarnessRegistryClient(registryUrl, auth);
  const r = await c.request('DELETE', `/v2/${repo}/manifests/${digest}`, { scope: repoScope(repo, 'delete') });
  await check(r, `DELETE manifest ${repo}@${digest}`, [202]);
  await r.arrayBuffer();
}

/** Resolve a tag and delete the manifest it points at. */
export async function deleteTag(registryUrl: string, repo: string, tag: string, auth?: RegistryCredentials): Promise<string> {
  const m = await getManifest(registryUrl, repo, tag, auth);
  await deleteManifest(registryUrl, repo, m.headerDigest ?? m.digest, auth);
  return m.headerDigest ?? m.digest;
}
