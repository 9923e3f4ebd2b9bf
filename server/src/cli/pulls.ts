/**
 * `ar-migrate pulls`: how often each image is pulled, from BigQuery (Cloud
 * Logging sink tables) or a log export file.
 */
import { CliIO, UsageError } from './io';
import { Policy } from '../references/policy';
import { parseNormalized } from '../references/reference';
import {
  assessRisk,
  buildLimits,
  connectionFromEnv,
  countPullsFromLogFile,
  PullCounts,
  PullError,
  windowFor,
  formatBytes,
  formatCount,
  formatTime,
  PullCountService,
  PullSettings,
  RegistryLimit,
  validateLimits,
} from '../pulls';

export const USAGE = `Usage: ar-migrate pulls (--log-file FILE | --bigquery PROJECT.DATASET) [options]

Counts "Pulling image" events per image: from the BigQuery tables of a Cloud
Logging sink, or from a log export (the JSON array written by
  gcloud logging read 'resource.type="k8s_pod" jsonPayload.reason="Pulling"' --format=json
or newline-delimited JSON; .gz accepted).

Options:
  --log-file FILE           read a log export file ("-": standard input)
  --bigquery PROJECT.DATASET  query the log sink dataset (Application Default Credentials)
  --days N                  window in days, ending now (default 7)
  --now TIME                end of the window (ISO 8601, default: the current time)
  --billing-project P       project that runs and pays for the query (default: the dataset's)
  --location L              BigQuery location (US, EU, europe-west1, ...)
  --table-prefix PREFIX     date-sharded table prefix (default events_)
  --partitioned             query a partitioned table (PREFIX without "_", or --table)
  --table NAME              partitioned table name
  --no-clusters             do not group by cluster
  --max-bytes N             refuse to bill more than N bytes
  --dry-run                 print the bytes the BigQuery query would scan, run nothing
  --top N                   print only the N most pulled images
  --first-party REGISTRY    extra first-party registry glob (repeatable)
  --docker-hub-auth MODE    anonymous (default, 100 pulls/6 h) or authenticated (200/6 h)
  --limit REGISTRY=PULLS/HOURS  add a registry pull limit (repeatable), e.g. ghcr.io=1000/1
  --max-age MINUTES         reuse cached counts younger than this (default: query now)
  --cache-dir DIR           cache directory (default ~/.cache/ar-migrate)
  --endpoint URL            BigQuery API endpoint (default https://bigquery.googleapis.com)
  --json                    machine-readable output
  -h, --help                this help
`;

interface Args {
  logFile?: string;
  bigquery?: string;
  days: number;
  json: boolean;
  billingProject?: string;
  location?: string;
  tablePrefix?: string;
  partitioned: boolean;
  table?: string;
  perCluster: boolean;
  maxBytes?: number;
  dryRun: boolean;
  top?: number;
  firstParty: string[];
  dockerHubAuth?: 'anonymous' | 'authenticated';
  limits: RegistryLimit[];
  maxAge?: number;
  cacheDir?: string;
  endpoint?: string;
  now?: Date;
  help: boolean;
}

