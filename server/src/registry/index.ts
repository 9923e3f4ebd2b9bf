/** The mirror engine's public API (see docs/mirror.md). */
export { copyImage, copyImages, getDigest, MirrorSession, effectiveTarget, parseImage } from './copy';
export type { CopyOptions, CopyResult, CopyOutcome, BatchOptions, ProgressEvent, DigestInfo } from './copy';
export { DockerConfigStore, StaticCredentialStore, anonymousCredentials } from './credentials';
export type { Credential, CredentialStore, DockerConfigStoreOptions } from './credentials';
export { RegistryError, redact } from './errors';
export type { RegistryErrorCode } from './errors';
export type { RateLimit } from './ratelimit';
export { describeRateLimit } from './ratelimit';
export { mapToTarget, parseMirrorBase } from './target';
export { parsePlatform, formatPlatform, MT as MediaTypes } from './manifest';
