/**
 * PullCountService: the one object the LSP layer, the CLI and `scan` use.
 * Holds the counts in memory, backed by the disk cache, refreshed on command
 * or when older than `maxAgeMinutes`. Never throws from refresh/ensureFresh:
 * the status says why there are no counts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Finding } from '../model';
import { BigQueryConnection, BigQuerySettings, DryRunResult, dryRunPullQuery, partitionedTable, queryPullCounts, shardPrefix } from './bigquery';
import { cacheExists, defaultCacheDir, readCache, writeCache } from './cache';
import { emptyStats, ImageStats, lookupImage, lookupRepository, PullCounts, PullWindow, registryHourly, RepositoryStats, SourceInfo, windowFor } from './counts';
import { PullError, PullErrorCode } from './errors';
import { buildLimits, PullSeverity, RegistryLimit, severityFor, validateLimits } from './limits';
import { countPullsFromLogFile } from './logfile';
import { formatBytes, hoverMarkdown, inlayLabel } from './text';

/** Settings (the VS Code `arMigrate.pulls.*` configuration maps 1:1 onto this). */
export interface PullSettings {
  /** Which source to use; 'auto' (default): the log file when set, else BigQuery when a dataset is set. */
  source?: 'auto' | 'bigquery' | 'logFile' | 'none';
  /** BigQuery `PROJECT.DATASET` of the Cloud Logging sink. */
  bigqueryDataset?: string;
  /** Project that runs and pays for the query (default: the dataset's project). */
  billingProject?: string;
  /** Date-sharded table prefix (default `events_`). */
  tablePrefix?: string;
  /** Query a partitioned table instead of date shards. */
  partitioned?: boolean;
  /** Partitioned table name (default: prefix without trailing `_`, i.e. `events`). */
  table?: string;
  /** BigQuery location (`US`, `EU`, `europe-west1`, ...). */
  location?: string;
  /** Count per cluster (default true). */
  perCluster?: boolean;
  /** Refuse queries that would bill more bytes than this. */
  maximumBytesBilled?: number;
  /** Log export file (gcloud logging read --format=json, or NDJSON; .gz ok). Relative to the workspace root. */
  logFile?: string;
  /** Days counted, ending now (default 7). */
  windowDays?: number;
  /** Refresh automatically when the counts are older than this (default 360 = 6 h; 0 = only on command). */
  maxAgeMinutes?: number;
  /** Cache directory (default: the service option, else ~/.cache/ar-migrate). */
  cacheDir?: string;
  /** Extra or overriding registry limits. */
  limits?: RegistryLimit[];
  /** Which Docker Hub limit applies (default 'anonymous': 100 pulls / 6 h per IP). */
  dockerHubAuth?: 'anonymous' | 'authenticated';
  /** Set by settingsFromEditor for an untrusted workspace (status explains why there are no counts). */
  untrusted?: boolean;
}

export interface PullServiceOptions {
  /** Clock (tests). */
  now?: () => Date;
  /** BigQuery endpoint / credentials override (tests, proxies). */
  connection?: BigQueryConnection;
  /** Cache directory default (e.g. the extension's globalStorage path); settings.cacheDir wins. */
  cacheDir?: string;
  /** Disable the disk cache entirely. */
  diskCache?: boolean;
  /** Resolves a relative log file path. */
  workspaceRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** Diagnostic log (never receives credentials). */
  log?: (message: string) => void;
  /**
   * Called before the first BigQuery query of a source (no cache yet) with the
   * dry-run estimate; return false to skip the query (status says so). Default: run.
   */
  confirmFirstRun?: (estimate: DryRunResult) => Promise<boolean> | boolean;
  /** Dry-run before the first BigQuery query of a source (default true). */
  dryRunFirst?: boolean;
}

export interface RefreshOptions {
  signal?: AbortSignal;
  /** Progress messages for slow work (large files, many result pages). */
  onProgress?: (message: string) => void;
}

export type PullState = 'disabled' | 'loading' | 'ready' | 'error';

export interface PullStatus {
  state: PullState;
  /** One line for a status bar, hover or CLI: where counts come from, or why there are none. */
  message: string;
  source: SourceInfo;
  window?: PullWindow;
  fetchedAt?: string;
  error?: { code: PullErrorCode | 'not-confirmed'; message: string };
  /** Counts shown are older than maxAgeMinutes (a refresh failed or has not run). */
  stale: boolean;
  warnings: string[];
}

