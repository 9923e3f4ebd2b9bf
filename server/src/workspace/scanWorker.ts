/**
 * Worker thread of the parallel scan (workspace/scan.ts, `parallel` option):
 * reads files and extracts their references (policy-free); the main thread
 * applies the policy. Bundled as dist/scanWorker.js.
 *
 * Protocol: workerData `{ maxFileSize?, current: SharedArrayBuffer }`; the
 * worker says `{ ready: true }` once loaded; each
 * message `{ batch, files }` is answered by `{ batch, results }`, one result
 * per file, in order. Before each file the worker stores the file's index in
 * the batch in `current[0]`, so that the main thread can name the file if the
 * worker dies on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { extractReferences } from '../extract';
import { readTextFile } from './walk';
import type { WorkerFileResult, WorkerRequest, WorkerResponse } from './scan';

const data = workerData as { maxFileSize?: number; current: SharedArrayBuffer };
const current = new Int32Array(data.current);

function scanFile(file: string): WorkerFileResult {
  const read = readTextFile(file, data.maxFileSize);
  if (!('text' in read)) return read;
  try {
    return { text: read.text, extracted: extractReferences(file, read.text) };
  } catch (err) {
    return { text: read.text, thrown: `${(err as Error)?.message ?? err}` };
  }
}

parentPort?.on('message', (m: WorkerRequest) => {
  const results: WorkerFileResult[] = [];
  for (let i = 0; i < m.files.length; i++) {
    Atomics.store(current, 0, i);
    results.push(scanFile(m.files[i]));
  }
  const res: WorkerResponse = { batch: m.batch, results };
  parentPort!.postMessage(res);
});
parentPort?.postMessage({ ready: true });
