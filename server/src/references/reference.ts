/**
 * The distribution/reference grammar (github.com/distribution/reference), and
 * normalisation exactly as Docker does it (ParseNormalizedNamed + TagNameOnly).
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]
 *   host             := domain-name | IPv4address | \[ IPv6address \]
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" hex   (sha256: 64, sha384: 96, sha512: 128 lowercase hex)
 *
 * Pure functions, no I/O. Never throws on user input: every parse returns a
 * result object with a human-readable reason on failure.
 */

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const REMOTE_NAME_RE = new RegExp(`^${REMOTE_NAME}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** A reference as written, split into its parts (no defaults applied). */
export interface ParsedReference {
  /** Registry host with optional port, as written; '' when none was written. */
  domain: string;
  /** Repository path after the domain, as written. */
  path: string;
  tag?: string;
  digest?: string;
}

/** A reference normalised the way Docker does it. */
export interface NormalizedReference {
  /** Registry host (and port), e.g. `docker.io`, `quay.io`, `localhost:5000`. */
  registry: string;
  /** Repository path within the registry, e.g. `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository`, e.g. `docker.io/library/nginx`. */
  name: string;
  /** Full normalised form; `:latest` added when neither tag nor digest was written. */
  normalized: string;
  /** True when `latest` was added by normalisation. */
  implicitLatest: boolean;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function fail<T>(error: string): ParseResult<T> {
  return { ok: false, error };
}

/** Validates a digest string `algo:hex`; returns an error message or undefined. */
export function validateDigest(digest: string): string | undefined {
  if (!DIGEST_RE.test(digest)) {
    const colon = digest.indexOf(':');
    if (colon < 0) return `invalid digest "${digest}": expected algorithm:hex`;
    const hex = digest.slice(colon + 1);
    if (/^[0-9a-fA-F]*$/.test(hex) && hex.length < 32) {
      return `invalid digest "${digest}": ${hex.length} hex characters, expected at least 32 (sha256 needs 64)`;
    }
    return `invalid digest "${digest}"`;
  }
  const colon = digest.indexOf(':');
  const algo = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const want = DIGEST_HEX_LENGTH[algo];
  if (want === undefined) return `unsupported digest algorithm "${algo}" (expected sha256, sha384 or sha512)`;
  if (hex.length !== want) return `invalid ${algo} digest: ${hex.length} hex characters, expected ${want}`;
  if (!/^[a-f0-9]+$/.test(hex)) return `invalid ${algo} digest: hex must be lowercase`;
  return undefined;
}

/**
 * Splits and validates a reference as written, with no defaults applied
 * (distribution's `Parse`). The first path component is taken as the domain
 * only when it looks like one (contains `.` or `:`, is `localhost`, or has an
 * uppercase letter), the same rule Docker uses.
 */
export function parseReference(input: string): ParseResult<ParsedReference> {
  if (typeof input !== 'string' || input.length === 0) return fail('empty reference');
  if (/\s/.test(input)) return fail(`invalid reference "${input}": contains whitespace`);

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.length === 0) return fail(`invalid reference "${input}": empty digest after "@"`);
    const err = validateDigest(digest);
    if (err) return fail(err);
  }

  // The tag is after the last ':' that follows the last '/'.
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) {
      if (tag.length > 128) return fail(`invalid tag "${tag.slice(0, 20)}…": longer than 128 characters`);
      return fail(`invalid tag "${tag}": must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    }
  }

  if (rest.length === 0) return fail(`invalid reference "${input}": missing repository name`);

  let domain = '';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (looksLikeDomain(first)) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN_RE.test(domain)) return fail(`invalid registry host "${domain}"`);
    }
  }
  if (path.length === 0) return fail(`invalid reference "${input}": missing repository name`);
  if (!REMOTE_NAME_RE.test(path)) {
    if (path.toLowerCase() !== path && REMOTE_NAME_RE.test(path.toLowerCase())) {
      return fail(`invalid reference "${input}": repository name "${path}" must be lowercase`);
    }
    return fail(`invalid reference "${input}": repository name "${path}" has characters outside [a-z0-9._-/] or misplaced separators`);
  }
  const nameLength = (domain ? domain.length + 1 : 0) + path.length;
  if (nameLength > NAME_TOTAL_LENGTH_MAX) {
    return fail(`invalid reference: repository name is ${nameLength} characters, longer than ${NAME_TOTAL_LENGTH_MAX}`);
  }
  return { ok: true, value: { domain, path, tag, digest } };
}

