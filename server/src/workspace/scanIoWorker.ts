/**
 * The I/O thread of `scanPaths(..., { parallel: true })` (workspace/scan.ts):
 * walks the roots exactly as the calling thread would and reads each file,
 * sending batches `{ files, reads }` in walk order, then `{ done, problems }`
 * (or `{ failed }`). Directory listing and file reads are about a quarter of
 * a scan; here they overlap with the extraction in the calling thread. Small
 * code (no extractors), so the thread starts in a few tens of milliseconds.
 * Bundled as dist/scanIoWorker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IoWorkerData, IoWorkerMessage } from './scan';
import { readTextFile, ReadResult, walk } from './walk';

const port = parentPort!;
let files: string[] = [];
let reads: ReadResult[] = [];
let sent = 0;
const send = (m: IoWorkerMessage) => port.postMessage(m);
const flush = () => {
  if (files.length === 0) return;
  send({ files, reads });
  sent += files.length;
  files = [];
  reads = [];
};

function run(data: IoWorkerData): void {
  walk(data.roots, {
    skipDirs: data.skipDirs,
    exclude: data.exclude,
    maxFiles: data.maxFiles,
    maxFileSize: data.maxFileSize,
    onFile: (f) => {
      files.push(f.path);
      reads.push(readTextFile(f.path, data.maxFileSize));
      // Small batches first, so that the other thread starts at once; then fewer messages.
      if (files.length >= (sent < 64 ? 8 : 64)) flush();
    },
  }).then(
    (r) => {
      flush();
      send({ done: true, problems: r.problems });
    },
    (err) => send({ failed: String((err as Error)?.message ?? err) }),
  );
}

// Started early by the CLI (ioPrestart.ts), the job comes as the first message.
if ((workerData as { deferred?: boolean } | undefined)?.deferred) port.once('message', (d: IoWorkerData) => run(d));
else run(workerData as IoWorkerData);