export type PullSourceSpec =
  | { kind: 'none'; reason: string }
  | { kind: 'logFile'; file: string }
  | { kind: 'bigquery'; settings: BigQuerySettings };

export type FindingLike = Pick<Finding, 'kind' | 'thirdParty' | 'ignored'> & Partial<Pick<Finding, 'normalized' | 'registry' | 'resolved' | 'text' | 'ref'>>;

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~' || p.startsWith('~/')) return path.join(env.HOME || os.homedir(), p.slice(1));
  return p;
}

/** Which source the settings select (pure). */
export function resolveSource(settings: PullSettings, options: Pick<PullServiceOptions, 'workspaceRoot' | 'env'> = {}): PullSourceSpec {
  const env = options.env ?? process.env;
  const mode = settings.source ?? 'auto';
  const file = settings.logFile?.trim();
  const dataset = settings.bigqueryDataset?.trim();
  if (mode === 'none') return { kind: 'none', reason: settings.untrusted ? 'the workspace is not trusted, so no pull count source is read' : 'pull counts are turned off (arMigrate.pullCounts.source is "none")' };
  if ((mode === 'logFile' || mode === 'auto') && file) {
    const abs = path.resolve(options.workspaceRoot ?? process.cwd(), expandHome(file, env));
    return { kind: 'logFile', file: abs };
  }
  if (mode === 'logFile') return { kind: 'none', reason: 'no log file set (arMigrate.pulls.logFile)' };
  if (dataset) {
    return {
      kind: 'bigquery',
      settings: {
        dataset,
        billingProject: settings.billingProject?.trim() || undefined,
        tablePrefix: settings.tablePrefix,
        partitioned: settings.partitioned,
        table: settings.table,
        location: settings.location?.trim() || undefined,
        perCluster: settings.perCluster,
        maximumBytesBilled: settings.maximumBytesBilled,
      },
    };
  }
  return {
    kind: 'none',
    reason:
      mode === 'bigquery'
        ? 'no BigQuery dataset set (arMigrate.pulls.bigqueryDataset = PROJECT.DATASET)'
        : 'no pull count source configured (set a BigQuery dataset or a log export file)',
  };
}

function describe(spec: PullSourceSpec): SourceInfo {
  if (spec.kind === 'logFile') return { kind: 'logFile', description: `log file ${spec.file}`, file: spec.file };
  if (spec.kind === 'bigquery') {
    const s = spec.settings;
    const ds = s.dataset.includes('.') || !s.billingProject ? s.dataset : `${s.billingProject}.${s.dataset}`;
    const table = s.partitioned ? `${ds}.${partitionedTable(s)}` : `${ds}.${shardPrefix(s.tablePrefix)}*`;
    return { kind: 'bigquery', description: `BigQuery ${table}`, table, billingProject: s.billingProject, location: s.location };
  }
  return { kind: 'none', description: spec.reason };
}

export class PullCountService {
  private settingsValue: PullSettings;
  private spec: PullSourceSpec;
  private current?: PullCounts;
  private currentKey?: string;
  private lastError?: PullStatus['error'];
  private loading?: Promise<PullStatus>;
  private loadedFromDisk = false;
  private readonly listeners = new Set<(s: PullStatus) => void>();
  private limitsValue: RegistryLimit[];
  private limitErrors: string[] = [];

  constructor(settings: PullSettings = {}, private readonly options: PullServiceOptions = {}) {
    this.settingsValue = settings;
    this.spec = resolveSource(settings, options);
    this.limitsValue = this.computeLimits();
  }

  get settings(): PullSettings {
    return this.settingsValue;
  }

  /** Applies new settings; drops the counts when the source or window changed. */
  configure(settings: PullSettings): void {
    const before = this.cacheKey();
    this.settingsValue = settings;
    this.spec = resolveSource(settings, this.options);
    this.limitsValue = this.computeLimits();
    if (this.cacheKey() !== before) {
      this.current = undefined;
      this.lastError = undefined;
      this.loadedFromDisk = false;
    }
    this.emit();
  }

