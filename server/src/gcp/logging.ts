/**
 * Image-pull logging: a Cloud Logging sink (v2 projects.sinks) in each
 * cluster project that routes kubelet "Pulling" events into one BigQuery
 * dataset, plus the dataset and the write access each sink's writer identity
 * needs. Idempotent: a second run changes nothing and says so.
 */
import { GcpApi } from './auth';
import { BigQueryAdmin, DatasetRef, datasetDisplay } from './bigqueryAdmin';
import { GcpError } from './errors';

export { validateProjectId } from './iam';

export const DEFAULT_SINK_NAME = 'image_pull_logs';
export const PULL_EVENTS_FILTER = 'resource.type="k8s_pod" jsonPayload.reason="Pulling"';

export interface LogSink {
  name: string;
  destination: string;
  filter?: string;
  description?: string;
  disabled?: boolean;
  writerIdentity?: string;
  bigqueryOptions?: { usePartitionedTables?: boolean; usesTimestampColumnPartitioning?: boolean };
  [k: string]: unknown;
}

export function bigqueryDestination(d: DatasetRef): string {
  return `bigquery.googleapis.com/projects/${d.project}/datasets/${d.datasetId}`;
}

/** Whitespace-insensitive filter comparison (Logging may reformat spacing). */
export function sameFilter(a: string | undefined, b: string | undefined): boolean {
  const n = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').replace(/\s*([=:<>!]+)\s*/g, '$1').trim();
  return n(a) === n(b);
}

