/**
 * `ar-migrate scan [PATH...] [--all] [--json | --sarif]`: lists the container
 * image references in Dockerfiles and YAML under PATH (default `.`).
 * Exit 0 when no third-party reference is found, 1 when some are, 2 on usage error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CODES, errorCode, findingMessage, registryLabel } from '../analyze';
import type { Finding } from '../model';
import { Policy } from '../references/policy';
import { CONFIG_FILE_NAME, loadProjectConfig, ProjectConfig } from '../workspace/config';
import { scanPaths, ScanResult } from '../workspace/scan';
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_SKIP_DIRS } from '../workspace/walk';
import { formatImagesTxt } from '../handoff/imagesTxt';
import { writeFileAtomic } from '../edits/atomicWrite';
import type { FindingPulls } from '../pulls';
import { CliIO, UsageError } from './io';
import { VERSION } from './main';

const HELP = `Usage: ar-migrate scan [PATH...] [options]

Finds container image references in Dockerfiles, Containerfiles and YAML
(Kubernetes, Compose, Cloud Build, GitHub Actions, GitLab CI, Kustomize, Helm
values, ...) under each PATH (default: the current directory).

Output (default: a table of third-party references):
  --all                     also list first-party references (Artifact Registry, gcr.io, --first-party)
  --json                    one JSON object {"findings": [...], "errors": [...]}
  --sarif                   SARIF 2.1.0 (for code scanning)

Policy:
  --first-party REGISTRY    a registry you own, counted as first-party (repeatable; globs:
                            "*.corp.example", "ghcr.io/my-org/**")
  --ignore IMAGE            an image to leave out (repeatable; globs over the normalised name)
  --config FILE             settings file (default: ${CONFIG_FILE_NAME} in the first PATH directory or cwd)

Walking:
  --exclude GLOB            skip paths matching GLOB, relative to PATH (repeatable)
  --no-default-excludes     also walk ${DEFAULT_SKIP_DIRS.slice(0, 6).join(', ')}, ...
  --max-file-size BYTES     skip larger files (default ${DEFAULT_MAX_FILE_SIZE})
  --jobs N                  N worker threads that also extract (for many cores); default:
                            one I/O thread walks and reads while this one extracts;
                            0: a single thread. The output is the same either way

Pull counts and hand-off:
  --pulls-from SOURCE       add pull counts to each reference: a log export file (\`gcloud logging
                            read ... --format=json\`, or NDJSON) or bq:PROJECT.DATASET (a log sink)
  --days N                  pull-count window in days (default 7)
  --now TIME                end of the window (ISO 8601; default: now), e.g. to read an old export
  --images-txt FILE         also write the runbook's images.txt (third-party images, normalised,
                            deduplicated, one a line) to FILE ("-" for stdout instead of the table)

  --exit-zero               exit 0 even when third-party references are found
  -h, --help                this help

Exit status: 0 no third-party reference, 1 some found, 2 usage error. Problems
(unreadable or binary files, broken YAML, invalid references) are reported on
stderr (in "errors" with --json) but do not change the exit status.
`;

export interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  text: string;
  resolved: string;
  normalized: string;
  registry: string;
  thirdParty: boolean;
  pulled: boolean;
  kind: string;
}
export interface JsonError {
  file: string;
  /** 1-based; 0 when the problem is about the whole file. */
  line: number;
  message: string;
}