/** Docker's rule for whether the first path component names a registry. */
export function looksLikeDomain(first: string): boolean {
  return /[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first;
}

/**
 * Parses and normalises like Docker's ParseNormalizedNamed followed by
 * TagNameOnly: `nginx` -> `docker.io/library/nginx:latest`.
 */
export function parseNormalized(input: string): ParseResult<NormalizedReference> {
  if (typeof input !== 'string' || input.length === 0) return fail('empty reference');
  // Docker refuses a reference that is exactly an image ID (64 hex), nothing more.
  if (IDENTIFIER_RE.test(input)) {
    return fail(`invalid repository name "${input.slice(0, 12)}…": cannot specify 64-byte hexadecimal strings`);
  }
  const parsed = parseReference(input);
  if (!parsed.ok) return parsed;
  const { domain, path, tag, digest } = parsed.value;
  let registry = domain || DEFAULT_DOMAIN;
  if (registry === LEGACY_DEFAULT_DOMAIN) registry = DEFAULT_DOMAIN;
  let repository = path;
  if (registry === DEFAULT_DOMAIN && !repository.includes('/')) repository = OFFICIAL_REPO_PREFIX + repository;
  const name = `${registry}/${repository}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    return fail(`invalid reference: repository name is ${name.length} characters, longer than ${NAME_TOTAL_LENGTH_MAX}`);
  }
  const implicitLatest = tag === undefined && digest === undefined;
  const effectiveTag = implicitLatest ? 'latest' : tag;
  return {
    ok: true,
    value: {
      registry,
      repository,
      tag: effectiveTag,
      digest,
      name,
      normalized: formatReference(name, effectiveTag, digest),
      implicitLatest,
    },
  };
}

export function formatReference(name: string, tag?: string, digest?: string): string {
  return name + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
}

/** Docker's familiar (shortest) form: `docker.io/library/nginx` -> `nginx`. */
export function familiarName(ref: Pick<NormalizedReference, 'registry' | 'repository'>): string {
  if (ref.registry === DEFAULT_DOMAIN) {
    return ref.repository.startsWith(OFFICIAL_REPO_PREFIX) && !ref.repository.slice(OFFICIAL_REPO_PREFIX.length).includes('/')
      ? ref.repository.slice(OFFICIAL_REPO_PREFIX.length)
      : ref.repository;
  }
  return `${ref.registry}/${ref.repository}`;
}

/** Host without port (IPv6 brackets kept), lowercased. */
export function registryHost(registry: string): string {
  if (registry.startsWith('[')) {
    const end = registry.indexOf(']');
    return registry.slice(0, end + 1).toLowerCase();
  }
  const colon = registry.indexOf(':');
  return (colon >= 0 ? registry.slice(0, colon) : registry).toLowerCase();
}

// ---------------------------------------------------------------------------
// References with unresolved variables ($X, ${X}, ${X:-d}) — Dockerfile ARGs,
// Cloud Build substitutions, CI variables. They are reported only when the
// registry host is literal; the variable text is kept as written.

const VARIABLE_RE = /\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)/g;

export function hasVariables(text: string): boolean {
  VARIABLE_RE.lastIndex = 0;
  return VARIABLE_RE.test(text);
}

export interface TemplateReference extends NormalizedReference {
  /** True when the text contains unresolved variables (kept verbatim in the fields). */
  hasVariables: boolean;
}

/**
 * Normalises a reference that may contain unresolved variables. Each variable
 * is replaced by a grammar-neutral placeholder, the result parsed, and the
 * variables put back into every field. Fails when a variable sits in (or makes
 * up) the registry host, or when the surrounding text is not a valid reference.
 */
export function parseNormalizedTemplate(input: string): ParseResult<TemplateReference> {
  VARIABLE_RE.lastIndex = 0;
  const vars: string[] = [];
  const masked = input.replace(VARIABLE_RE, (m) => {
    vars.push(m);
    return `zzvar${vars.length - 1}zz`;
  });
  if (vars.length === 0) {
    const r = parseNormalized(input);
    return r.ok ? { ok: true, value: { ...r.value, hasVariables: false } } : r;
  }
  const r = parseNormalized(masked);
  if (!r.ok) return fail(r.error.replace(/zzvar(\d+)zz/g, (_, i) => vars[Number(i)]));
  // The host must be literal: a variable in the first component decides where the image comes from.
  const firstSlash = masked.indexOf('/');
  const first = firstSlash >= 0 ? masked.slice(0, firstSlash) : '';
  if (first && /zzvar\d+zz/.test(first)) return fail(`registry host of "${input}" is a variable`);
  if (firstSlash < 0 && /^zzvar\d+zz$/.test(masked.split(/[:@]/)[0])) {
    return fail(`repository of "${input}" is a variable`);
  }
  const restore = (s: string | undefined) =>
    s === undefined ? undefined : s.replace(/zzvar(\d+)zz/g, (_, i) => vars[Number(i)]);
  const v = r.value;
  return {
    ok: true,
    value: {
      registry: restore(v.registry)!,
      repository: restore(v.repository)!,
      tag: restore(v.tag),
      digest: restore(v.digest),
      name: restore(v.name)!,
      normalized: restore(v.normalized)!,
      implicitLatest: v.implicitLatest,
      hasVariables: true,
    },
  };
}
