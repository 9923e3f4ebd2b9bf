/**
 * Registry pull limits and the risk rule: does the observed pull rate exceed
 * what the registry allows? Limits are a table (built-in Docker Hub entries,
 * overridable, plus user entries for other registries).
 */
import { globToRegExp } from '../references/policy';
import { registryHost } from '../references/reference';
import type { Finding } from '../model';
import { ImageStats, maxPullsInWindow, Hourly } from './counts';

export interface RegistryLimit {
  /** Registry host glob, e.g. `docker.io`, `*.example.com`, `ghcr.io`. */
  registry: string;
  /** Pulls allowed per window. */
  pulls: number;
  /** Window length in hours (Docker Hub: 6). */
  windowHours: number;
  /** Label shown to the user, e.g. `Docker Hub anonymous (per IP)`. */
  label?: string;
  /** Which client auth the entry applies to; entries without it apply always. */
  auth?: 'anonymous' | 'authenticated';
}

/** Docker Hub: 100 pulls / 6 h per IP anonymous, 200 / 6 h per authenticated (free) account. */
export const DEFAULT_LIMITS: RegistryLimit[] = [
  { registry: 'docker.io', pulls: 100, windowHours: 6, label: 'Docker Hub anonymous (per IP)', auth: 'anonymous' },
  { registry: 'docker.io', pulls: 200, windowHours: 6, label: 'Docker Hub authenticated (per account)', auth: 'authenticated' },
];

export interface LimitOptions {
  /** User entries; an entry for a registry (and auth) replaces the built-in one. */
  extra?: RegistryLimit[];
  /** Which Docker Hub entry applies: anonymous (default, the stricter) or authenticated. */
  auth?: 'anonymous' | 'authenticated';
}

/** Validates user limit entries; returns the valid ones and messages for the rest. */
export function validateLimits(entries: unknown): { limits: RegistryLimit[]; errors: string[] } {
  const limits: RegistryLimit[] = [];
  const errors: string[] = [];
  if (entries === undefined || entries === null) return { limits, errors };
  if (!Array.isArray(entries)) return { limits, errors: ['registry limits must be a list of {registry, pulls, windowHours}'] };
  entries.forEach((e: any, i) => {
    if (!e || typeof e.registry !== 'string' || !e.registry.trim()) return errors.push(`limit #${i + 1}: "registry" is required`);
    const pulls = Number(e.pulls);
    const windowHours = Number(e.windowHours ?? 6);
    if (!Number.isFinite(pulls) || pulls <= 0) return errors.push(`limit #${i + 1} (${e.registry}): "pulls" must be a positive number`);
    if (!Number.isFinite(windowHours) || windowHours <= 0) return errors.push(`limit #${i + 1} (${e.registry}): "windowHours" must be a positive number`);
    limits.push({
      registry: e.registry.trim().toLowerCase(),
      pulls,
      windowHours,
      label: typeof e.label === 'string' ? e.label : undefined,
      auth: e.auth === 'anonymous' || e.auth === 'authenticated' ? e.auth : undefined,
    });
  });
  return { limits, errors };
}

/** The effective table: user entries override built-ins with the same registry and auth. */
export function buildLimits(options: LimitOptions = {}): RegistryLimit[] {
  const extra = options.extra ?? [];
  const key = (l: RegistryLimit) => `${l.registry.toLowerCase()}|${l.auth ?? ''}`;
  const userKeys = new Set(extra.map(key));
  const userRegistries = new Set(extra.filter((l) => !l.auth).map((l) => l.registry.toLowerCase()));
  const builtins = DEFAULT_LIMITS.filter((l) => !userKeys.has(key(l)) && !userRegistries.has(l.registry));
  const auth = options.auth ?? 'anonymous';
  return [...extra, ...builtins].filter((l) => !l.auth || l.auth === auth);
}

function hostOf(registry: string): string {
  const h = registryHost(registry);
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}

/** The limit that applies to a registry (first matching entry), if any. */
export function limitFor(registry: string | undefined, limits: RegistryLimit[]): RegistryLimit | undefined {
  if (!registry) return undefined;
  const host = hostOf(registry);
  return limits.find((l) => {
    const pattern = hostOf(l.registry.replace(/^[a-z]+:\/\//i, ''));
    return globToRegExp(pattern, 'i').test(host);
  });
}

export interface RiskAssessment {
  limit?: RegistryLimit;
  /** Most pulls seen in any `limit.windowHours` consecutive hours. */
  maxInWindow: number;
  maxInWindowStart?: string;
  /** peakPerHour scaled to the limit window (a projection if the peak hour were sustained). */
  projectedPerWindow: number;
  /** maxInWindow / limit.pulls. */
  ratio: number;
  exceeds: boolean;
}

/** Pull rate against the applicable limit, from the hour histogram. */
export function assessRisk(
  stats: Partial<Pick<ImageStats, 'registry' | 'hourly' | 'peakPerHour' | 'pulls'>>,
  limits: RegistryLimit[],
  hourly: Hourly | undefined = stats.hourly,
): RiskAssessment {
  const limit = limitFor(stats.registry, limits);
  const peak = Number(stats.peakPerHour) || 0;
  if (!limit) return { maxInWindow: 0, projectedPerWindow: 0, ratio: 0, exceeds: false };
  const projected = peak * limit.windowHours;
  let max: number;
  let start: string | undefined;
  if (hourly && Object.keys(hourly).length > 0) {
    const m = maxPullsInWindow(hourly, limit.windowHours);
    max = m.pulls;
    start = m.start;
  } else {
    // No hour histogram: the peak hour scaled to the limit window, capped by the total.
    const total = Number(stats.pulls);
    max = Number.isFinite(total) && total >= 0 ? Math.min(total, projected) : projected;
  }
  return {
    limit,
    maxInWindow: max,
    maxInWindowStart: start,
    projectedPerWindow: projected,
    ratio: max / limit.pulls,
    exceeds: max > limit.pulls,
  };
}

export type PullSeverity = 'error' | 'information' | 'default';

/**
 * Severity of a finding's diagnostic given its pull stats:
 * - 'error' when the pulls seen in some limit window (e.g. 6 h) exceed the registry's limit;
 * - 'information' when the image was not pulled in the counted window (stats present, 0 pulls);
 * - 'default' otherwise, when no counts are available (`stats` undefined), for Cloud Run
 *   (no kubelet events) and for first-party or ignored findings.
 */
export function severityFor(
  finding: Pick<Finding, 'kind'> & Partial<Pick<Finding, 'registry' | 'thirdParty' | 'ignored'>>,
  stats: (Partial<ImageStats> & Pick<ImageStats, 'pulls'>) | undefined,
  limits?: RegistryLimit[],
): PullSeverity {
  if (!stats || finding.kind === 'cloudrun' || finding.ignored) return 'default';
  if (!stats.pulls) return 'information';
  const risk = assessRisk({ ...stats, registry: stats.registry || finding.registry || '' }, limits ?? DEFAULT_LIMITS.filter((l) => l.auth !== 'authenticated'));
  return risk.exceeds ? 'error' : 'default';
}
