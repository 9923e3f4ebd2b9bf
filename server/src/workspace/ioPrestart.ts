/**
 * Starting the scan's I/O thread (scanIoWorker.ts) early: the CLI starts it
 * as soon as it knows the command is `scan`, before the command's bundle is
 * even loaded, and the scan hands it its job when it gets there. A Node
 * worker takes some tens of milliseconds to boot; this way that overlaps
 * with loading the scan code, reading the arguments and the config. The
 * handle goes through a global because the dispatcher and the command are
 * separate bundles.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

const KEY = Symbol.for('ar-migrate.scan.ioWorker');

interface Slot {
  script: string;
  worker: Worker;
  exited: boolean;
}

type Holder = { [KEY]?: Slot };

/** Starts `script` as a deferred I/O thread: it waits for its job (the first message). Never throws. */
export function prestartScanIo(script: string): void {
  try {
    const worker = new Worker(script, { workerData: { deferred: true } });
    const slot: Slot = { script: path.resolve(script), worker, exited: false };
    // Unused (e.g. a usage error), it must neither keep the process alive nor crash it.
    worker.unref();
    worker.on('error', () => undefined);
    worker.on('exit', () => (slot.exited = true));
    (globalThis as Holder)[KEY] = slot;
  } catch {
    // no early thread: the scan starts its own
  }
}

/** The early I/O thread for `script`, once (referenced again); undefined when there is none or it is gone. */
export function takePrestartedIo(script: string): Worker | undefined {
  const holder = globalThis as Holder;
  const slot = holder[KEY];
  if (!slot) return undefined;
  delete holder[KEY];
  if (slot.exited || slot.script !== path.resolve(script)) {
    void slot.worker.terminate();
    return undefined;
  }
  slot.worker.ref();
  return slot.worker;
}