function positiveNumber(flag: string, v: string, integer = false): number {
  const n = Number(v);
  if (!v || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`${flag} needs a positive ${integer ? 'whole ' : ''}number, got "${v}"`);
  return n;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { days: 7, json: false, partitioned: false, perCluster: true, dryRun: false, firstParty: [], limits: [], help: false };
  const rest = [...argv];
  while (rest.length) {
    let arg = rest.shift()!;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      const v = inline ?? rest.shift();
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--log-file':
        a.logFile = value();
        break;
      case '--bigquery':
        a.bigquery = value();
        break;
      case '--days':
        a.days = positiveNumber('--days', value());
        break;
      case '--json':
        a.json = true;
        break;
      case '--billing-project':
        a.billingProject = value();
        break;
      case '--location':
        a.location = value();
        break;
      case '--table-prefix':
        a.tablePrefix = value();
        break;
      case '--partitioned':
        a.partitioned = true;
        break;
      case '--table':
        a.table = value();
        a.partitioned = true;
        break;
      case '--no-clusters':
        a.perCluster = false;
        break;
      case '--max-bytes':
        a.maxBytes = positiveNumber('--max-bytes', value(), true);
        break;
      case '--dry-run':
        a.dryRun = true;
        break;
      case '--top':
        a.top = positiveNumber('--top', value(), true);
        break;
      case '--first-party':
        a.firstParty.push(value());
        break;
      case '--docker-hub-auth': {
        const v = value();
        if (v !== 'anonymous' && v !== 'authenticated') throw new UsageError(`--docker-hub-auth must be anonymous or authenticated, got "${v}"`);
        a.dockerHubAuth = v;
        break;
      }
      case '--limit': {
        const v = value();
        const m = /^([^=]+)=(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)h?$/.exec(v);
        if (!m) throw new UsageError(`--limit must look like REGISTRY=PULLS/HOURS (e.g. ghcr.io=1000/1), got "${v}"`);
        const r = validateLimits([{ registry: m[1], pulls: Number(m[2]), windowHours: Number(m[3]) }]);
        if (r.errors.length) throw new UsageError(`--limit ${v}: ${r.errors[0]}`);
        a.limits.push(...r.limits);
        break;
      }
      case '--max-age': {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) throw new UsageError(`--max-age needs a number of minutes, got "${v}"`);
        a.maxAge = n;
        break;
      }
      case '--cache-dir':
        a.cacheDir = value();
        break;
      case '--endpoint':
        a.endpoint = value();
        break;
      case '--now': {
        const v = value();
        const t = Date.parse(v);
        if (!Number.isFinite(t)) throw new UsageError(`--now needs an ISO 8601 time (e.g. 2026-11-25T12:00:00Z), got "${v}"`);
        a.now = new Date(t);
        break;
      }
      default:
        throw new UsageError(`unknown option "${arg}"\n\n${USAGE}`);
    }
  }
  return a;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!args.logFile && !args.bigquery) throw new UsageError(`give --log-file FILE or --bigquery PROJECT.DATASET\n\n${USAGE}`);
  if (args.logFile && args.bigquery) throw new UsageError('give either --log-file or --bigquery, not both');
  if (args.dryRun && !args.bigquery) throw new UsageError('--dry-run applies to --bigquery only (reading a log file costs nothing)');

  const settings: PullSettings = {
    source: args.logFile ? 'logFile' : 'bigquery',
    logFile: args.logFile,
    bigqueryDataset: args.bigquery,
    billingProject: args.billingProject,
    location: args.location,
    tablePrefix: args.tablePrefix,
    partitioned: args.partitioned,
    table: args.table,
    perCluster: args.perCluster,
    maximumBytesBilled: args.maxBytes,
    windowDays: args.days,
    maxAgeMinutes: args.maxAge ?? 0,
    cacheDir: args.cacheDir,
    limits: args.limits,
    dockerHubAuth: args.dockerHubAuth,
  };
  const connection = connectionFromEnv(io.env);
  if (args.endpoint) connection.apiEndpoint = args.endpoint;
  const progressTTY = io.isTTY && !args.json;
  const fixedNow = args.now;
  const service = new PullCountService(settings, {
    now: fixedNow ? () => fixedNow : undefined,
    workspaceRoot: io.cwd,
    env: io.env,
    connection,
    log: (m) => {
      if (/will scan/.test(m)) io.stderr.write(`${m}\n`);
      else if (/pull count cache/.test(m)) io.stderr.write(`warning: ${m}\n`);
    },
  });

  if (args.dryRun) {
    const d = await service.dryRun().catch((err) => {
      io.stderr.write(`ar-migrate pulls: ${err.message}\n`);
      return undefined;
    });
    if (!d) return 1;
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ dryRun: { bytes: d.bytes, table: d.table, billingProject: d.billingProject, sql: d.sql, params: d.params } }, null, 2)}\n`);
    } else {
      io.stdout.write(`The pull count query on ${d.table} would scan ${formatBytes(d.bytes)} (${formatCount(d.bytes)} bytes), billed to project ${d.billingProject}.\n`);
    }
    return 0;
  }

  if (args.logFile === '-') return runStdin(args, io);

  let lastProgress = 0;
  const onProgress = progressTTY
    ? (m: string) => {
        const t = Date.now();
        if (t - lastProgress < 200) return;
        lastProgress = t;
        io.stderr.write(`\r\x1b[K${m}`);
      }
    : undefined;
  const status = args.maxAge ? await service.ensureFresh({ signal: io.signal, onProgress }) : await service.refresh({ signal: io.signal, onProgress });
  if (progressTTY) io.stderr.write('\r\x1b[K');
  if (io.signal.aborted) {
    io.stderr.write('ar-migrate pulls: cancelled\n');
    return 130;
  }
  const counts = service.counts();
  if (!counts) {
    io.stderr.write(`ar-migrate pulls: ${status.error?.message ?? status.message}\n`);
    return 1;
  }
  for (const w of status.warnings) io.stderr.write(`warning: ${w}\n`);
  return printCounts(counts, service.limits(), args, io);
}

/** `--log-file -`: reads the export from standard input (e.g. piped from gcloud logging read). */
async function runStdin(args: Args, io: CliIO): Promise<number> {
  const now = args.now ?? new Date();
  let counts: PullCounts;
  try {
    counts = await countPullsFromLogFile('<stdin>', { window: windowFor(now, args.days), input: (io as CliIO & { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin, signal: io.signal });
  } catch (err) {
    io.stderr.write(`ar-migrate pulls: ${(err as Error)?.message ?? err}\n`);
    return (err as PullError)?.code === 'cancelled' ? 130 : 1;
  }
  for (const w of counts.warnings) io.stderr.write(`warning: ${w}\n`);
  const v = validateLimits(args.limits);
  return printCounts(counts, buildLimits({ extra: v.limits, auth: args.dockerHubAuth }), args, io);
}

function printCounts(counts: PullCounts, limits: RegistryLimit[], args: Args, io: CliIO): number {
  const policy = new Policy({ firstPartyRegistries: args.firstParty });
  let images = Object.values(counts.images).sort((x, y) => y.pulls - x.pulls || x.image.localeCompare(y.image));
  if (args.top) images = images.slice(0, args.top);
  const rows = images.map((s) => {
    const parsed = parseNormalized(s.image);
    const thirdParty = parsed.ok ? !policy.isFirstParty(parsed.value) : true;
    const risk = assessRisk(s, limits);
    return { s, thirdParty, risk };
  });

  if (args.json) {
    const out = {
      images: rows.map(({ s, thirdParty, risk }) => ({
        image: s.image,
        repository: s.repository,
        registry: s.registry,
        thirdParty,
        pulls: s.pulls,
        peakPerHour: s.peakPerHour,
        firstSeen: s.firstSeen ?? null,
        lastSeen: s.lastSeen ?? null,
        familiar: s.familiar,
        peakHour: s.peakHour ?? null,
        clusters: s.clusters,
        repositoryPulls: counts.repositories[s.repository]?.pulls ?? s.pulls,
        limit: risk.limit ? { label: risk.limit.label ?? risk.limit.registry, pulls: risk.limit.pulls, windowHours: risk.limit.windowHours, maxInWindow: risk.maxInWindow, exceeds: risk.exceeds } : null,
      })),
      repositories: Object.values(counts.repositories)
        .sort((x, y) => y.pulls - x.pulls)
        .map((r) => ({ repository: r.repository, registry: r.registry, pulls: r.pulls, peakPerHour: r.peakPerHour, tags: r.tags })),
      totalPulls: counts.totalPulls,
      window: counts.window,
      source: counts.source,
      warnings: counts.warnings,
    };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }

  if (rows.length === 0) {
    io.stdout.write(`No image pulls in the last ${counts.window.days} days (${formatTime(counts.window.start)} – ${formatTime(counts.window.end)}) from ${counts.source.description}.\n`);
    return 0;
  }
  const names = rows.map((r) => r.s.familiar);
  const wImage = Math.min(60, Math.max(5, ...names.map((n) => n.length)));
  const wReg = Math.max(8, ...rows.map((r) => r.s.registry.length));
  const header = `${pad('IMAGE', wImage)}  ${pad('PULLS', 9, true)}  ${pad('PEAK/H', 7, true)}  ${pad('REGISTRY', wReg)}  ${pad('LAST SEEN', 20)}  RISK`;
  const lines = [header];
  for (const { s, thirdParty, risk } of rows) {
    const name = s.familiar.length > wImage ? `${s.familiar.slice(0, wImage - 1)}…` : s.familiar;
    const riskText = risk.limit
      ? `${risk.exceeds ? 'EXCEEDS ' : ''}${formatCount(risk.maxInWindow)}/${formatCount(risk.limit.pulls)} per ${risk.limit.windowHours} h`
      : thirdParty
        ? ''
        : 'first-party';
    lines.push(
      `${pad(name, wImage)}  ${pad(formatCount(s.pulls), 9, true)}  ${pad(formatCount(s.peakPerHour), 7, true)}  ${pad(s.registry, wReg)}  ${pad(formatTime(s.lastSeen), 20)}  ${riskText}`.trimEnd(),
    );
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  const more = Object.keys(counts.images).length - rows.length;
  io.stdout.write(
    `\n${formatCount(counts.totalPulls)} ${counts.totalPulls === 1 ? 'pull' : 'pulls'} of ${formatCount(Object.keys(counts.images).length)} ${Object.keys(counts.images).length === 1 ? 'image' : 'images'} in the last ${counts.window.days} days (${formatTime(counts.window.start)} – ${formatTime(counts.window.end)})${more > 0 ? `; ${more} more not shown` : ''}\nSource: ${counts.source.description}${counts.source.bytesProcessed !== undefined ? ` (${formatBytes(counts.source.bytesProcessed)} processed)` : ''}${counts.source.fromCache ? ' (cached)' : ''}\n`,
  );
  return 0;
}
