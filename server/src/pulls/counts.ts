/**
 * Pull counts: aggregation of "Pulling image" events into per-image and
 * per-repository statistics, normalised with the scanner's reference code.
 * Pure data, JSON-serialisable (it is what the disk cache stores).
 */
import { familiarName, parseNormalized } from '../references/reference';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The time window counted: [start, end). */
export interface PullWindow {
  /** ISO time, inclusive. */
  start: string;
  /** ISO time, exclusive (the `now` of the query). */
  end: string;
  days: number;
}

export function windowFor(now: Date, days: number): PullWindow {
  const end = now.getTime();
  return { start: new Date(end - days * DAY_MS).toISOString(), end: new Date(end).toISOString(), days };
}

/** Where counts came from, for hovers, status and `--json`. */
export interface SourceInfo {
  kind: 'bigquery' | 'logFile' | 'none';
  /** Human description: `BigQuery my-proj.logs.events_*` or the file path. */
  description: string;
  /** bigquery: the table or wildcard queried. */
  table?: string;
  billingProject?: string;
  location?: string;
  /** logFile: the path read. */
  file?: string;
  /** ISO time the counts were fetched (query run or file read). */
  fetchedAt?: string;
  /** bigquery: bytes processed by the query (from job statistics), when known. */
  bytesProcessed?: number;
  /** logFile: entries read, Pulling events counted, skipped, malformed. */
  entriesRead?: number;
  pullEvents?: number;
  outsideWindow?: number;
  malformed?: number;
  /** True when the counts came from the disk cache. */
  fromCache?: boolean;
}

/** Hour histogram: hour index (epoch ms / 3600000) -> pulls. */
export type Hourly = Record<string, number>;

export interface ImageStats {
  /** Normalised reference, e.g. docker.io/library/nginx:1.14.2 (or the raw text when it does not parse). */
  image: string;
  /** registry/repository, e.g. docker.io/library/nginx. */
  repository: string;
  registry: string;
  /** Docker's short form, e.g. nginx:1.14.2. */
  familiar: string;
  pulls: number;
  peakPerHour: number;
  /** ISO start of the busiest hour. */
  peakHour?: string;
  firstSeen?: string;
  lastSeen?: string;
  /** cluster name -> pulls ('' when the event had no cluster label). */
  clusters: Record<string, number>;
  hourly: Hourly;
  /** Spellings seen in the events (up to 5), e.g. `nginx:1.14.2`, `docker.io/library/nginx:1.14.2`. */
  spellings: string[];
}

export interface RepositoryStats {
  repository: string;
  registry: string;
  familiar: string;
  pulls: number;
  peakPerHour: number;
  peakHour?: string;
  firstSeen?: string;
  lastSeen?: string;
  clusters: Record<string, number>;
  hourly: Hourly;
  /** normalised image -> pulls, for every tag/digest of the repository seen. */
  tags: Record<string, number>;
}

export interface PullCounts {
  version: 1;
  window: PullWindow;
  source: SourceInfo;
  /** Keyed by normalised image. */
  images: Record<string, ImageStats>;
  /** Keyed by registry/repository. */
  repositories: Record<string, RepositoryStats>;
  /** Non-fatal problems (malformed lines, unparseable image names, ...). */
  warnings: string[];
  totalPulls: number;
}

function hourIso(hourIndex: number): string {
  return new Date(hourIndex * HOUR_MS).toISOString();
}

function peakOf(hourly: Hourly): { peak: number; hour?: string } {
  let peak = 0;
  let at: string | undefined;
  for (const [h, n] of Object.entries(hourly)) {
    if (n > peak || (n === peak && at !== undefined && Number(h) < Number(at))) {
      peak = n;
      at = h;
    }
  }
  return { peak, hour: at !== undefined ? hourIso(Number(at)) : undefined };
}