function sinkPath(project: string, name?: string): string {
  return `/v2/projects/${encodeURIComponent(project)}/sinks${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export class CloudLogging {
  constructor(private readonly api: GcpApi) {}

  getSink(project: string, name: string, signal?: AbortSignal): Promise<LogSink | undefined> {
    return this.api.getOrUndefined<LogSink>('logging', {
      path: sinkPath(project, name),
      signal,
      action: `read log sink ${name} in project ${project}`,
      project,
    });
  }

  createSink(project: string, sink: LogSink, signal?: AbortSignal): Promise<LogSink> {
    return this.api.call<LogSink>('logging', {
      method: 'POST',
      path: sinkPath(project),
      query: { uniqueWriterIdentity: true },
      body: sink,
      signal,
      action: `create log sink ${sink.name} in project ${project}`,
      project,
    });
  }

  updateSink(project: string, sink: LogSink, updateMask: string[], signal?: AbortSignal): Promise<LogSink> {
    return this.api.call<LogSink>('logging', {
      method: 'PUT',
      path: sinkPath(project, sink.name),
      query: { uniqueWriterIdentity: true, updateMask: updateMask.join(',') },
      body: sink,
      signal,
      action: `update log sink ${sink.name} in project ${project}`,
      project,
    });
  }
}

export type SinkAction = 'created' | 'updated' | 'unchanged';

export interface SinkResult {
  project: string;
  sink: string;
  action: SinkAction;
  /** What changed, for 'updated' (destination, filter, disabled). */
  changed?: string[];
  writerIdentity?: string;
  /** Whether the writer identity was given write access now (false: it had it already). */
  grantAdded: boolean;
  partitioned: boolean;
}

export interface SetupLoggingOptions {
  /** Projects whose clusters' pulls are logged (one sink each). */
  projects: string[];
  dataset: DatasetRef;
  /** Dataset location for a new dataset (default US). */
  location?: string;
  sinkName?: string;
  filter?: string;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface SetupLoggingResult {
  dataset: DatasetRef;
  datasetCreated: boolean;
  datasetLocation?: string;
  /** Set when the existing dataset is in another location than asked. */
  locationNote?: string;
  sinks: SinkResult[];
  /** False when this run changed nothing. */
  changed: boolean;
  /** Settings for pull counts (VS Code settings / CLI). */
  pullCountSettings: PullCountSettings;
}

export interface PullCountSettings {
  'arMigrate.pullCounts.source': 'bigquery';
  'arMigrate.pullCounts.bigquery.dataset': string;
  'arMigrate.pullCounts.bigquery.location'?: string;
  'arMigrate.pullCounts.bigquery.partitioned': boolean;
  /** Table(s) the sink writes: PROJECT.DATASET.events (partitioned) or PROJECT.DATASET.events_YYYYMMDD. */
  table: string;
  /** The matching `ar-migrate pulls` command. */
  cli: string;
}

/**
 * Creates or fixes the dataset, the sinks and the grants. Throws GcpError on
 * the first failure (with what was already done in `partial` on the error).
 */
export async function setupPullLogging(api: GcpApi, options: SetupLoggingOptions): Promise<SetupLoggingResult> {
  const logging = new CloudLogging(api);
  const bq = new BigQueryAdmin(api);
  const sinkName = options.sinkName ?? DEFAULT_SINK_NAME;
  const filter = options.filter ?? PULL_EVENTS_FILTER;
  const location = options.location ?? 'US';
  const destination = bigqueryDestination(options.dataset);
  const progress = options.onProgress ?? (() => undefined);
  const signal = options.signal;
  const projects = [...new Set(options.projects.map((p) => p.trim()).filter(Boolean))];

  progress(`Checking BigQuery dataset ${datasetDisplay(options.dataset)}`);
  const { dataset, created } = await bq.ensureDataset(options.dataset, location, signal);
  progress(created ? `Created dataset ${datasetDisplay(options.dataset)} in ${dataset.location ?? location}` : `Dataset ${datasetDisplay(options.dataset)} exists`);
  let locationNote: string | undefined;
  if (!created && dataset.location && options.location && dataset.location.toLowerCase() !== options.location.toLowerCase()) {
    locationNote = `Dataset ${datasetDisplay(options.dataset)} already exists in ${dataset.location}, not ${options.location}; it is used as it is (a dataset's location cannot change).`;
  }

  const sinks: SinkResult[] = [];
  for (const project of projects) {
    if (signal?.aborted) throw new GcpError('cancelled', 'Cancelled.');
    progress(`Checking log sink ${sinkName} in project ${project}`);
    const existing = await logging.getSink(project, sinkName, signal);
    let sink: LogSink;
    let action: SinkAction;
    let changed: string[] | undefined;
    if (!existing) {
      sink = await logging.createSink(
        project,
        {
          name: sinkName,
          destination,
          filter,
          description: 'Kubernetes image pull events for ar-migrate pull counts',
          bigqueryOptions: { usePartitionedTables: true },
        },
        signal,
      );
      action = 'created';
      progress(`Created sink ${sinkName} in ${project}`);
    } else {
      changed = [];
      if (existing.destination !== destination) changed.push('destination');
      if (!sameFilter(existing.filter, filter)) changed.push('filter');
      if (existing.disabled) changed.push('disabled');
      const needsUniqueWriter = !existing.writerIdentity || /cloud-logs@system\.gserviceaccount\.com/.test(existing.writerIdentity);
      if (changed.length > 0 || needsUniqueWriter) {
        sink = await logging.updateSink(
          project,
          { ...existing, name: sinkName, destination, filter, disabled: false },
          changed.length > 0 ? changed : ['destination'],
          signal,
        );
        action = 'updated';
        if (changed.length === 0) changed.push('writerIdentity');
        progress(`Updated sink ${sinkName} in ${project} (${changed.join(', ')})`);
      } else {
        sink = existing;
        action = 'unchanged';
      }
    }
    if (!sink.writerIdentity) {
      throw new GcpError('unknown', `Log sink ${sinkName} in project ${project} has no writer identity; cannot grant it access to the dataset.`);
    }
    sinks.push({
      project,
      sink: sinkName,
      action,
      ...(changed && changed.length ? { changed } : {}),
      writerIdentity: sink.writerIdentity,
      grantAdded: false,
      partitioned: !!sink.bigqueryOptions?.usePartitionedTables,
    });
  }

  // The step people forget: each sink's writer identity needs write access on the dataset.
  const writers = [...new Set(sinks.map((s) => s.writerIdentity!))];
  if (writers.length > 0) {
    progress(`Checking that ${writers.length} sink writer identit${writers.length === 1 ? 'y' : 'ies'} can write to ${datasetDisplay(options.dataset)}`);
    const added = new Set(await bq.grantWriters(options.dataset, writers, signal));
    for (const s of sinks) s.grantAdded = added.has(s.writerIdentity!);
    if (added.size) progress(`Granted write access (BigQuery Data Editor) on ${datasetDisplay(options.dataset)} to ${[...added].join(', ')}`);
  }

  const partitioned = sinks.length > 0 ? sinks.every((s) => s.partitioned) : true;
  const d = options.dataset;
  return {
    dataset: d,
    datasetCreated: created,
    datasetLocation: dataset.location,
    ...(locationNote ? { locationNote } : {}),
    sinks,
    changed: created || sinks.some((s) => s.action !== 'unchanged' || s.grantAdded),
    pullCountSettings: {
      'arMigrate.pullCounts.source': 'bigquery',
      'arMigrate.pullCounts.bigquery.dataset': `${d.project}.${d.datasetId}`,
      ...(dataset.location ? { 'arMigrate.pullCounts.bigquery.location': dataset.location } : {}),
      'arMigrate.pullCounts.bigquery.partitioned': partitioned,
      table: partitioned ? `${d.project}.${d.datasetId}.events` : `${d.project}.${d.datasetId}.events_YYYYMMDD`,
      cli:
        `ar-migrate pulls --bigquery ${d.project}.${d.datasetId}` +
        (dataset.location ? ` --location ${dataset.location}` : '') +
        (partitioned ? ' --partitioned' : ''),
    },
  };
}
