/**
 * Manifest media types, parsing and platform selection. Manifest bytes are
 * kept exactly as received; digests are computed over those bytes.
 */
import type { Hash } from 'node:crypto';
import { RegistryError } from './errors';

/** node:crypto's createHash, loaded on the first digest: a copy that finds its target up to date hashes nothing (CLI start-up time, docs/cli-startup.md). */
export function createHash(algorithm: string): Hash {
  return (require('node:crypto') as typeof import('node:crypto')).createHash(algorithm);
}

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** Accept header listing every manifest type we can copy. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[]; raw: any }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[]; subject?: Descriptor; raw: any };

export function isIndexType(mt: string): boolean {
  return mt === MT.dockerList || mt === MT.ociIndex;
}

export function isImageType(mt: string): boolean {
  return mt === MT.dockerManifest || mt === MT.ociManifest;
}

/** The digest of some bytes, `sha256:<hex>` (or sha384/sha512 when asked). */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function digestAlgorithm(digest: string): string {
  const algo = digest.slice(0, digest.indexOf(':'));
  if (algo !== 'sha256' && algo !== 'sha384' && algo !== 'sha512') {
    throw new RegistryError('UNSUPPORTED', `unsupported digest algorithm "${algo}" in ${digest}`);
  }
  return algo;
}

/** The media type of a manifest: its own `mediaType` field, else the Content-Type header, else guessed. */
export function manifestMediaType(bytes: Uint8Array, contentType?: string): string {
  let doc: any;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    doc = undefined;
  }
  if (doc && typeof doc.mediaType === 'string' && doc.mediaType) return doc.mediaType;
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (ct && ct !== 'application/json' && ct !== 'text/plain' && ct !== 'application/octet-stream') return ct;
  if (doc && Array.isArray(doc.manifests)) return MT.ociIndex;
  if (doc && doc.schemaVersion === 1) return MT.dockerSchema1Signed;
  if (doc && doc.config) return MT.ociManifest;
  return ct || MT.ociManifest;
}

function checkDescriptor(d: any, where: string): Descriptor {
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new RegistryError('INVALID_MANIFEST', `invalid descriptor in ${where}: needs digest and a non-negative integer size`);
  }
  if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d.digest)) {
    throw new RegistryError('INVALID_MANIFEST', `invalid digest "${String(d.digest).slice(0, 80)}" in ${where}`);
  }
  return d as Descriptor;
}

/** Parses a manifest or index; `what` names it in errors. */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, what: string): ParsedManifest {
  let doc: any;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new RegistryError('INVALID_MANIFEST', `manifest of ${what} is not valid JSON`);
  }
  if (!doc || typeof doc !== 'object') throw new RegistryError('INVALID_MANIFEST', `manifest of ${what} is not a JSON object`);
  const mediaType = manifestMediaType(bytes, contentType);
  if (mediaType === MT.dockerSchema1 || mediaType === MT.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new RegistryError('UNSUPPORTED', `${what} is a Docker schema 1 manifest, which cannot be copied faithfully; push it again with a current Docker or use a newer tag`);
  }
  if (isIndexType(mediaType) || (Array.isArray(doc.manifests) && !doc.config)) {
    if (!Array.isArray(doc.manifests)) throw new RegistryError('INVALID_MANIFEST', `index ${what} has no "manifests" list`);
    const manifests = doc.manifests.map((d: any, i: number) => checkDescriptor(d, `${what} manifests[${i}]`));
    return { kind: 'index', mediaType, manifests, raw: doc };
  }
  if (!doc.config) throw new RegistryError('INVALID_MANIFEST', `manifest of ${what} (${mediaType}) has no config descriptor`);
  const config = checkDescriptor(doc.config, `${what} config`);
  const layers = (Array.isArray(doc.layers) ? doc.layers : []).map((d: any, i: number) => checkDescriptor(d, `${what} layers[${i}]`));
  const subject = doc.subject ? checkDescriptor(doc.subject, `${what} subject`) : undefined;
  return { kind: 'image', mediaType, config, layers, subject, raw: doc };
}

/** Foreign (non-distributable) layers: Windows base layers and the like. */
export function isForeignLayer(d: Descriptor): boolean {
  return (
    d.mediaType === MT.dockerForeignLayer ||
    d.mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.') ||
    (Array.isArray(d.urls) && d.urls.length > 0 && d.mediaType.includes('foreign'))
  );
}

export interface PlatformSpec {
  os: string;
  architecture?: string;
  variant?: string;
}

/** Parses `os/arch[/variant]` (also `os` alone, or `arch` alone assumed linux). */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.trim().toLowerCase().split('/').filter(Boolean);
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new RegistryError('BAD_REFERENCE', `invalid platform "${text}": expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  if (parts.length === 1) {
    const knownOs = ['linux', 'windows', 'darwin', 'freebsd'];
    return knownOs.includes(parts[0]) ? { os: parts[0] } : { os: 'linux', architecture: parts[0] };
  }
  return { os: parts[0], architecture: parts[1], variant: parts[2] };
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function normArch(arch: string, variant?: string): { arch: string; variant?: string } {
  if (arch === 'aarch64') arch = 'arm64';
  if (arch === 'x86_64' || arch === 'x86-64') arch = 'amd64';
  if (arch === 'arm64' && (variant === 'v8' || variant === undefined)) return { arch, variant: 'v8' };
  if (arch === 'arm' && variant === undefined) return { arch, variant: 'v7' };
  return { arch, variant };
}

export function platformMatches(p: Platform | undefined, spec: PlatformSpec): boolean {
  if (!p) return false;
  if ((p.os ?? '').toLowerCase() !== spec.os) return false;
  if (!spec.architecture) return true;
  const a = normArch((p.architecture ?? '').toLowerCase(), p.variant?.toLowerCase());
  const b = normArch(spec.architecture, spec.variant);
  if (a.arch !== b.arch) return false;
  if (spec.variant === undefined && spec.architecture !== 'arm') return true;
  return a.variant === b.variant;
}

/** Index entries that are attestations (BuildKit `unknown/unknown` with a reference annotation). */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

/** Builds a new index with the selected children, keeping the original media type and annotations. */
export function buildIndex(original: ParsedManifest & { kind: 'index' }, children: Descriptor[]): Buffer {
  const doc: any = { ...original.raw, manifests: children };
  return Buffer.from(JSON.stringify(doc, null, 2));
}

/** Every blob an image manifest references (config first). */
export function imageBlobs(m: ParsedManifest & { kind: 'image' }): Descriptor[] {
  return [m.config, ...m.layers];
}
