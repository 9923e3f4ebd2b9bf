import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countPullsFromLogFile } from '../../../server/src/pulls/logfile';
import { windowFor } from '../../../server/src/pulls/counts';

const NOW = new Date('2026-11-25T00:00:00Z');
const ENTRIES = 1_000_000;
// Four spellings of one image, plus other images and reasons.
const IMAGES = ['nginx:1.25', 'docker.io/library/nginx:1.25', 'index.docker.io/library/nginx:1.25', 'library/nginx:1.25', 'quay.io/org/app:v2', 'ghcr.io/acme/tool@sha256:' + 'ab'.repeat(32), 'redis', 'busybox:1.36'];
const CLUSTERS = ['prod-eu', 'prod-us', 'staging'];

/** Writes ENTRIES entries without holding the file in memory; returns the expected counts. */
async function generate(file: string, format: 'array' | 'ndjson'): Promise<{ byImage: Map<string, number>; total: number }> {
  const out = fs.createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  const byImage = new Map<string, number>();
  let total = 0;
  const start = NOW.getTime() - 6 * 86_400_000;
  if (format === 'array') await write('[\n');
  let batch: string[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    const image = IMAGES[i % IMAGES.length];
    const reason = i % 10 === 9 ? 'Pulled' : 'Pulling';
    const msg = reason === 'Pulling' ? `${i % 2 ? 'Pulling' : 'pulling'} image \\"${image}\\"` : `Successfully pulled image \\"${image}\\" in 1.1s`;
    const ts = new Date(start + ((i * 517) % (6 * 86_400_000))).toISOString();
    if (reason === 'Pulling') {
      byImage.set(image, (byImage.get(image) ?? 0) + 1);
      total++;
    }
    const entry = `{"insertId":"id${i}","jsonPayload":{"reason":"${reason}","message":"${msg}","involvedObject":{"kind":"Pod","name":"pod-${i}"}},"resource":{"type":"k8s_pod","labels":{"cluster_name":"${CLUSTERS[i % 3]}","namespace_name":"default"}},"timestamp":"${ts}"}`;
    batch.push(format === 'array' ? `  ${entry}${i < ENTRIES - 1 ? ',' : ''}` : entry);
    if (batch.length === 5000) {
      await write(batch.join('\n') + '\n');
      batch = [];
    }
  }
  if (batch.length) await write(batch.join('\n') + '\n');
  if (format === 'array') await write(']\n');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { byImage, total };
}

for (const format of ['array', 'ndjson'] as const) {
  describe(`pulls/logfile with ${ENTRIES.toLocaleString('en-US')} entries (${format})`, function () {
    this.timeout(600_000);
    let dir: string;
    let file: string;
    let expected: { byImage: Map<string, number>; total: number };
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulls-large-'));
      file = path.join(dir, format === 'array' ? 'events.json' : 'events.ndjson');
      expected = await generate(file, format);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('streams: bounded memory, event loop keeps turning, exact counts', async () => {
      const size = fs.statSync(file).size;
      (global as any).gc?.();
      const baseline = process.memoryUsage().heapUsed;
      let peak = baseline;
      let ticks = 0;
      let maxGap = 0;
      let last = Date.now();
      const timer = setInterval(() => {
        ticks++;
        const t = Date.now();
        maxGap = Math.max(maxGap, t - last);
        last = t;
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }, 5);
      const t0 = Date.now();
      let progressCalls = 0;
      let counts;
      try {
        counts = await countPullsFromLogFile(file, { window: windowFor(NOW, 7), onProgress: () => progressCalls++ });
      } finally {
        clearInterval(timer);
      }
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      const elapsed = Date.now() - t0;
      const growthMb = (peak - baseline) / 1e6;
      // eslint-disable-next-line no-console
      console.log(`      ${(size / 1e6).toFixed(0)} MB in ${elapsed} ms; heap growth ${growthMb.toFixed(1)} MB; ${ticks} timer ticks, longest gap ${maxGap} ms`);
      assert.ok(growthMb < 100, `heap grew ${growthMb.toFixed(1)} MB`);
      assert.ok(ticks >= 5, `timer ran only ${ticks} times while reading`);
      assert.ok(progressCalls > 0);

      assert.equal(counts.source.entriesRead, ENTRIES);
      assert.equal(counts.source.malformed, 0);
      assert.equal(counts.totalPulls, expected.total);
      const nginx = ['nginx:1.25', 'docker.io/library/nginx:1.25', 'index.docker.io/library/nginx:1.25', 'library/nginx:1.25'].reduce((a, s) => a + (expected.byImage.get(s) ?? 0), 0);
      assert.equal(counts.images['docker.io/library/nginx:1.25'].pulls, nginx);
      assert.equal(counts.images['docker.io/library/nginx:1.25'].spellings.length, 4);
      assert.equal(counts.images['docker.io/library/redis:latest'].pulls, expected.byImage.get('redis'));
      assert.equal(counts.images['quay.io/org/app:v2'].pulls, expected.byImage.get('quay.io/org/app:v2'));
      assert.deepEqual(Object.keys(counts.images['quay.io/org/app:v2'].clusters).sort(), CLUSTERS);
      assert.equal(Object.keys(counts.images).length, 5);
    });
  });
}
