/**
 * Worker thread of the parallel scan (workspace/scan.ts, `parallel` option):
 * reads files, extracts their references and applies the policy, exactly as
 * the calling thread does (scanText). Bundled as dist/scanWorker.js.
 *
 * Protocol: workerData `{ maxFileSize?, policy, keepText, current: SharedArrayBuffer }`;
 * the worker says `{ ready: true }` once loaded; each message
 * `{ batch, files }` is answered by `{ batch, results }`, one result per file,
 * in order. Several batches may be queued at once (so the worker never waits
 * for the calling thread between batches); they are answered in the order
 * sent. Before each file the worker stores the file's index in the batch in
 * `current[0]` and the batch number in `current[1]`, so that the calling
 * thread can name the file if the worker dies on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Policy, PolicyOptions } from '../references/policy';
import { readTextFile, scanText, WorkerFileResult, WorkerRequest, WorkerResponse } from './scan';

const data = workerData as { maxFileSize?: number; policy?: PolicyOptions; keepText?: boolean; current: SharedArrayBuffer };
const current = new Int32Array(data.current);
const policy = new Policy(data.policy);

function scanFile(file: string): WorkerFileResult {
  const read = readTextFile(file, data.maxFileSize);
  if (!('text' in read)) return read;
  const scan = scanText(file, read.text, policy);
  return data.keepText ? { scan, text: read.text } : { scan };
}

parentPort?.on('message', (m: WorkerRequest) => {
  Atomics.store(current, 1, m.batch);
  const results: WorkerFileResult[] = [];
  for (let i = 0; i < m.files.length; i++) {
    Atomics.store(current, 0, i);
    results.push(scanFile(m.files[i]));
  }
  const res: WorkerResponse = { batch: m.batch, results };
  parentPort!.postMessage(res);
});
parentPort?.postMessage({ ready: true });