/**
 * Largest number of pulls in any `windowHours` consecutive hours (sliding over
 * hour buckets). This is what a per-window registry limit (Docker Hub: 6 h) sees.
 */
export function maxPullsInWindow(hourly: Hourly, windowHours: number): { pulls: number; start?: string } {
  const hours = Object.keys(hourly)
    .map(Number)
    .sort((a, b) => a - b);
  const w = Math.max(1, Math.round(windowHours));
  let best = 0;
  let bestStart: number | undefined;
  let sum = 0;
  let lo = 0;
  for (let hi = 0; hi < hours.length; hi++) {
    sum += hourly[hours[hi]];
    while (hours[hi] - hours[lo] >= w) {
      sum -= hourly[hours[lo]];
      lo++;
    }
    if (sum > best) {
      best = sum;
      bestStart = hours[lo];
    }
  }
  return { pulls: best, start: bestStart !== undefined ? hourIso(bestStart) : undefined };
}

interface Acc {
  image: string;
  repository: string;
  registry: string;
  familiar: string;
  pulls: number;
  first: number;
  last: number;
  clusters: Map<string, number>;
  hourly: Map<number, number>;
  spellings: Set<string>;
}

export interface NormalizedImage {
  image: string;
  repository: string;
  registry: string;
  familiar: string;
}

/** Normalises an image string from an event; undefined when it is not a valid reference. */
export function normalizeImage(text: string): NormalizedImage | undefined {
  const r = parseNormalized(text.trim());
  if (!r.ok) return undefined;
  const v = r.value;
  const fam = familiarName(v);
  return {
    image: v.normalized,
    repository: v.name,
    registry: v.registry,
    familiar: fam + (v.tag !== undefined ? `:${v.tag}` : '') + (v.digest ? `@${v.digest}` : ''),
  };
}

/** Accumulates pull events (one at a time, or pre-aggregated hour buckets from BigQuery). */
export class CountsBuilder {
  private readonly images = new Map<string, Acc>();
  private readonly normCache = new Map<string, NormalizedImage | null>();
  private readonly bad = new Map<string, number>();
  total = 0;

  /**
   * Adds `count` pulls of `rawImage` in the hour containing `timeMs`.
   * `first`/`last` default to `timeMs`. Returns false when the image does not parse.
   */
  add(rawImage: string, timeMs: number, cluster: string | undefined, count = 1, first = timeMs, last = timeMs): boolean {
    let n = this.normCache.get(rawImage);
    if (n === undefined) {
      n = normalizeImage(rawImage) ?? null;
      if (this.normCache.size < 100_000) this.normCache.set(rawImage, n);
    }
    if (!n) {
      this.bad.set(rawImage, (this.bad.get(rawImage) ?? 0) + count);
      return false;
    }
    let a = this.images.get(n.image);
    if (!a) {
      a = { ...n, pulls: 0, first: Infinity, last: -Infinity, clusters: new Map(), hourly: new Map(), spellings: new Set() };
      this.images.set(n.image, a);
    }
    a.pulls += count;
    this.total += count;
    if (first < a.first) a.first = first;
    if (last > a.last) a.last = last;
    const c = cluster ?? '';
    a.clusters.set(c, (a.clusters.get(c) ?? 0) + count);
    const h = Math.floor(timeMs / HOUR_MS);
    a.hourly.set(h, (a.hourly.get(h) ?? 0) + count);
    if (a.spellings.size < 5) a.spellings.add(rawImage);
    return true;
  }

  /** Image strings that did not parse, with their counts. */
  unparseable(): Map<string, number> {
    return this.bad;
  }

