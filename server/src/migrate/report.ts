/**
 * The migration report: one JSON document (`ar-migrate migrate --json`, the
 * LSP layer) and a human summary. Paths are shown through `display`
 * (relative to the working directory in the CLI).
 */
import type { FileChange, FileOutcome } from './apply';
import type { ExecutionResult, ImageStatus } from './execute';
import type { MigrationPlan } from './plan';

export interface ReportImage {
  image: string;
  target: string;
  status: ImageStatus;
  reason?: string;
  code?: string;
  sourceDigest?: string;
  targetDigest?: string;
  /** References to this image found. */
  references: number;
  /** References rewritten (would be, in a dry run). */
  rewritten: number;
  files: string[];
  /** References of a verified image left as they are, with why. */
  notRewritten?: { file: string; line: number; reason: string }[];
  warnings?: string[];
}

export interface ReportFile {
  file: string;
  edits: number;
  status: FileOutcome['status'];
  message?: string;
}

export interface MigrationReport {
  target: string;
  dryRun: boolean;
  cancelled: boolean;
  images: ReportImage[];
  files: ReportFile[];
  summary: {
    images: number;
    copied: number;
    upToDate: number;
    skipped: number;
    failed: number;
    cancelled: number;
    planned: number;
    references: number;
    referencesRewritten: number;
    filesRewritten: number;
    filesSkipped: number;
    filesFailed: number;
    bytesMoved: number;
    /** References found that already point under the target (migrated before). */
    alreadyMigrated: number;
  };
}