interface Row {
  file: string;
  finding: Finding;
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [String(v)];
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        sarif: { type: 'boolean' },
        'first-party': { type: 'string', multiple: true },
        ignore: { type: 'string', multiple: true },
        config: { type: 'string' },
        exclude: { type: 'string', multiple: true },
        'no-default-excludes': { type: 'boolean' },
        'max-file-size': { type: 'string' },
        jobs: { type: 'string' },
        'exit-zero': { type: 'boolean' },
        'pulls-from': { type: 'string' },
        days: { type: 'string' },
        now: { type: 'string' },
        'images-txt': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}\nRun "ar-migrate scan --help" for the options.`);
  }
}

/** The path as shown: relative to cwd with `/` separators (absolute when outside cwd on another drive). */
export function displayPath(cwd: string, p: string): string {
  // Below cwd (the usual case, thousands of times per scan): cut the prefix, far cheaper than path.relative.
  const base = cwd.endsWith(path.sep) ? cwd : cwd + path.sep;
  // (Only for plain paths: no `.`/`..` segments, no doubled or trailing separators, which path.relative would resolve.)
  if (p.startsWith(base) && path.isAbsolute(cwd) && !cwd.includes(`${path.sep}.`)) {
    const rel = p.slice(base.length);
    if (rel !== '' && !rel.startsWith('.') && !rel.startsWith(path.sep) && !rel.includes(`${path.sep}.`) && !rel.includes(path.sep + path.sep) && !rel.endsWith(path.sep)) {
      return path.sep === '/' ? rel : rel.split(path.sep).join('/');
    }
  }
  const rel = path.relative(cwd, p);
  return (rel === '' ? path.basename(p) : rel).split(path.sep).join('/');
}

/** The scan's `.ar-migrate.json` (see loadProjectConfig); problems are usage errors (exit 2). */
export function loadConfig(explicit: string | undefined, roots: string[], cwd: string): ProjectConfig {
  try {
    return loadProjectConfig(explicit, roots, cwd);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (values.json && values.sarif) throw new UsageError('--json and --sarif cannot be used together');
  const imagesTxtToStdout = values['images-txt'] === '-';
  if (imagesTxtToStdout && (values.json || values.sarif)) throw new UsageError('--images-txt - writes to stdout: it cannot be combined with --json or --sarif');
  let days: number | undefined;
  if (values.days !== undefined) {
    days = Number(values.days);
    if (!Number.isInteger(days) || days <= 0) throw new UsageError(`--days must be a positive whole number of days, got "${values.days}"`);
    if (values['pulls-from'] === undefined) throw new UsageError('--days goes with --pulls-from');
  }
  let now: Date | undefined;
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO 8601 time such as 2026-11-25T12:00:00Z, got "${values.now}"`);
    if (values['pulls-from'] === undefined) throw new UsageError('--now goes with --pulls-from');
  }
  let maxFileSize: number | undefined;
  if (values['max-file-size'] !== undefined) {
    maxFileSize = Number(values['max-file-size']);
    if (!Number.isInteger(maxFileSize) || maxFileSize <= 0) throw new UsageError(`--max-file-size must be a positive number of bytes, got "${values['max-file-size']}"`);
  }
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 0 || jobs > 64) throw new UsageError(`--jobs must be a whole number from 0 to 64, got "${values.jobs}"`);
  }
  const inputs = positionals.length ? positionals : ['.'];
  const roots = inputs.map((p) => path.resolve(io.cwd, p));
  const missing = inputs.filter((_, i) => !fs.existsSync(roots[i]));
  if (missing.length) throw new UsageError(`no such file or directory: ${missing.join(', ')}`);

  const config = loadConfig(values.config, roots, io.cwd);
  const policy = new Policy({
    firstPartyRegistries: [...(config.firstPartyRegistries ?? []), ...list(values['first-party'])],
    ignoredImages: [...(config.ignoredImages ?? []), ...list(values.ignore)],
  });

  const showProgress = io.isTTY && !values.json && !values.sarif;
  let lastDraw = 0;
  const result = await scanPaths(roots, {
    policy,
    signal: io.signal,
    exclude: [...(config.exclude ?? []), ...list(values.exclude)],
    skipDirs: values['no-default-excludes'] ? [] : undefined,
    maxFileSize,
    parallel: jobs ?? true,
    onProgress: showProgress
      ? (done, total) => {
          const now = Date.now();
          if (now - lastDraw < 100 && done < total) return;
          lastDraw = now;
          io.stderr.write(`\rscanning ${done}/${total} files…`);
        }
      : undefined,
  });
  if (showProgress && lastDraw) io.stderr.write('\r\x1b[K');

  const rows: Row[] = [];
  const invalid: Row[] = [];
  let ignored = 0;
  let firstParty = 0;
  for (const file of result.files) {
    const rel = displayPath(io.cwd, file.path);
    for (const f of file.findings) {
      if (f.error || !f.ref) {
        if (!f.ignored) invalid.push({ file: rel, finding: f });
      } else if (f.ignored) ignored++;
      else if (f.thirdParty || values.all) rows.push({ file: rel, finding: f });
      if (!f.error && f.ref && !f.thirdParty && !f.ignored) firstParty++;
    }
  }
  const errors: JsonError[] = [
    ...result.errors.map((e) => ({ file: displayPath(io.cwd, e.path), line: e.line === undefined ? 0 : e.line + 1, message: e.message })),
    ...invalid.map((r) => ({ file: r.file, line: r.finding.range.start.line + 1, message: findingMessage(r.finding) })),
  ];
  // Pull counts (one query or one pass over the export for the whole scan).
  let pulls: Map<Finding, FindingPulls | undefined> | undefined;
  if (values['pulls-from'] !== undefined) {
    const { counts, limits } = await loadPulls(values['pulls-from'], days, now, io);
    // e.g. a log export that is truncated or still being written: the counts are partial
    for (const w of counts.warnings ?? []) io.stderr.write(`warning: ${w}\n`);
    const findings = rows.map((r) => r.finding);
    const { addPullsToFindings } = require('../pulls') as typeof import('../pulls');
    const withPulls = addPullsToFindings(findings, counts, limits);
    pulls = new Map(findings.map((f, i) => [f, withPulls[i].pulls]));
  }
  if (values['images-txt'] !== undefined) {
    const text = formatImagesTxt(result.files.flatMap((f) => f.findings));
    if (imagesTxtToStdout) {
      io.stdout.write(text);
    } else {
      const out = path.resolve(io.cwd, values['images-txt']);
      try {
        await writeFileAtomic(out, text);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (err as Error).message);
        throw new Error(`cannot write --images-txt ${values['images-txt']}: ${why}`);
      }
      io.stderr.write(`Wrote ${plural(text ? text.trimEnd().split('\n').length : 0, 'image')} to ${displayPath(io.cwd, out)}\n`);
    }
  }
  // Build outputs (compose `image:` next to `build:`) are listed but are nothing to mirror.
  const thirdParty = rows.filter((r) => r.finding.thirdParty && r.finding.pulled);
  const built = rows.filter((r) => r.finding.thirdParty && !r.finding.pulled).length;
  const exit = thirdParty.length > 0 && !values['exit-zero'] ? 1 : 0;

  if (imagesTxtToStdout) {
    for (const e of errors) io.stderr.write(`${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}\n`);
  } else if (values.json) {
    const findings = rows.map((r) => (pulls ? { ...toJson(r), pulls: pulls.get(r.finding) ?? null } : toJson(r)));
    io.stdout.write(JSON.stringify({ findings, errors }, null, 2) + '\n');
    // exit 0 can hide them: one line a person sees in a CI log
    if (errors.length) io.stderr.write(`ar-migrate scan: ${plural(errors.length, 'problem')}, listed in "errors" of the JSON output (${PROBLEMS_NOTE})\n`);
  } else if (values.sarif) {
    io.stdout.write(JSON.stringify(toSarif(rows, invalid, result, io.cwd), null, 2) + '\n');
    if (errors.length) io.stderr.write(`ar-migrate scan: ${plural(errors.length, 'problem')}, listed in the SARIF results (${PROBLEMS_NOTE})\n`);
  } else {
    writeTable(io, rows, Boolean(values.all), pulls);
    for (const e of errors) io.stderr.write(`${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}\n`);
    writeSummary(io, { rows, thirdParty, built, firstParty, ignored, errors: errors.length, result, all: Boolean(values.all), config });
  }
  return exit;
}