  build(window: PullWindow, source: SourceInfo, warnings: string[] = []): PullCounts {
    const images: Record<string, ImageStats> = {};
    const repositories: Record<string, RepositoryStats> = {};
    const sorted = [...this.images.values()].sort((x, y) => y.pulls - x.pulls || x.image.localeCompare(y.image));
    for (const a of sorted) {
      const hourly: Hourly = {};
      for (const [h, n] of [...a.hourly.entries()].sort((x, y) => x[0] - y[0])) hourly[h] = n;
      const clusters: Record<string, number> = {};
      for (const [c, n] of [...a.clusters.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))) clusters[c] = n;
      const p = peakOf(hourly);
      images[a.image] = {
        image: a.image,
        repository: a.repository,
        registry: a.registry,
        familiar: a.familiar,
        pulls: a.pulls,
        peakPerHour: p.peak,
        peakHour: p.hour,
        firstSeen: Number.isFinite(a.first) ? new Date(a.first).toISOString() : undefined,
        lastSeen: Number.isFinite(a.last) ? new Date(a.last).toISOString() : undefined,
        clusters,
        hourly,
        spellings: [...a.spellings],
      };
      let r = repositories[a.repository];
      if (!r) {
        r = repositories[a.repository] = {
          repository: a.repository,
          registry: a.registry,
          familiar: familiarName({ registry: a.registry, repository: a.repository.slice(a.registry.length + 1) }),
          pulls: 0,
          peakPerHour: 0,
          clusters: {},
          hourly: {},
          tags: {},
        };
      }
      r.pulls += a.pulls;
      r.tags[a.image] = a.pulls;
      for (const [c, n] of Object.entries(clusters)) r.clusters[c] = (r.clusters[c] ?? 0) + n;
      for (const [h, n] of Object.entries(hourly)) r.hourly[h] = (r.hourly[h] ?? 0) + n;
      const f = images[a.image].firstSeen;
      const l = images[a.image].lastSeen;
      if (f && (!r.firstSeen || f < r.firstSeen)) r.firstSeen = f;
      if (l && (!r.lastSeen || l > r.lastSeen)) r.lastSeen = l;
    }
    for (const r of Object.values(repositories)) {
      const p = peakOf(r.hourly);
      r.peakPerHour = p.peak;
      r.peakHour = p.hour;
    }
    const w = [...warnings];
    if (this.bad.size > 0) {
      const list = [...this.bad.entries()].slice(0, 5).map(([s, n]) => `"${s}" (${n})`);
      w.push(`${this.bad.size} image name(s) in pull events are not valid references and were not counted: ${list.join(', ')}${this.bad.size > 5 ? ', …' : ''}`);
    }
    return { version: 1, window, source, images, repositories, warnings: w, totalPulls: this.total };
  }
}

/** Stats for an image as written anywhere (`nginx`, `nginx:latest`, `docker.io/library/nginx:latest` are the same). */
export function lookupImage(counts: PullCounts, image: string): ImageStats | undefined {
  const n = normalizeImage(image);
  return n ? counts.images[n.image] : counts.images[image];
}

/** Stats for the repository of an image as written (all tags and digests). */
export function lookupRepository(counts: PullCounts, image: string): RepositoryStats | undefined {
  const n = normalizeImage(image);
  return n ? counts.repositories[n.repository] : undefined;
}

/** Zero stats for an image not seen in the window (so callers can tell "0 pulls" from "no data"). */
export function emptyStats(image: string): ImageStats {
  const n = normalizeImage(image);
  return {
    image: n?.image ?? image,
    repository: n?.repository ?? image,
    registry: n?.registry ?? '',
    familiar: n?.familiar ?? image,
    pulls: 0,
    peakPerHour: 0,
    clusters: {},
    hourly: {},
    spellings: [],
  };
}

/** Pulls of all images of one registry, by hour (registry-wide limits such as Docker Hub's count every image). */
export function registryHourly(counts: PullCounts, registry: string): Hourly {
  const out: Hourly = {};
  for (const r of Object.values(counts.repositories)) {
    if (r.registry !== registry) continue;
    for (const [h, n] of Object.entries(r.hourly)) out[h] = (out[h] ?? 0) + n;
  }
  return out;
}
