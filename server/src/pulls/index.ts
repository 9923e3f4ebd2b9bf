/**
 * Public API of pull counts. The LSP layer uses PullCountService and the text
 * builders; `scan --pulls-from` uses pullCountsFromSpec + addPullsToFindings.
 */
import type { Finding } from '../model';
import { BigQueryConnection, DryRunResult } from './bigquery';
import { emptyStats, ImageStats, lookupImage, lookupRepository, PullCounts } from './counts';
import { PullError } from './errors';
import { buildLimits, PullSeverity, RegistryLimit, severityFor, assessRisk } from './limits';
import { connectionFromEnv, PullCountService, PullSettings } from './service';

export * from './counts';
export * from './errors';
export * from './limits';
export * from './text';
export type { BigQuerySettings, BigQueryConnection, DryRunResult } from './bigquery';
export { buildPullQuery, dryRunPullQuery, queryPullCounts, parseDataset, shardPrefix, partitionedTable } from './bigquery';
export { countPullsFromLogFile, interpretEntry } from './logfile';
export type { PullSettings, PullServiceOptions, RefreshOptions, PullStatus, PullState, FindingLike } from './service';
export { PullCountService, resolveSource, connectionFromEnv, settingsFromEditor } from './service';
export { defaultCacheDir } from './cache';

/**
 * Parses a `--pulls-from` value: `bq:PROJECT.DATASET` / `bigquery:PROJECT.DATASET`
 * (or a bare PROJECT.DATASET that is not an existing file) for BigQuery, else a
 * log export file path.
 */
export function settingsFromSpec(spec: string, base: PullSettings = {}): PullSettings {
  const s = spec.trim();
  const m = /^(?:bq|bigquery):(?:\/\/)?(.+)$/i.exec(s);
  if (m) return { ...base, source: 'bigquery', bigqueryDataset: m[1], logFile: undefined };
  return { ...base, source: 'logFile', logFile: s };
}

export interface PullsFromOptions {
  days?: number;
  now?: Date;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  connection?: BigQueryConnection;
  /** Use the disk cache when younger than this many minutes (default: always query). */
  maxAgeMinutes?: number;
  settings?: PullSettings;
  /** Called with the dry-run estimate before a BigQuery query (no dry run without it). */
  onEstimate?: (estimate: DryRunResult) => void;
}

/** Loads counts for `scan --pulls-from SPEC`. Throws PullError with a clear message when the source fails. */
export async function pullCountsFromSpec(spec: string, options: PullsFromOptions = {}): Promise<{ counts: PullCounts; limits: RegistryLimit[]; service: PullCountService }> {
  const settings = settingsFromSpec(spec, { ...options.settings, windowDays: options.days ?? options.settings?.windowDays, maxAgeMinutes: options.maxAgeMinutes ?? 0 });
  const now = options.now;
  const service = new PullCountService(settings, {
    now: now ? () => now : undefined,
    workspaceRoot: options.cwd,
    env: options.env,
    connection: options.connection ?? connectionFromEnv(options.env ?? process.env),
    diskCache: options.maxAgeMinutes !== undefined,
    dryRunFirst: Boolean(options.onEstimate),
    confirmFirstRun: options.onEstimate
      ? (estimate) => {
          options.onEstimate!(estimate);
          return true;
        }
      : undefined,
  });
  const status = options.maxAgeMinutes !== undefined ? await service.ensureFresh({ signal: options.signal }) : await service.refresh({ signal: options.signal });
  const counts = service.counts();
  if (!counts) throw new PullError((status.error?.code as any) ?? 'unknown', status.message);
  return { counts, limits: service.limits(), service };
}

/** What `scan` adds to a finding. */
export interface FindingPulls {
  /** Pulls of this exact image (tag/digest) in the window. */
  pulls: number;
  peakPerHour: number;
  /** Pulls across all tags of the repository. */
  repositoryPulls: number;
  windowDays: number;
  firstSeen?: string;
  lastSeen?: string;
  clusters: Record<string, number>;
  /** Most pulls in any limit window, and the limit, when the registry has one. */
  maxInLimitWindow?: number;
  limit?: { pulls: number; windowHours: number; label?: string };
  severity: PullSeverity;
  /** Cloud Run references have no pull events. */
  note?: string;
}

/** Stats for one finding (undefined for invalid or templated references). */
export function pullsForFinding(finding: Pick<Finding, 'kind' | 'thirdParty' | 'ignored'> & Partial<Pick<Finding, 'normalized' | 'registry' | 'ref'>>, counts: PullCounts, limits: RegistryLimit[] = buildLimits()): FindingPulls | undefined {
  if (finding.kind === 'cloudrun') {
    return { pulls: 0, peakPerHour: 0, repositoryPulls: 0, windowDays: counts.window.days, clusters: {}, severity: 'default', note: 'Cloud Run imports images at deploy time; no pull events' };
  }
  const text = finding.ref?.hasVariables ? undefined : finding.normalized;
  if (!text) return undefined;
  const stats: ImageStats = lookupImage(counts, text) ?? emptyStats(text);
  const repo = lookupRepository(counts, text);
  const risk = assessRisk(stats, limits);
  return {
    pulls: stats.pulls,
    peakPerHour: stats.peakPerHour,
    repositoryPulls: repo?.pulls ?? 0,
    windowDays: counts.window.days,
    firstSeen: stats.firstSeen,
    lastSeen: stats.lastSeen,
    clusters: stats.clusters,
    maxInLimitWindow: risk.limit ? risk.maxInWindow : undefined,
    limit: risk.limit ? { pulls: risk.limit.pulls, windowHours: risk.limit.windowHours, label: risk.limit.label } : undefined,
    severity: severityFor(finding, stats, limits),
  };
}

/** Returns copies of the findings with a `pulls` field (undefined where not applicable). */
export function addPullsToFindings<T extends Pick<Finding, 'kind' | 'thirdParty' | 'ignored'> & Partial<Pick<Finding, 'normalized' | 'registry' | 'ref'>>>(
  findings: T[],
  counts: PullCounts,
  limits: RegistryLimit[] = buildLimits(),
): Array<T & { pulls?: FindingPulls }> {
  return findings.map((f) => ({ ...f, pulls: pullsForFinding(f, counts, limits) }));
}