function toJson(r: Row): JsonFinding {
  const f = r.finding;
  return {
    file: r.file,
    line: f.range.start.line + 1,
    column: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
    text: f.text,
    resolved: f.resolved,
    normalized: f.normalized ?? '',
    registry: f.registry ?? '',
    thirdParty: f.thirdParty,
    pulled: f.pulled,
    kind: f.kind,
  };
}

/** Reads pull counts for --pulls-from; a failure is an error naming the source (exit 1), never a crash. */
async function loadPulls(spec: string, days: number | undefined, now: Date | undefined, io: CliIO) {
  try {
    // Loaded only for --pulls-from: the BigQuery client and google-auth-library are large.
    const { pullCountsFromSpec } = require('../pulls') as typeof import('../pulls');
    return await pullCountsFromSpec(spec, { days, now, cwd: io.cwd, env: io.env, signal: io.signal });
  } catch (err) {
    throw new Error(`pull counts from ${spec}: ${(err as Error).message}`);
  }
}

function pullsCell(p: FindingPulls | undefined): string {
  if (!p) return '-';
  if (p.note) return 'n/a (Cloud Run)';
  const n = `${p.pulls.toLocaleString('en-US')} / ${p.windowDays} d`;
  return p.severity === 'error' ? `${n} (over limit)` : n;
}

