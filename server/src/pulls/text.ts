/**
 * Pure text builders for the editor (hover, inlay hint / code lens label) and
 * the CLI. No I/O; the LSP layer only wires them.
 */
import type { Finding } from '../model';
import { Hourly, ImageStats, maxPullsInWindow, PullWindow, RepositoryStats, SourceInfo } from './counts';
import { assessRisk, RegistryLimit } from './limits';

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `2026-11-24 13:00 UTC` */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `7 d`, `1 d`, `12 h` for fractional days. */
export function formatWindow(days: number): string {
  if (days >= 1 && Number.isInteger(days)) return `${days} d`;
  return `${Math.round(days * 24)} h`;
}

/** `1.2 GB` (decimal units, as the BigQuery console shows). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown size';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function escapeMd(s: string): string {
  return s.replace(/([\\`*_[\]<>|])/g, '\\$1');
}

function days(window: PullWindow | number | undefined): number | undefined {
  return typeof window === 'number' ? window : window?.days;
}

export const CLOUD_RUN_NOTE =
  'Cloud Run imports the image when a revision is deployed, so there are no kubelet pull events to count (and no registry pull limit at run time).';

/**
 * Label for an inlay hint or code lens: `1,204 pulls / 7 d`, `1 pull / 7 d`,
 * `0 pulls / 7 d`; `Cloud Run: pulled at deploy` for Cloud Run findings.
 * Undefined when no counts are available (nothing to show).
 */
export function inlayLabel(stats: ImageStats | undefined, window: PullWindow | number, finding?: Pick<Finding, 'kind'>): string | undefined {
  if (finding?.kind === 'cloudrun') return 'Cloud Run: pulled at deploy';
  if (!stats) return undefined;
  const d = days(window) ?? 7;
  return `${formatCount(stats.pulls)} ${stats.pulls === 1 ? 'pull' : 'pulls'} / ${formatWindow(d)}`;
}

export interface HoverInfo {
  finding?: Pick<Finding, 'kind'> & Partial<Pick<Finding, 'normalized' | 'text'>>;
  /** Totals of the image's repository across tags. */
  repository?: RepositoryStats;
  source?: SourceInfo;
  window?: PullWindow;
  /** Why there are no counts (status message), when `stats` is undefined. */
  unavailable?: string;
  limits?: RegistryLimit[];
  /** Pulls of every image of the same registry by hour (a per-IP/account limit counts them all). */
  registryHourly?: Hourly;
}

function sourceLine(source: SourceInfo | undefined): string | undefined {
  if (!source || source.kind === 'none') return undefined;
  const where = source.kind === 'bigquery' ? `BigQuery \`${source.table ?? source.description}\`` : `log file \`${source.file ?? source.description}\``;
  const when = source.fetchedAt ? ` · fetched ${formatTime(source.fetchedAt)}` : '';
  return `_From ${where}${when}${source.fromCache ? ' (cached)' : ''}_`;
}

function clustersLine(clusters: Record<string, number>): string | undefined {
  const entries = Object.entries(clusters).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return undefined;
  if (entries.length === 1 && entries[0][0] === '') return undefined;
  const shown = entries.slice(0, 6).map(([c, n]) => `${escapeMd(c || '(no cluster)')} ${formatCount(n)}`);
  return `**Clusters:** ${shown.join(' · ')}${entries.length > 6 ? ` · +${entries.length - 6} more` : ''}`;
}

/** Markdown hover for a reference: pulls in the window, peak per hour, repository total, clusters, limit risk, source. */
export function hoverMarkdown(stats: ImageStats | undefined, info: HoverInfo = {}): string {
  const lines: string[] = [];
  const window = info.window;
  const d = window?.days ?? 7;
  const label = `last ${d === 1 ? 'day' : `${d} days`}`;
  if (info.finding?.kind === 'cloudrun') {
    lines.push(`**Pulls:** not counted for Cloud Run. ${CLOUD_RUN_NOTE}`);
    return lines.join('\n\n');
  }
  if (!stats) {
    lines.push(`**Pulls:** no counts available${info.unavailable ? ` — ${escapeMd(info.unavailable)}` : ''}.`);
    return lines.join('\n\n');
  }
  const name = escapeMd(stats.familiar || stats.image);
  if (stats.pulls === 0) {
    lines.push(`**Pulls (${label}):** none — \`${stats.familiar || stats.image}\` was not pulled in the window.`);
  } else {
    lines.push(
      `**Pulls (${label}):** ${formatCount(stats.pulls)} — peak ${formatCount(stats.peakPerHour)}/hour${stats.peakHour ? ` (${formatTime(stats.peakHour)})` : ''}`,
    );
  }
  const repo = info.repository;
  if (repo && (repo.pulls !== stats.pulls || Object.keys(repo.tags).length > 1)) {
    const tags = Object.keys(repo.tags).length;
    lines.push(`**All tags of ${escapeMd(repo.familiar)}:** ${formatCount(repo.pulls)} (${tags} ${tags === 1 ? 'tag' : 'tags'}), peak ${formatCount(repo.peakPerHour)}/hour`);
  }
  const cl = clustersLine(stats.clusters);
  if (cl) lines.push(cl);
  if (stats.firstSeen && stats.lastSeen) lines.push(`**First / last seen:** ${formatTime(stats.firstSeen)} … ${formatTime(stats.lastSeen)}`);
  if (info.limits && stats.pulls > 0) {
    const risk = assessRisk(stats, info.limits);
    if (risk.limit) {
      const l = risk.limit;
      const verdict = risk.exceeds
        ? `**exceeds the limit** — pulls from ${escapeMd(stats.registry)} will be throttled; mirror ${name} to Artifact Registry`
        : `${Math.round(risk.ratio * 100)}% of the limit`;
      lines.push(
        `**${escapeMd(l.label ?? l.registry)} limit:** ${formatCount(l.pulls)} pulls / ${l.windowHours} h — busiest ${l.windowHours} h: ${formatCount(risk.maxInWindow)} (${verdict})`,
      );
      if (info.registryHourly) {
        const all = maxPullsInWindow(info.registryHourly, l.windowHours);
        if (all.pulls > risk.maxInWindow) {
          lines.push(
            `**All images from ${escapeMd(stats.registry)}:** busiest ${l.windowHours} h: ${formatCount(all.pulls)}${all.pulls > l.pulls ? ' — over the limit if the pulls share an IP (e.g. Cloud NAT) or an account' : ''}`,
          );
        }
      }
    }
  }
  const src = sourceLine(info.source);
  if (src) lines.push(src);
  return lines.join('\n\n');
}
