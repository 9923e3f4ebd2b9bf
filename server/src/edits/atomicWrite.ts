/**
 * Atomic file replacement, shared by rewrites (migrate/apply.ts) and the
 * files the CLI writes (scan --images-txt). Kept apart so that those callers
 * do not load the migration engine.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Writes `data` to `file` atomically: temp file in the same directory, fsync,
 * original mode (and owner when allowed), rename over, fsync of the directory.
 * On any error the temp file is removed and the original is untouched.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode?: number, owner?: { uid: number; gid: number }): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.ar-migrate-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx', mode ?? 0o644);
  let renamed = false;
  try {
    try {
      await fh.writeFile(data);
      if (mode !== undefined) await fh.chmod(mode & 0o7777);
      if (owner) await fh.chown(owner.uid, owner.gid).catch(() => undefined);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
  // Make the rename durable (best effort: not every platform can fsync a directory).
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // ignore
  }
}
