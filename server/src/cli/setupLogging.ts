/**
 * `ar-migrate setup-logging --projects P1,P2 --dataset DEST_PROJECT.DATASET [--location US]`:
 * routes kubelet "Pulling" events of each project's clusters into one BigQuery
 * dataset (the source of pull counts). Idempotent.
 */
import { parseArgs } from 'node:util';
import { GcpApi } from '../gcp/auth';
import { parseDatasetRef } from '../gcp/bigqueryAdmin';
import { DEFAULT_SINK_NAME, PULL_EVENTS_FILTER, SetupLoggingResult, setupPullLogging, validateProjectId } from '../gcp/logging';
import { CliIO, list, UsageError } from './io';

const HELP = `Usage: ar-migrate setup-logging --projects P1,P2 --dataset DEST_PROJECT.DATASET [options]

Sets up image-pull logging for pull counts:
  1. creates the BigQuery dataset when missing (datasets.insert),
  2. creates or updates a log sink "${DEFAULT_SINK_NAME}" in each project, with a unique
     writer identity, filter
       ${PULL_EVENTS_FILTER}
     and destination bigquery.googleapis.com/projects/DEST_PROJECT/datasets/DATASET,
  3. gives each sink's writer identity write access on the dataset
     (BigQuery Data Editor) — without it no row ever arrives.
Running it again changes nothing and says so.

  --projects P1,P2      projects whose GKE clusters' pulls are logged (repeatable)
  --dataset P.DATASET   destination dataset (created when missing)
  --location LOC        location of a new dataset (default US)
  --sink NAME           sink name (default ${DEFAULT_SINK_NAME})
  --json                machine-readable result
  -h, --help            this help

Credentials: Application Default Credentials (\`gcloud auth application-default login\`).
Needs roles/logging.configWriter in each project and BigQuery dataset admin rights on the dataset.
`;

export function formatResult(r: SetupLoggingResult): string {
  const ds = `${r.dataset.project}.${r.dataset.datasetId}`;
  const lines: string[] = [];
  lines.push(r.datasetCreated ? `Created BigQuery dataset ${ds} (${r.datasetLocation ?? ''}).` : `BigQuery dataset ${ds} exists (${r.datasetLocation ?? 'location unknown'}).`);
  if (r.locationNote) lines.push(`Note: ${r.locationNote}`);
  for (const s of r.sinks) {
    const what =
      s.action === 'created'
        ? 'created'
        : s.action === 'updated'
          ? `updated (${(s.changed ?? []).join(', ')})`
          : 'already set up';
    lines.push(`Sink ${s.sink} in ${s.project}: ${what}; writer ${s.writerIdentity}${s.grantAdded ? ' — granted write access on the dataset' : ' has write access'}.`);
  }
  const mixed = r.sinks.some((s) => s.partitioned) && r.sinks.some((s) => !s.partitioned);
  if (mixed) lines.push('Note: some sinks write one partitioned table "events", others daily tables "events_YYYYMMDD".');
  lines.push('');
  lines.push(r.changed ? 'Done.' : 'Nothing to change: pull logging was already set up.');
  lines.push('');
  const p = r.pullCountSettings;
  lines.push('Pull counts (events arrive from now on, within a few minutes of each pull): use these settings');
  lines.push(`  VS Code settings.json:`);
  lines.push(`    "arMigrate.pullCounts.source": "bigquery",`);
  lines.push(`    "arMigrate.pullCounts.bigquery.dataset": "${p['arMigrate.pullCounts.bigquery.dataset']}",`);
  if (p['arMigrate.pullCounts.bigquery.location']) lines.push(`    "arMigrate.pullCounts.bigquery.location": "${p['arMigrate.pullCounts.bigquery.location']}",`);
  lines.push(`    "arMigrate.pullCounts.bigquery.partitioned": ${p['arMigrate.pullCounts.bigquery.partitioned']}`);
  lines.push(`  Table: ${p.table}`);
  lines.push(`  CLI: ${p.cli}`);
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        projects: { type: 'string', multiple: true },
        project: { type: 'string', multiple: true },
        dataset: { type: 'string' },
        location: { type: 'string' },
        sink: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const projects = [...list(values.projects), ...list(values.project)].flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  if (projects.length === 0) throw new UsageError('--projects is required: the projects whose clusters pull images (P1,P2)');
  for (const p of projects) {
    const err = validateProjectId(p);
    if (err) throw new UsageError(`--projects: ${err}`);
  }
  if (!values.dataset) throw new UsageError('--dataset is required: DEST_PROJECT.DATASET, e.g. my-logs-project.image_pulls');
  const ds = parseDatasetRef(values.dataset as string);
  if (!ds.ok) throw new UsageError(`--dataset: ${ds.error}`);
  const location = ((values.location as string | undefined) ?? '').trim() || undefined;
  if (location !== undefined && !/^[A-Za-z]+(?:-[a-z]+[0-9]*)?$/.test(location)) {
    throw new UsageError(`--location: "${location}" is not a BigQuery location (e.g. US, EU, europe-west1)`);
  }
  const sinkName = values.sink as string | undefined;
  if (sinkName !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(sinkName)) {
    throw new UsageError(`--sink: "${sinkName}" is not a valid sink name (letters, digits, _ - ., up to 100)`);
  }
  const json = !!values.json;
  const api = new GcpApi({ env: io.env });
  const result = await setupPullLogging(api, {
    projects,
    dataset: ds.value,
    location,
    sinkName,
    signal: io.signal,
    onProgress: (m) => {
      if (!json || io.isTTY) io.stderr.write(`${m}\n`);
    },
  });
  io.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : formatResult(result));
  return 0;
}
