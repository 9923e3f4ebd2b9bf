/**
 * Pull counts from a log export file: the JSON array written by
 * `gcloud logging read 'resource.type="k8s_pod" jsonPayload.reason="Pulling"' --format=json`
 * or newline-delimited JSON (one LogEntry per line, e.g. a Cloud Storage sink
 * export), optionally gzip-compressed (.gz). Streamed: memory stays bounded
 * and the event loop keeps turning on files with millions of entries.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import { CountsBuilder, PullCounts, PullWindow, SourceInfo } from './counts';
import { PullError } from './errors';
import { JsonEntryTokenizer } from './jsonStream';

/** `Pulling image "nginx:1.14.2"` (any case; quotes optional). */
const PULLING_RE = /pulling image\s+(?:"([^"]*)"|(\S+))/i;

export interface PullEvent {
  image: string;
  timeMs: number;
  cluster?: string;
}

export type EntryVerdict =
  | { kind: 'pull'; event: PullEvent }
  | { kind: 'other' } // a different reason
  | { kind: 'invalid'; message: string };

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Interprets one log entry (Cloud Logging LogEntry with jsonPayload, or a bare
 * Kubernetes Event object). Only reason "Pulling" counts.
 */
export function interpretEntry(o: any): EntryVerdict {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { kind: 'invalid', message: 'entry is not a JSON object' };
  const payload = o.jsonPayload && typeof o.jsonPayload === 'object' ? o.jsonPayload : o;
  const reason = str(payload.reason);
  const message = str(payload.message) ?? str(payload.note) ?? str(o.textPayload);
  if (reason !== undefined && reason.toLowerCase() !== 'pulling') return { kind: 'other' };
  if (!message) return reason === undefined ? { kind: 'other' } : { kind: 'invalid', message: 'Pulling event without a message' };
  const m = PULLING_RE.exec(message);
  if (!m) return reason === undefined ? { kind: 'other' } : { kind: 'invalid', message: `Pulling event message without an image: ${JSON.stringify(message.slice(0, 80))}` };
  const ts =
    str(o.timestamp) ??
    str(o.receiveTimestamp) ??
    str(payload.eventTime) ??
    str(payload.lastTimestamp) ??
    str(payload.firstTimestamp) ??
    str(payload.metadata?.creationTimestamp);
  const timeMs = ts ? Date.parse(ts) : NaN;
  if (!Number.isFinite(timeMs)) return { kind: 'invalid', message: ts ? `invalid timestamp ${JSON.stringify(ts)}` : 'Pulling event without a timestamp' };
  const labels = o.resource?.labels ?? {};
  const cluster = str(labels.cluster_name) ?? str(labels.cluster) ?? undefined;
  return { kind: 'pull', event: { image: m[1] ?? m[2], timeMs, cluster } };
}

