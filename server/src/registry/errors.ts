/**
 * Errors of the mirror engine. Every message names the image and the registry
 * and never contains a credential or token (see redact()).
 */
import { redact } from '../redact';

/** Re-exported: redaction lives in ../redact.ts. */
export { redact };

export type RegistryErrorCode =
  | 'UNAUTHORIZED' // 401: no or rejected credentials
  | 'DENIED' // 403: authenticated but not allowed
  | 'MANIFEST_UNKNOWN'
  | 'NAME_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'SERVER' // 5xx after retries
  | 'RATE_LIMITED' // 429 after retries, or pull budget exhausted
  | 'NETWORK' // reset, timeout
  | 'DNS'
  | 'CONNECTION_REFUSED'
  | 'INSECURE' // plain HTTP to a non-loopback host, or HTTPS downgrade
  | 'CANCELLED'
  | 'INVALID_MANIFEST'
  | 'UNSUPPORTED'
  | 'BAD_REFERENCE'
  | 'PLATFORM_NOT_FOUND'
  | 'PROTOCOL';

export interface RegistryErrorInit {
  registry?: string;
  image?: string;
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly registry?: string;
  image?: string;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(code: RegistryErrorCode, message: string, init: RegistryErrorInit = {}) {
    super(redact(message));
    this.name = 'RegistryError';
    this.code = code;
    this.registry = init.registry;
    this.image = init.image;
    this.status = init.status;
    this.retryable = init.retryable ?? false;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export function isAbortError(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | undefined;
  return !!e && (e.name === 'AbortError' || e.code === 'ABORT_ERR' || (e instanceof RegistryError && e.code === 'CANCELLED'));
}

export function cancelled(what: string): RegistryError {
  return new RegistryError('CANCELLED', `${what}: cancelled`);
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelled(what);
}

/** Strips query and fragment from a URL for messages (signed CDN URLs carry secrets). */
export function safeUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return redact(String(url));
  }
}