  private computeLimits(): RegistryLimit[] {
    const v = validateLimits(this.settingsValue.limits);
    this.limitErrors = v.errors;
    return buildLimits({ extra: v.limits, auth: this.settingsValue.dockerHubAuth });
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  private windowDays(): number {
    const d = Number(this.settingsValue.windowDays ?? 7);
    return Number.isFinite(d) && d > 0 ? Math.min(d, 36_525) : 7;
  }

  private maxAgeMs(): number {
    const m = Number(this.settingsValue.maxAgeMinutes ?? 360);
    return Number.isFinite(m) && m >= 0 ? m * 60_000 : 360 * 60_000;
  }

  private cacheDir(): string | undefined {
    if (this.options.diskCache === false) return undefined;
    const env = this.options.env ?? process.env;
    const dir = this.settingsValue.cacheDir?.trim() || this.options.cacheDir || defaultCacheDir(env);
    return expandHome(dir, env);
  }

  /** Identity of what the counts depend on; includes the log file's size and mtime. */
  cacheKey(): string {
    const s = this.spec;
    const days = this.windowDays();
    if (s.kind === 'bigquery') {
      const b = s.settings;
      return JSON.stringify({ kind: 'bigquery', dataset: b.dataset, billing: b.billingProject ?? '', prefix: shardPrefix(b.tablePrefix), partitioned: !!b.partitioned, table: b.partitioned ? partitionedTable(b) : '', location: b.location ?? '', perCluster: b.perCluster !== false, days });
    }
    if (s.kind === 'logFile') {
      let stamp = '';
      try {
        const st = fs.statSync(s.file);
        stamp = `${st.size}:${st.mtimeMs}`;
      } catch {
        stamp = 'missing';
      }
      return JSON.stringify({ kind: 'logFile', file: s.file, stamp, days });
    }
    return JSON.stringify({ kind: 'none' });
  }

  /** The limits table in effect. */
  limits(): RegistryLimit[] {
    return this.limitsValue;
  }

  /** Counts in memory (undefined before the first load or when the source failed). */
  counts(): PullCounts | undefined {
    return this.current;
  }

  private isStale(): boolean {
    if (!this.current?.source.fetchedAt) return false;
    const max = this.maxAgeMs();
    if (max === 0) return false;
    return this.now().getTime() - Date.parse(this.current.source.fetchedAt) > max;
  }

  status(): PullStatus {
    const source = this.current?.source ?? describe(this.spec);
    const warnings = [...(this.current?.warnings ?? []), ...this.limitErrors];
    const base = { source, window: this.current?.window, fetchedAt: this.current?.source.fetchedAt, stale: this.isStale(), warnings };
    if (this.spec.kind === 'none') return { ...base, state: 'disabled', message: `No pull counts: ${this.spec.reason}.` };
    if (this.loading && !this.current) return { ...base, state: 'loading', message: `Counting pulls from ${describe(this.spec).description}…` };
    if (this.lastError && !this.current) return { ...base, state: 'error', error: this.lastError, message: `No pull counts: ${this.lastError.message}` };
    if (!this.current) return { ...base, state: 'loading', message: `Pull counts from ${describe(this.spec).description} not loaded yet.` };
    const c = this.current;
    let msg = `${c.totalPulls.toLocaleString('en-US')} pulls of ${Object.keys(c.images).length} images in the last ${c.window.days} days, from ${c.source.description}`;
    if (c.source.fromCache) msg += ' (cached)';
    if (this.lastError) msg += `; refresh failed: ${this.lastError.message}`;
    return { ...base, state: 'ready', error: this.lastError, message: msg };
  }

  onDidChange(listener: (status: PullStatus) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(): void {
    const s = this.status();
    for (const l of this.listeners) {
      try {
        l(s);
      } catch {
        // a listener's failure is not ours
      }
    }
  }

  /** True when the next BigQuery refresh would be the first for this source (no cache on disk). */
  isFirstRun(): boolean {
    if (this.spec.kind !== 'bigquery') return false;
    if (this.current) return false;
    const dir = this.cacheDir();
    return !dir || !cacheExists(dir, this.cacheKey());
  }

  /**
   * Loads counts if needed: memory, then the disk cache (when younger than
   * maxAgeMinutes), else refresh. Never throws.
   */
  async ensureFresh(opts: RefreshOptions = {}): Promise<PullStatus> {
    if (this.spec.kind === 'none') return this.status();
    // A log file that changed on disk (new export) is read again.
    if (this.current && this.spec.kind === 'logFile' && this.currentKey !== undefined && this.currentKey !== this.cacheKey()) return this.refresh(opts);
    if (this.current && !this.isStale()) return this.status();
    if (!this.current && !this.loadedFromDisk) {
      this.loadedFromDisk = true;
      const dir = this.cacheDir();
      if (dir) {
        const cached = await readCache(dir, this.cacheKey());
        if (cached) {
          this.current = { ...cached.counts, source: { ...cached.counts.source, fromCache: true } };
          this.currentKey = cached.key;
          if (!this.isStale()) {
            this.emit();
            return this.status();
          }
        }
      }
    }
    if (this.current && this.maxAgeMs() === 0) return this.status();
    return this.refresh(opts);
  }

  /** Queries the source now (one query for the whole workspace). Concurrent calls share one run. Never throws. */
  refresh(opts: RefreshOptions = {}): Promise<PullStatus> {
    if (this.loading) return this.loading;
    const run = (async () => {
      try {
        await this.doRefresh(opts);
      } finally {
        this.loading = undefined;
      }
      this.emit();
      return this.status();
    })();
    this.loading = run;
    this.emit();
    return run;
  }

  private async doRefresh(opts: RefreshOptions): Promise<PullStatus> {
    const spec = this.spec;
    const key = this.cacheKey();
    const window = windowFor(this.now(), this.windowDays());
    try {
      let counts: PullCounts;
      if (spec.kind === 'none') return this.status();
      if (spec.kind === 'logFile') {
        const report = opts.onProgress;
        counts = await countPullsFromLogFile(spec.file, {
          window,
          signal: opts.signal,
          onProgress: report ? (read, total) => report(`Reading ${spec.file}: ${total ? Math.floor((100 * read) / total) : 0}%`) : undefined,
        });
      } else {
        if (this.options.dryRunFirst !== false && this.isFirstRun()) {
          const estimate = await dryRunPullQuery(spec.settings, window, this.connection());
          this.options.log?.(`Pull count query on ${estimate.table} will scan ${formatBytes(estimate.bytes)}.`);
          if (this.options.confirmFirstRun) {
            const ok = await this.options.confirmFirstRun(estimate);
            if (!ok) {
              this.lastError = { code: 'not-confirmed', message: `the first query (${formatBytes(estimate.bytes)} on ${estimate.table}) was not confirmed; run "Refresh pull counts" to run it` };
              return this.status();
            }
          }
        }
        const report = opts.onProgress;
        counts = await queryPullCounts(spec.settings, window, this.connection(), {
          signal: opts.signal,
          onProgress: report ? (rows, total) => report(`Reading query results: ${rows.toLocaleString('en-US')}${total !== undefined ? ` of ${total.toLocaleString('en-US')}` : ''} rows`) : undefined,
        });
      }
      if (key !== this.cacheKey() && spec.kind === 'bigquery') {
        // settings changed meanwhile: drop the result
        return this.status();
      }
      this.current = counts;
      this.currentKey = key;
      this.lastError = undefined;
      const dir = this.cacheDir();
      if (dir && counts.source.fetchedAt) {
        const err = await writeCache(dir, this.cacheKey(), counts, counts.source.fetchedAt);
        if (err) this.options.log?.(err);
      }
      return this.status();
    } catch (err) {
      const e = err instanceof PullError ? err : new PullError('unknown', `Counting pulls failed: ${(err as Error)?.message ?? String(err)}`);
      this.lastError = { code: e.code, message: e.message };
      this.options.log?.(e.message);
      return this.status();
    }
  }

  private connection(): BigQueryConnection {
    if (this.options.connection) return this.options.connection;
    return connectionFromEnv(this.options.env ?? process.env);
  }

  /** Dry run of the BigQuery query: bytes it would scan. Throws PullError (e.g. when the source is not BigQuery). */
  async dryRun(): Promise<DryRunResult> {
    if (this.spec.kind !== 'bigquery') throw new PullError('invalid-setting', 'A dry run needs a BigQuery source (set arMigrate.pulls.bigqueryDataset).');
    return dryRunPullQuery(this.spec.settings, windowFor(this.now(), this.windowDays()), this.connection());
  }

  // ------------------------------------------------------------ lookups

  /**
   * Stats for an image (text or finding). Undefined when there are no counts
   * (no source, failed, not loaded) or the reference cannot be normalised;
   * zero stats when counts are loaded but the image was not pulled.
   */
  statsFor(image: string | FindingLike): ImageStats | undefined {
    const c = this.current;
    if (!c) return undefined;
    const text = imageText(image);
    if (!text) return undefined;
    return lookupImage(c, text) ?? emptyStats(text);
  }

  /** Totals across tags of the image's repository. */
  repositoryFor(image: string | FindingLike): RepositoryStats | undefined {
    const c = this.current;
    const text = imageText(image);
    return c && text ? lookupRepository(c, text) : undefined;
  }

  severityFor(finding: FindingLike): PullSeverity {
    return severityFor(finding, this.statsFor(finding), this.limitsValue);
  }

  hoverMarkdown(finding: FindingLike): string {
    const st = this.status();
    const stats = this.statsFor(finding);
    return hoverMarkdown(stats, {
      registryHourly: this.current && stats?.registry ? registryHourly(this.current, stats.registry) : undefined,
      finding,
      repository: this.repositoryFor(finding),
      source: this.current?.source,
      window: this.current?.window,
      unavailable: this.current ? undefined : st.message.replace(/^No pull counts: /, ''),
      limits: this.limitsValue,
    });
  }

  inlayLabel(finding: FindingLike): string | undefined {
    return inlayLabel(this.statsFor(finding), this.current?.window ?? this.windowDays(), finding);
  }
}

function imageText(image: string | FindingLike): string | undefined {
  if (typeof image === 'string') return image;
  if (image.ref?.hasVariables) return undefined;
  return image.normalized ?? image.ref?.normalized ?? undefined;
}

/**
 * BigQuery connection from the environment: a static OAuth access token in
 * GOOGLE_OAUTH_ACCESS_TOKEN (as the Terraform provider and CI use) when set,
 * else Application Default Credentials; endpoint from AR_MIGRATE_BIGQUERY_ENDPOINT.
 */
export function connectionFromEnv(env: NodeJS.ProcessEnv): BigQueryConnection {
  const conn: BigQueryConnection = {};
  const endpoint = env.AR_MIGRATE_BIGQUERY_ENDPOINT?.trim();
  if (endpoint) conn.apiEndpoint = endpoint;
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (token) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { OAuth2Client } = require('google-auth-library') as typeof import('google-auth-library');
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    conn.authClient = client;
  }
  return conn;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads `a.b.c` from a nested object or from flattened dotted keys. */
function pick(raw: Record<string, unknown>, dotted: string): unknown {
  if (dotted in raw) return raw[dotted];
  const parts = dotted.split('.');
  for (let i = 1; i < parts.length; i++) {
    const head = parts.slice(0, i).join('.');
    const v = raw[head];
    if (isObj(v)) {
      const r = pick(v, parts.slice(i).join('.'));
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/**
 * Maps the editor's `arMigrate` settings section (VS Code `arMigrate.pullCounts.*`,
 * nested or with dotted keys; `.ar-migrate.json` uses the same names) onto
 * PullSettings. In an untrusted workspace no source is read.
 */
export function settingsFromEditor(section: unknown, options: { trusted?: boolean; storagePath?: string } = {}): PullSettings {
  let raw: Record<string, unknown> = isObj(section) ? section : {};
  if (isObj(raw.arMigrate)) raw = raw.arMigrate as Record<string, unknown>;
  const str = (k: string) => {
    const v = pick(raw, k);
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  const num = (k: string) => {
    const v = pick(raw, k);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
    return Number.isFinite(n) ? n : undefined;
  };
  const bool = (k: string) => {
    const v = pick(raw, k);
    return typeof v === 'boolean' ? v : undefined;
  };
  const srcText = str('pullCounts.source');
  const source: PullSettings['source'] =
    srcText === 'bigquery' || srcText === 'logFile' || srcText === 'none' || srcText === 'auto' ? srcText : srcText === undefined ? 'auto' : 'none';
  const limits = pick(raw, 'pullCounts.limits');
  const auth = str('pullCounts.dockerHubAuth');
  const s: PullSettings = {
    source: options.trusted === false ? 'none' : source,
    untrusted: options.trusted === false ? true : undefined,
    logFile: str('pullCounts.logFile'),
    bigqueryDataset: str('pullCounts.bigquery.dataset'),
    billingProject: str('pullCounts.bigquery.billingProject'),
    location: str('pullCounts.bigquery.location'),
    tablePrefix: str('pullCounts.bigquery.tablePrefix'),
    partitioned: bool('pullCounts.bigquery.partitioned'),
    table: str('pullCounts.bigquery.table'),
    perCluster: bool('pullCounts.bigquery.perCluster') ?? bool('pullCounts.perCluster'),
    maximumBytesBilled: num('pullCounts.bigquery.maximumBytesBilled'),
    windowDays: num('pullCounts.windowDays'),
    maxAgeMinutes: num('pullCounts.maxAge') ?? num('pullCounts.maxAgeMinutes'),
    cacheDir: options.storagePath ? path.join(options.storagePath, 'pull-counts') : undefined,
    limits: Array.isArray(limits) ? (limits as RegistryLimit[]) : undefined,
    dockerHubAuth: auth === 'authenticated' || auth === 'anonymous' ? auth : undefined,
  };
  return s;
}
