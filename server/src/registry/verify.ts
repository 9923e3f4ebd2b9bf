/**
 * A pass-through stream that hashes and counts what flows through it and
 * refuses a size or digest mismatch. It holds back the last chunk until the
 * end has been verified, so a destination never receives all the bytes of a
 * bad blob (and the PUT's ?digest= makes the registry check it as well).
 */
import type { Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { RegistryError } from './errors';
import { createHash } from './manifest';
import { noteStreamed } from './memory';

export class VerifyStream extends Transform {
  private readonly hash: Hash;
  private held?: Buffer;
  bytes = 0;
  /** The first verification error, if any. */
  failure?: RegistryError;

  constructor(
    private readonly expectedDigest: string,
    private readonly expectedSize: number,
    private readonly what: string,
    private readonly onBytes?: (n: number) => void,
  ) {
    super({ highWaterMark: 256 << 10 });
    const algo = expectedDigest.slice(0, expectedDigest.indexOf(':'));
    this.hash = createHash(algo || 'sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expectedSize) {
      this.failure = new RegistryError('SIZE_MISMATCH', `${this.what}: source sent more than the ${this.expectedSize} bytes its descriptor declares`, { retryable: true });
      return cb(this.failure);
    }
    this.hash.update(chunk);
    noteStreamed(chunk.length);
    this.onBytes?.(chunk.length);
    const prev = this.held;
    this.held = chunk;
    if (prev) cb(null, prev);
    else cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.bytes !== this.expectedSize) {
      this.failure = new RegistryError('SIZE_MISMATCH', `${this.what}: source sent ${this.bytes} of ${this.expectedSize} bytes (truncated)`, { retryable: true });
      return cb(this.failure);
    }
    const got = `${this.expectedDigest.slice(0, this.expectedDigest.indexOf(':'))}:${this.hash.digest('hex')}`;
    if (got !== this.expectedDigest) {
      this.failure = new RegistryError('DIGEST_MISMATCH', `${this.what}: content digest ${got} does not match ${this.expectedDigest}; refusing to upload it`, { retryable: true });
      return cb(this.failure);
    }
    if (this.held) this.push(this.held);
    this.held = undefined;
    cb();
  }
}