function writeTable(io: CliIO, rows: Row[], all: boolean, pulls?: Map<Finding, FindingPulls | undefined>): void {
  if (rows.length === 0) return;
  const header = ['LOCATION', 'IMAGE', 'REGISTRY', 'KIND', ...(pulls ? ['PULLS'] : []), ...(all ? ['PARTY'] : [])];
  const body = rows.map((r) => {
    const f = r.finding;
    const image = f.text === f.resolved || f.composite ? f.resolved : `${f.resolved} (${f.text})`;
    const kind = f.pulled ? f.kind : `${f.kind} (built)`;
    return [
      `${r.file}:${f.range.start.line + 1}:${f.range.start.character + 1}`,
      image,
      f.registry ?? '',
      kind,
      ...(pulls ? [pullsCell(pulls.get(f))] : []),
      ...(all ? [f.thirdParty ? 'third-party' : 'first-party'] : []),
    ];
  });
  // Capped so that one long digest or path does not widen every row; a longer cell shifts only its own row.
  const widths = header.map((h, i) => Math.min(Math.max(h.length, ...body.map((b) => b[i].length)), i === 0 ? 80 : i === 1 ? 60 : 50));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd() + '\n';
  io.stdout.write(line(header));
  for (const b of body) io.stdout.write(line(b));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Why problems matter although the exit status ignores them (see docs/scan.md). */
const PROBLEMS_NOTE = 'references in those places may be missing; problems do not change the exit status';

function writeSummary(
  io: CliIO,
  s: { rows: Row[]; thirdParty: Row[]; built: number; firstParty: number; ignored: number; errors: number; result: ScanResult; all: boolean; config: ProjectConfig },
): void {
  const files = new Set(s.thirdParty.map((r) => r.file)).size;
  const images = new Set(s.thirdParty.map((r) => r.finding.ref!.name)).size;
  const registries = [...new Set(s.thirdParty.map((r) => r.finding.registry!))];
  const out: string[] = [''];
  const problems = `${plural(s.errors, 'problem')} reported above on stderr (${PROBLEMS_NOTE}).`;
  if (s.result.filesRead === 0) {
    out.push('No Dockerfile, Containerfile or YAML file found. Give the directory of your manifests: ar-migrate scan PATH');
    if (s.errors) out.push(problems);
    io.stdout.write(out.join('\n') + '\n');
    return;
  }
  if (s.thirdParty.length === 0) {
    out.push(`No third-party image references in ${plural(s.result.files.length, 'file')} scanned${s.firstParty ? ` (${plural(s.firstParty, 'first-party reference')}${s.all ? '' : ', see --all'})` : ''}.`);
  } else {
    out.push(
      `Found ${plural(s.thirdParty.length, 'third-party image reference')} (${plural(images, 'distinct image')}) in ${files} of ${plural(s.result.files.length, 'file')} scanned, from ${registries.map(registryLabel).join(', ')}.`,
    );
  }
  const extra: string[] = [];
  if (s.firstParty && !s.all && s.thirdParty.length) extra.push(`${s.firstParty} first-party not shown (--all)`);
  if (s.built) extra.push(`${s.built} built here, not pulled`);
  if (s.ignored) extra.push(`${s.ignored} ignored`);
  if (extra.length) out.push(extra.join('; ') + '.');
  if (s.errors) out.push(problems);
  if (s.thirdParty.length) {
    const target = s.config.target ?? 'LOCATION-docker.pkg.dev/PROJECT/REPOSITORY';
    out.push(
      '',
      'Next steps:',
      '  ar-migrate pulls --log-file EXPORT.json    see how often each image is pulled (a `gcloud logging read` export,',
      '                                             or --bigquery PROJECT.DATASET for a log sink)',
      `  ar-migrate migrate --target ${target}`,
      '                                             mirror them into Artifact Registry and rewrite the references',
      `  Own registries count as first-party with --first-party HOST (or "firstPartyRegistries" in ${CONFIG_FILE_NAME});`,
      '  silence one reference with a "# ar-migrate: ignore" comment on the line above.',
    );
  }
  io.stdout.write(out.join('\n') + '\n');
}

// ---------------------------------------------------------------------------
// SARIF 2.1.0

const RULES: { id: string; name: string; text: string; level: 'error' | 'warning' | 'note' }[] = [
  { id: CODES.thirdParty, name: 'ThirdPartyImage', text: 'Container image pulled from a third-party registry instead of Artifact Registry.', level: 'warning' },
  { id: CODES.firstParty, name: 'FirstPartyImage', text: 'Container image from Artifact Registry, Container Registry or a configured first-party registry.', level: 'note' },
  { id: CODES.invalid, name: 'InvalidImageReference', text: 'The value is not a valid image reference (distribution/reference grammar).', level: 'error' },
  { id: CODES.yamlParse, name: 'YamlParseError', text: 'The YAML file could not be parsed; references in it may be missing.', level: 'error' },
  { id: CODES.extract, name: 'ExtractError', text: 'A problem while reading image references from the file.', level: 'warning' },
  { id: CODES.fileSkipped, name: 'FileSkipped', text: 'A file or directory could not be read or was too large.', level: 'note' },
];

function toSarif(rows: Row[], invalid: Row[], result: ScanResult, cwd: string): unknown {
  const ruleIndex = (id: string) => RULES.findIndex((r) => r.id === id);
  const uri = (file: string) => file.split('/').map(encodeURIComponent).join('/');
  const region = (f: Finding) => ({
    startLine: f.range.start.line + 1,
    startColumn: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
    snippet: { text: f.text },
  });
  const results: unknown[] = [];
  for (const r of [...rows, ...invalid]) {
    const f = r.finding;
    const id = f.error || !f.ref ? CODES.invalid : f.thirdParty ? CODES.thirdParty : CODES.firstParty;
    results.push({
      ruleId: id,
      ruleIndex: ruleIndex(id),
      level: RULES[ruleIndex(id)].level,
      message: { text: findingMessage(f) },
      locations: [{ physicalLocation: { artifactLocation: { uri: uri(r.file), uriBaseId: '%SRCROOT%' }, region: region(f) } }],
      ...(f.normalized ? { partialFingerprints: { imageReference: `${f.normalized}|${f.kind}` } } : {}),
      properties: { text: f.text, resolved: f.resolved, normalized: f.normalized, registry: f.registry, kind: f.kind, pulled: f.pulled },
    });
  }
  const kinds = new Map(result.files.map((f) => [f.path, f.fileKind]));
  for (const e of result.errors) {
    const id = e.line === undefined ? CODES.fileSkipped : errorCode(e, kinds.get(e.path));
    results.push({
      ruleId: id,
      ruleIndex: ruleIndex(id),
      level: RULES[ruleIndex(id)].level,
      message: { text: e.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uri(displayPath(cwd, e.path)), uriBaseId: '%SRCROOT%' },
            ...(e.line !== undefined ? { region: { startLine: e.line + 1 } } : {}),
          },
        },
      ],
    });
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'ar-migrate',
            version: VERSION,
            informationUri: 'https://cloud.google.com/artifact-registry/docs',
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.text },
              defaultConfiguration: { level: r.level },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd).href.replace(/\/?$/, '/') } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
