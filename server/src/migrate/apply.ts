/**
 * Rewrites after a migration: the edits per file for the images whose copy
 * was verified (edits/rewrite.ts does the reference surgery), and atomic
 * writes of the results.
 *
 * A file is written all at once or not at all: a temp file beside it gets
 * the new bytes, is fsynced, takes the original's mode (and owner when
 * possible), and is renamed over the original. Line endings and a BOM are
 * kept because only the characters of each reference change. A file that
 * changed on disk since the scan is skipped with a message, never merged.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Finding } from '../model';
import { rewriteFile, RewriteTarget, TextEdit } from '../edits/rewrite';
import type { ExecutionResult, ImageResult } from './execute';
import { isVerified } from './execute';
import { writeFileAtomic } from '../edits/atomicWrite';
import type { MigrationPlan } from './plan';

export interface FileChange {
  /** Absolute path. */
  path: string;
  /** The text the plan was made on. */
  oldText: string;
  newText: string;
  edits: TextEdit[];
  /** References rewritten, with the image each belongs to. */
  rewritten: { finding: Finding; image: string }[];
  /** References of verified images that could not be rewritten automatically (e.g. assembled from variables). */
  skipped: { finding: Finding; image: string; reason: string }[];
}

export interface ComputeOptions {
  /** Rewrite every planned image as if verified (dry run: no digests known). */
  assumeVerified?: boolean;
  /** Pin `@digest` (the verified target digest); ignored for assumeVerified. */
  pinDigest?: boolean;
}

/** The edits per file for the verified images of `result` (or every planned image with assumeVerified). */
export function computeRewrites(plan: MigrationPlan, result: ExecutionResult, options: ComputeOptions = {}): FileChange[] {
  const pin = options.pinDigest ?? plan.options.pinDigest ?? false;
  const byFinding = new Map<Finding, ImageResult>();
  for (const r of result.images) {
    const ok = options.assumeVerified ? r.status !== 'skipped' && r.planned.status === 'pending' : isVerified(r);
    if (!ok) continue;
    for (const ref of r.planned.references) byFinding.set(ref.finding, r);
  }
  const changes: FileChange[] = [];
  for (const [file, input] of plan.files) {
    const findings = input.findings.filter((f) => byFinding.has(f));
    if (findings.length === 0) continue;
    const mapping = (f: Finding): RewriteTarget | undefined => {
      const r = byFinding.get(f);
      if (!r) return undefined;
      const digest = pin && !options.assumeVerified ? r.targetDigest : undefined;
      return { target: r.planned.targetName, digest };
    };
    const rw = rewriteFile(input.text, findings, mapping);
    changes.push({
      path: file,
      oldText: input.text,
      newText: rw.text,
      edits: rw.edits,
      rewritten: rw.rewritten.map((f) => ({ finding: f, image: byFinding.get(f)!.planned.image })),
      skipped: rw.skipped.map((s) => ({ finding: s.finding, image: byFinding.get(s.finding)!.planned.image, reason: s.reason })),
    });
  }
  return changes;
}

export type FileStatus = 'rewritten' | 'unchanged' | 'changed-on-disk' | 'failed' | 'would-rewrite' | 'not-written';

export interface FileOutcome {
  path: string;
  status: FileStatus;
  /** Edits written (or that would be, in a dry run). */
  edits: number;
  message?: string;
}

function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

export { writeFileAtomic };

export interface ApplyOptions {
  signal?: AbortSignal;
  /** Compute only; write nothing (status would-rewrite). */
  dryRun?: boolean;
}

/**
 * Writes each change atomically. A file whose bytes differ from the text the
 * plan was made on is skipped (`changed-on-disk`); files are independent.
 */
export async function applyRewrites(changes: readonly FileChange[], options: ApplyOptions = {}): Promise<FileOutcome[]> {
  const out: FileOutcome[] = [];
  for (const c of changes) {
    const n = c.edits.length;
    if (n === 0 || c.newText === c.oldText) {
      out.push({ path: c.path, status: 'unchanged', edits: 0 });
      continue;
    }
    if (options.dryRun) {
      out.push({ path: c.path, status: 'would-rewrite', edits: n });
      continue;
    }
    if (options.signal?.aborted) {
      out.push({ path: c.path, status: 'not-written', edits: 0, message: 'cancelled before the file was written' });
      continue;
    }
    try {
      // Write through a symlink to the file it points at (the link stays a link).
      const real = await fs.realpath(c.path);
      const st = await fs.stat(real);
      const current = await fs.readFile(real);
      if (sha256(current) !== sha256(Buffer.from(c.oldText, 'utf8'))) {
        const roundTrips = Buffer.from(current.toString('utf8'), 'utf8').equals(current);
        out.push({
          path: c.path,
          status: 'changed-on-disk',
          edits: 0,
          message: roundTrips
            ? 'changed on disk since the scan: not rewritten (run the migration again to pick up the change)'
            : 'not valid UTF-8: not rewritten (fix the encoding or rewrite it by hand)',
        });
        continue;
      }
      const owner = typeof process.getuid === 'function' && process.getuid() === 0 ? { uid: st.uid, gid: st.gid } : undefined;
      await writeFileAtomic(real, c.newText, st.mode, owner);
      out.push({ path: c.path, status: 'rewritten', edits: n });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      out.push({ path: c.path, status: 'failed', edits: 0, message: `cannot write: ${e.code ?? ''}${e.code ? ' ' : ''}${e.message ?? String(err)}`.trim() });
    }
  }
  return out;
}
