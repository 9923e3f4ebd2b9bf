/**
 * scanPaths with worker threads (`parallel`) gives exactly the sequential
 * result (files, findings, errors, order), survives a worker that dies (an
 * error names the file, the other files are still scanned) and is cancellable.
 * The worker is the real scanWorker.ts, bundled here with esbuild.
 */
import * as assert from 'assert';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Policy } from '../../../server/src/references/policy';
import { PARALLEL_MIN_FILES, scanPaths } from '../../../server/src/workspace/scan';
import { walk } from '../../../server/src/workspace/walk';
import { prestartScanIo, takePrestartedIo } from '../../../server/src/workspace/ioPrestart';

const ROOT = path.resolve(__dirname, '../../..');

function write(root: string, rel: string, text: string | Buffer) {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}

/** A tree of `n` candidate files of every sort the scan meets. */
function makeTree(root: string, n: number) {
  for (let i = 0; i < n; i++) {
    const d = `svc${i % 37}/m${i}`;
    switch (i % 9) {
      case 0:
        write(root, `${d}/Dockerfile`, `ARG BASE=alpine:3.${i % 20}\nFROM \${BASE} AS b\nRUN echo \\\n  hi\nFROM nginx:1.${i}\nCOPY --from=b /a /a\nCOPY --from=busybox:1.36 /bin/sh /sh\n`);
        break;
      case 1:
        write(root, `${d}/Dockerfile.dev`, `# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM golang:1.${i % 23}\nRUN --mount=type=cache,from=quay.io/x/cache:${i},target=/c go build\n`);
        break;
      case 2:
        write(root, `${d}/deploy.yaml`, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a${i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: quay.io/org/app:${i}\n        - name: b\n          image: us-docker.pkg.dev/p/r/b:${i} # first-party\n        - name: c\n          image: "Bad/UPPER:1"\n`);
        break;
      case 3:
        write(root, `${d}/compose.yml`, `services:\n  web:\n    image: redis:7.${i % 9}\n  db:\n    image: postgres:16\n    # ar-migrate: ignore\n`);
        break;
      case 4:
        write(root, `${d}/broken.yaml`, `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: [unclosed\n`);
        break;
      case 5:
        write(root, `${d}/values.yml`, `replicas: ${i}\nname: x\n`);
        break;
      case 6:
        write(root, `${d}/bin.yaml`, Buffer.from([0, 1, 2, 3, 0, 9]));
        break;
      case 7:
        write(root, `${d}/big.yaml`, `# ${'x'.repeat(3000)}\nimage: nginx\n`);
        break;
      default:
        write(root, `${d}/Containerfile`, `FROM ${i % 2 ? 'scratch' : `ghcr.io/o/r:${i}`}\n`);
    }
  }
}

describe('scanPaths with the I/O thread (parallel: true)', function () {
  this.timeout(180000);
  let tmp: string;
  let io: string;
  const policy = new Policy({ firstPartyRegistries: ['ghcr.io/o/**'], ignoredImages: ['docker.io/library/redis:7.1'] });
  const common = () => ({ policy, maxFileSize: 2048, keepText: true });

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-scanio-'));
    io = path.join(tmp, 'scanIoWorker.js');
    await esbuild.build({ entryPoints: [path.join(ROOT, 'server/src/workspace/scanIoWorker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: io, logLevel: 'warning' });
    makeTree(path.join(tmp, 'tree'), 400);
    write(tmp, 'tree/node_modules/x/Dockerfile', 'FROM skipped:1\n');
    write(tmp, 'tree/notes.txt', 'FROM alpine:3\n');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('gives the sequential result exactly, with every walk option and explicit files', async function () {
    const variants: object[] = [{}, { exclude: ['svc3/**', '**/values.yml'] }, { skipDirs: [] }, { maxFiles: 100 }, { maxFileSize: 100 }];
    for (const v of variants) {
      const roots = [path.join(tmp, 'tree'), path.join(tmp, 'tree/notes.txt'), path.join(tmp, 'missing')];
      const seq = await scanPaths(roots, { ...common(), ...v });
      let progress = 0;
      const par = await scanPaths(roots, { ...common(), ...v, parallel: true, ioWorkerScript: io, onProgress: (done, total) => (progress = Math.max(progress, done), assert.ok(done <= total)) });
      assert.ok(seq.files.length > 50, `${seq.files.length} files`);
      assert.deepStrictEqual(par, seq, JSON.stringify(v));
      assert.strictEqual(progress, seq.filesRead);
    }
  });

  it('documents held elsewhere (override) win over the disk', async function () {
    const roots = [path.join(tmp, 'tree')];
    const target = (await walk(roots)).files[5].path;
    const override = (f: string) => (f === target ? { fileKind: 'dockerfile' as const, findings: [], errors: [{ line: 0, message: 'from memory' }], text: 'FROM x' } : undefined);
    const seq = await scanPaths(roots, { ...common(), override });
    const par = await scanPaths(roots, { ...common(), override, parallel: true, ioWorkerScript: io });
    assert.deepStrictEqual(par, seq);
    assert.ok(par.errors.some((e) => e.path === target && e.message === 'from memory'));
  });

  it('an I/O thread that fails to start, fails, or dies half-way: the same result from this thread', async function () {
    const roots = [path.join(tmp, 'tree')];
    const seq = await scanPaths(roots, common());
    const broken = path.join(tmp, 'broken.js');
    fs.writeFileSync(broken, `throw new Error('boom');\n`);
    const failing = path.join(tmp, 'failing.js');
    fs.writeFileSync(failing, `require('node:worker_threads').parentPort.postMessage({ failed: 'walk failed' });\n`);
    const dying = path.join(tmp, 'dying.js');
    // Forwards the real thread's first batch, then exits before the walk is over.
    fs.writeFileSync(
      dying,
      `const wt = require('node:worker_threads');
const real = wt.parentPort.postMessage.bind(wt.parentPort);
let n = 0;
wt.parentPort.postMessage = (m) => { real(m); if (++n === 2) process.exit(3); };
require(${JSON.stringify(io)});
`,
    );
    for (const script of [broken, failing, dying, path.join(tmp, 'missing.js')]) {
      const par = await scanPaths(roots, { ...common(), parallel: true, ioWorkerScript: script });
      assert.deepStrictEqual(par, seq, path.basename(script));
    }
  });

  it('an I/O thread started early (as the CLI does) gets its job by message; a stale or dead one is replaced', async function () {
    const roots = [path.join(tmp, 'tree')];
    const seq = await scanPaths(roots, common());
    prestartScanIo(io);
    assert.deepStrictEqual(await scanPaths(roots, { ...common(), parallel: true, ioWorkerScript: io }), seq);
    assert.strictEqual(takePrestartedIo(io), undefined, 'the scan took the early thread');
    // Started for another script: not used (terminated), the scan starts its own.
    const other = path.join(tmp, 'other.js');
    fs.copyFileSync(io, other);
    prestartScanIo(other);
    assert.deepStrictEqual(await scanPaths(roots, { ...common(), parallel: true, ioWorkerScript: io }), seq);
    assert.strictEqual(takePrestartedIo(other), undefined, 'taken once');
    // Dead before the scan takes it.
    const quitter = path.join(tmp, 'quitter.js');
    fs.writeFileSync(quitter, 'process.exit(0);\n');
    prestartScanIo(quitter);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepStrictEqual(await scanPaths(roots, { ...common(), parallel: true, ioWorkerScript: quitter }), seq);
  });

  it('is cancellable', async function () {
    const ac = new AbortController();
    const p = scanPaths([path.join(tmp, 'tree')], { ...common(), parallel: true, ioWorkerScript: io, signal: ac.signal, onProgress: (done) => done >= 20 && ac.abort() });
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    const ac2 = new AbortController();
    const p2 = scanPaths([path.join(tmp, 'tree')], { ...common(), parallel: true, ioWorkerScript: io, signal: ac2.signal });
    setImmediate(() => ac2.abort());
    await assert.rejects(p2, (e: Error) => e.name === 'AbortError');
  });
});

describe('scanPaths in worker threads', function () {
  this.timeout(180000);
  let tmp: string;
  let worker: string;
  const policy = new Policy({ firstPartyRegistries: ['ghcr.io/o/**'], ignoredImages: ['docker.io/library/redis:7.1'] });

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-scanpar-'));
    worker = path.join(tmp, 'scanWorker.js');
    await esbuild.build({ entryPoints: [path.join(ROOT, 'server/src/workspace/scanWorker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: worker, logLevel: 'warning' });
    makeTree(path.join(tmp, 'tree'), PARALLEL_MIN_FILES + 250);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const common = () => ({ policy, maxFileSize: 2048, keepText: true });

  it('gives the sequential result exactly (files, findings, errors, order)', async function () {
    const roots = [path.join(tmp, 'tree')];
    const seq = await scanPaths(roots, common());
    let progress = 0;
    const par = await scanPaths(roots, { ...common(), parallel: 2, workerScript: worker, onProgress: (done, total) => (progress = Math.max(progress, done), assert.ok(done <= total)) });
    assert.ok(seq.files.length > 300, `${seq.files.length} files`);
    assert.ok(seq.errors.length > 100, `${seq.errors.length} errors`);
    assert.deepStrictEqual(par, seq);
    assert.strictEqual(progress, seq.filesRead);
  });

  it('falls back to this thread below the file threshold or without a worker script', async function () {
    const small = path.join(tmp, 'tree/svc1');
    const a = await scanPaths([small], { ...common(), parallel: 2, workerScript: path.join(tmp, 'missing.js') });
    const b = await scanPaths([small], common());
    assert.deepStrictEqual(a, b);
    const c = await scanPaths([path.join(tmp, 'tree')], { ...common(), parallel: 2, workerScript: path.join(tmp, 'missing.js') });
    assert.deepStrictEqual(c, await scanPaths([path.join(tmp, 'tree')], common()));
  });

  it('a worker that dies: an error names the file, every other file is still scanned', async function () {
    // The real worker, preceded by a handler that kills the thread on the 4th file of its first batch
    // (the first batch always goes to a worker).
    const crashing = path.join(tmp, 'crashWorker.js');
    fs.writeFileSync(
      crashing,
      `const { parentPort, workerData } = require('node:worker_threads');
const current = new Int32Array(workerData.current);
parentPort.on('message', (m) => {
  if (m.batch === 0) { Atomics.store(current, 0, 3); process.exit(7); }
});
require(${JSON.stringify(worker)});
`,
    );
    const roots = [path.join(tmp, 'tree')];
    const seq = await scanPaths(roots, common());
    const par = await scanPaths(roots, { ...common(), parallel: 1, workerScript: crashing });
    const dead = (await walk(roots)).files[3].path;
    const crashErr = par.errors.filter((e) => /scan stopped while reading this file/.test(e.message));
    assert.deepStrictEqual(crashErr.map((e) => e.path), [dead]);
    assert.match(crashErr[0].message, /exited with code 7/);
    assert.deepStrictEqual(par.files, seq.files.filter((f) => f.path !== dead));
    assert.deepStrictEqual(par.errors.filter((e) => e !== crashErr[0]), seq.errors.filter((e) => e.path !== dead));
    assert.strictEqual(par.filesRead, seq.filesRead);
  });

  it('every worker dead from the start: this thread scans it all', async function () {
    const failing = path.join(tmp, 'failWorker.js');
    fs.writeFileSync(failing, `throw new Error('boom');\n`);
    const roots = [path.join(tmp, 'tree')];
    const par = await scanPaths(roots, { ...common(), parallel: 2, workerScript: failing });
    const seq = await scanPaths(roots, common());
    // A worker that fails to load was on no file: nothing is blamed, nothing lost.
    assert.deepStrictEqual(par, seq);
  });

  it('is cancellable', async function () {
    const ac = new AbortController();
    const p = scanPaths([path.join(tmp, 'tree')], { ...common(), parallel: 2, workerScript: worker, signal: ac.signal, onProgress: (done) => done >= 50 && ac.abort() });
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    // Cancelled during the walk, with workers already started.
    const ac2 = new AbortController();
    const p2 = scanPaths([path.join(tmp, 'tree')], { ...common(), parallel: 2, workerScript: worker, signal: ac2.signal });
    setImmediate(() => ac2.abort());
    await assert.rejects(p2, (e: Error) => e.name === 'AbortError');
  });
});
