/**
 * Headless bulk migration, as a library (the CLI `ar-migrate migrate` and the
 * language server call it):
 *
 *   const files = await loadWorkspaceFiles(roots, { policy, exclude });   // scan + texts
 *   const plan = planMigration(files.files, 'us-docker.pkg.dev/p/mirror', { pinDigest, only });
 *   const result = await executeMigration(plan, { signal, onProgress, insecureRegistries });
 *   const changes = computeRewrites(plan, result);                         // edits per file
 *   const outcomes = await applyRewrites(changes, { signal });             // atomic writes
 *   const report = buildReport(plan, result, changes, outcomes);
 *
 * The language server may instead turn `changes[i].edits` into a WorkspaceEdit.
 */
import * as fs from 'node:fs/promises';
import type { Finding } from '../model';
import { scanPaths, scanText, ScanError, ScanOptions } from '../workspace/scan';
import { applyRewrites, computeRewrites, FileChange, FileOutcome } from './apply';
import { dryRunResult, executeMigration, ExecuteOptions, ExecutionResult } from './execute';
import { BaseInput, isCandidate, MigrationPlan, PlanInputFile, planMigration, PlanOptions } from './plan';
import { buildReport, MigrationReport } from './report';

export * from './plan';
export * from './execute';
export * from './apply';
export * from './diff';
export * from './report';
export { ENDPOINTS_ENV, dispatcherFromEnv, overrideDispatcher, parseEndpointOverrides } from './endpoints';

export interface LoadedWorkspace {
  /** Files with at least one third-party, non-ignored, valid reference; findings computed on `text`. */
  files: PlanInputFile[];
  errors: ScanError[];
  filesRead: number;
}

/**
 * Scans like `ar-migrate scan` (same walker, excludes and policy), then keeps
 * the text of every file with migration candidates. Findings are recomputed
 * on exactly that text so the rewrite ranges match it.
 */
export async function loadWorkspaceFiles(roots: readonly string[], options: ScanOptions & { keep?: (f: Finding) => boolean }): Promise<LoadedWorkspace> {
  const scanned = await scanPaths(roots, options);
  const files: PlanInputFile[] = [];
  const errors = [...scanned.errors];
  for (const f of scanned.files) {
    if (!f.findings.some((x) => isCandidate(x) || (options.keep?.(x) ?? false))) continue;
    let text: string;
    try {
      text = (await fs.readFile(f.path)).toString('utf8');
    } catch (err) {
      errors.push({ path: f.path, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const r = scanText(f.path, text, options.policy);
    files.push({ path: f.path, text, findings: r.findings });
  }
  return { files, errors, filesRead: scanned.filesRead };
}

export interface RunMigrationOptions extends PlanOptions, ExecuteOptions {
  /** Plan and compute the rewrites only: no registry is contacted, nothing is written. */
  dryRun?: boolean;
  /** Compute the rewrites but do not write them (the caller applies `changes`, e.g. as a WorkspaceEdit). */
  noWrite?: boolean;
  /** How paths are shown in the report (default: as given). */
  display?: (p: string) => string;
}

export interface MigrationRun {
  plan: MigrationPlan;
  result: ExecutionResult;
  changes: FileChange[];
  outcomes: FileOutcome[];
  report: MigrationReport;
}

/** Plan, mirror, rewrite and report in one call (what `ar-migrate migrate` does). */
export async function runMigration(files: readonly PlanInputFile[], base: BaseInput, options: RunMigrationOptions = {}): Promise<MigrationRun> {
  const { pathMapping, pinDigest, only, dryRun, noWrite, display, ...exec } = options;
  const plan = planMigration(files, base, { pathMapping, pinDigest, only });
  const result = dryRun ? dryRunResult(plan) : await executeMigration(plan, exec);
  const changes = computeRewrites(plan, result, { assumeVerified: dryRun, pinDigest });
  const outcomes = await applyRewrites(changes, { dryRun: dryRun || noWrite, signal: exec.signal });
  const report = buildReport(plan, result, changes, outcomes, { dryRun, display });
  return { plan, result, changes, outcomes, report };
}