export interface LogFileOptions {
  window: PullWindow;
  signal?: AbortSignal;
  /** Called now and then with bytes read and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Keep at most this many line-level problems in the warnings (default 20). */
  maxWarnings?: number;
  /** Read chunk size (default 64 KiB: chunk strings stay in the young generation). */
  chunkSize?: number;
  /** Read this stream instead of opening `file` (e.g. stdin for `--log-file -`); `file` names it in messages. */
  input?: NodeJS.ReadableStream;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function unreadable(file: string, err: any): PullError {
  const code = err?.code;
  const why =
    code === 'ENOENT'
      ? 'file not found'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : String(err?.message ?? err);
  return new PullError('file-unreadable', `Cannot read log file ${file}: ${why}.`, code);
}

/** Reads a log export and counts Pulling events inside the window. Throws PullError when the file cannot be read at all. */
export async function countPullsFromLogFile(file: string, options: LogFileOptions): Promise<PullCounts> {
  let size = 0;
  if (!options.input) {
    try {
      const st = await fs.promises.stat(file);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      size = st.size;
    } catch (err) {
      throw unreadable(file, err);
    }
  }
  const startMs = Date.parse(options.window.start);
  const endMs = Date.parse(options.window.end);
  const builder = new CountsBuilder();
  const maxWarnings = options.maxWarnings ?? 20;
  const problems: string[] = [];
  let problemCount = 0;
  let firstProblemLine = 0;
  let entriesRead = 0;
  let parsedEntries = 0;
  let pullEvents = 0;
  let outside = 0;
  let oldest = Infinity;
  let newest = -Infinity;
  const problem = (line: number, message: string) => {
    problemCount++;
    if (!firstProblemLine) firstProblemLine = line;
    if (problems.length < maxWarnings) problems.push(`${file}:${line}: ${message}`);
  };

  const tokenizer = new JsonEntryTokenizer({
    entry(text, line) {
      entriesRead++;
      let o: unknown;
      try {
        o = JSON.parse(text);
      } catch (err) {
        problem(line, `malformed entry: ${(err as Error).message.replace(/\s+in JSON at position \d+.*$/, '')}`);
        return;
      }
      parsedEntries++;
      const v = interpretEntry(o);
      if (v.kind === 'other') return;
      if (v.kind === 'invalid') {
        problem(line, v.message);
        return;
      }
      pullEvents++;
      const t = v.event.timeMs;
      if (t < oldest) oldest = t;
      if (t > newest) newest = t;
      if (t < startMs || t >= endMs) {
        outside++;
        return;
      }
      builder.add(v.event.image, t, v.event.cluster);
    },
    error: problem,
  });

  const gz = /\.gz$/i.test(file);
  let stream: NodeJS.ReadableStream;
  try {
    const raw: NodeJS.ReadableStream = options.input ?? fs.createReadStream(file, { highWaterMark: options.chunkSize ?? 64 * 1024 });
    stream = gz ? raw.pipe(zlib.createGunzip()) : raw;
    if (gz) raw.on('error', (err) => (stream as any).destroy?.(err));
  } catch (err) {
    throw unreadable(file, err);
  }
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let lastYield = Date.now();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new PullError('cancelled', `Reading ${file} was cancelled.`);
      bytes += chunk.length;
      tokenizer.write(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      if (Date.now() - lastYield > 10) {
        options.onProgress?.(gz ? Math.min(bytes, size) : bytes, size);
        await yieldToLoop();
        lastYield = Date.now();
      }
    }
    tokenizer.write(decoder.end());
    tokenizer.end();
  } catch (err) {
    if (err instanceof PullError) throw err;
    const e = err as any;
    if (gz && (e?.code === 'Z_DATA_ERROR' || e?.code === 'Z_BUF_ERROR' || e?.errno === -5)) {
      tokenizer.end();
      problem(tokenizer.line, `compressed data is corrupt or truncated (${e.code ?? e.message})`);
    } else throw unreadable(file, err);
  }
  options.onProgress?.(size, size);

  const warnings: string[] = [...problems];
  if (problemCount > problems.length) warnings.push(`${file}: ${problemCount - problems.length} more problem(s) not shown`);
  if (entriesRead === 0 && problemCount === 0) warnings.push(`${file}: the file holds no log entries`);
  if (parsedEntries === 0 && problemCount > 0) {
    throw new PullError('file-malformed', `Log file ${file} has no readable entries (first problem at line ${firstProblemLine}: ${problems[0]?.replace(/^.*?:\d+: /, '') ?? 'unknown'}). Expected the JSON array from \`gcloud logging read ... --format=json\` or newline-delimited JSON.`);
  }
  if (pullEvents > 0 && outside === pullEvents) {
    warnings.push(
      `${file}: all ${pullEvents} Pulling events are outside the ${options.window.days}-day window ending ${options.window.end} (events from ${new Date(oldest).toISOString()} to ${new Date(newest).toISOString()}); use a longer window (--days).`,
    );
  }
  const source: SourceInfo = {
    kind: 'logFile',
    description: `log file ${file}`,
    file,
    fetchedAt: new Date().toISOString(),
    entriesRead,
    pullEvents,
    outsideWindow: outside,
    malformed: problemCount,
  };
  return builder.build(options.window, source, warnings);
}