export function buildReport(
  plan: MigrationPlan,
  result: ExecutionResult,
  changes: readonly FileChange[],
  outcomes: readonly FileOutcome[],
  opts: { dryRun?: boolean; display?: (p: string) => string } = {},
): MigrationReport {
  const display = opts.display ?? ((p: string) => p);
  const written = new Map(outcomes.map((o) => [o.path, o]));
  const landed = (p: string) => {
    const s = written.get(p)?.status;
    return s === 'rewritten' || s === 'would-rewrite';
  };
  const rewrittenBy = new Map<string, number>();
  const notRewritten = new Map<string, { file: string; line: number; reason: string }[]>();
  for (const c of changes) {
    for (const r of c.rewritten) if (landed(c.path)) rewrittenBy.set(r.image, (rewrittenBy.get(r.image) ?? 0) + 1);
    for (const s of c.skipped) {
      const list = notRewritten.get(s.image) ?? [];
      list.push({ file: display(c.path), line: s.finding.range.start.line + 1, reason: s.reason });
      notRewritten.set(s.image, list);
    }
    if (!landed(c.path)) {
      const o = written.get(c.path);
      for (const r of c.rewritten) {
        const list = notRewritten.get(r.image) ?? [];
        list.push({ file: display(c.path), line: r.finding.range.start.line + 1, reason: o?.message ?? `file ${o?.status ?? 'not written'}` });
        notRewritten.set(r.image, list);
      }
    }
  }
  const images: ReportImage[] = result.images.map((r) => {
    const p = r.planned;
    const img: ReportImage = {
      image: p.image,
      target: p.target,
      status: r.status,
      references: p.references.length,
      rewritten: rewrittenBy.get(p.image) ?? 0,
      files: p.files.map(display),
    };
    if (r.reason) img.reason = r.reason;
    if (r.code) img.code = r.code;
    if (r.sourceDigest) img.sourceDigest = r.sourceDigest;
    if (r.targetDigest) img.targetDigest = r.targetDigest;
    const nr = notRewritten.get(p.image);
    if (nr?.length && p.status !== 'skipped') img.notRewritten = nr;
    if (r.warnings?.length) img.warnings = r.warnings;
    return img;
  });
  const files: ReportFile[] = outcomes.map((o) => ({ file: display(o.path), edits: o.edits, status: o.status, ...(o.message ? { message: o.message } : {}) }));
  // Files whose images all failed or were skipped: listed as unchanged.
  for (const p of plan.files.keys()) if (!written.has(p)) files.push({ file: display(p), edits: 0, status: 'unchanged' });
  const count = (s: ImageStatus) => images.filter((i) => i.status === s).length;
  return {
    target: plan.base.base,
    dryRun: Boolean(opts.dryRun),
    cancelled: result.cancelled,
    images,
    files,
    summary: {
      images: images.length,
      copied: count('copied'),
      upToDate: count('up-to-date'),
      skipped: count('skipped'),
      failed: count('failed'),
      cancelled: count('cancelled'),
      planned: count('planned'),
      references: images.reduce((n, i) => n + i.references, 0),
      referencesRewritten: images.reduce((n, i) => n + i.rewritten, 0),
      filesRewritten: files.filter((f) => f.status === 'rewritten' || f.status === 'would-rewrite').length,
      filesSkipped: files.filter((f) => f.status === 'changed-on-disk' || f.status === 'not-written').length,
      filesFailed: files.filter((f) => f.status === 'failed').length,
      bytesMoved: result.bytesMoved,
      alreadyMigrated: plan.alreadyMigrated.length,
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / (1 << 30)).toFixed(2)} GiB`;
}

function plural(n: number, w: string): string {
  return `${n} ${w}${n === 1 ? '' : 's'}`;
}

/** The human summary (stdout of `ar-migrate migrate` without --json). */
export function formatReport(r: MigrationReport): string {
  const out: string[] = [];
  const section = (title: string, list: ReportImage[], line: (i: ReportImage) => string) => {
    if (!list.length) return;
    out.push(`${title}:`);
    for (const i of list) out.push(`  ${line(i)}`);
  };
  const refs = (i: ReportImage) => `${plural(i.references, 'reference')} in ${plural(i.files.length, 'file')}`;
  if (r.dryRun) {
    section('Would mirror', r.images.filter((i) => i.status === 'planned'), (i) => `${i.image} -> ${i.target} (${refs(i)})`);
  } else {
    section('Copied', r.images.filter((i) => i.status === 'copied'), (i) => `${i.image} -> ${i.target}${i.targetDigest ? `@${i.targetDigest}` : ''} (${refs(i)}, ${i.rewritten} rewritten)`);
    section('Already mirrored', r.images.filter((i) => i.status === 'up-to-date'), (i) => `${i.image} -> ${i.target} (${refs(i)}, ${i.rewritten} rewritten)`);
  }
  section('Skipped', r.images.filter((i) => i.status === 'skipped'), (i) => `${i.image}: ${i.reason} (${i.files.join(', ')})`);
  section('FAILED (references left unchanged)', r.images.filter((i) => i.status === 'failed'), (i) => `${i.image} -> ${i.target}: ${i.reason}`);
  section('Cancelled (references left unchanged)', r.images.filter((i) => i.status === 'cancelled'), (i) => `${i.image}`);
  const notRw = r.images.flatMap((i) => (i.notRewritten ?? []).map((n) => ({ image: i.image, ...n })));
  if (notRw.length) {
    out.push('Not rewritten (edit by hand or re-run):');
    for (const n of notRw) out.push(`  ${n.file}:${n.line}: ${n.image}: ${n.reason}`);
  }
  const badFiles = r.files.filter((f) => f.status === 'changed-on-disk' || f.status === 'failed' || f.status === 'not-written');
  if (badFiles.length) {
    out.push('Files not written:');
    for (const f of badFiles) out.push(`  ${f.file}: ${f.message ?? f.status}`);
  }
  const s = r.summary;
  if (s.images - s.skipped === 0) {
    out.push(
      s.alreadyMigrated
        ? `Nothing to migrate: ${plural(s.alreadyMigrated, 'reference')} already point${s.alreadyMigrated === 1 ? 's' : ''} at ${r.target} (check them against upstream with: ar-migrate drift --target ${r.target}).`
        : 'Nothing to migrate: no third-party image reference to mirror was found.',
    );
    if (s.skipped) out.push(`${plural(s.skipped, 'image')} skipped (see above).`);
  } else if (r.dryRun) {
    out.push(
      `Dry run: would mirror ${plural(s.planned, 'image')} and rewrite ${plural(s.referencesRewritten, 'reference')} in ${plural(s.filesRewritten, 'file')}` +
        `${s.skipped ? `; ${s.skipped} skipped` : ''}. Nothing was copied or written.`,
    );
  } else {
    const parts = [`${s.copied} copied`, `${s.upToDate} already mirrored`, `${s.skipped} skipped`, `${s.failed} failed`];
    if (s.cancelled) parts.push(`${s.cancelled} cancelled`);
    out.push(
      `${plural(s.images, 'image')}: ${parts.join(', ')}; ${formatBytes(s.bytesMoved)} moved. ` +
        `Rewrote ${plural(s.referencesRewritten, 'reference')} in ${plural(s.filesRewritten, 'file')}.`,
    );
    if (r.cancelled) out.push('Cancelled: no file was changed. Images already copied stay in the target; run again to finish (they will be up to date).');
  }
  return out.join('\n') + '\n';
}
