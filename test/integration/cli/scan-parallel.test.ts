/**
 * The built CLI (bin/ar-migrate.js -> dist/cli.js, dist/cli/scan.js, worker
 * dist/scanWorker.js) gives byte-identical output with worker threads
 * (--jobs 2) and without (--jobs 0) on a tree over the parallel threshold,
 * for --json, --sarif and the table.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PARALLEL_MIN_FILES } from '../../../server/src/workspace/scan';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/ar-migrate.js');

function write(root: string, rel: string, text: string | Buffer) {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}

describe('ar-migrate scan with worker threads (built CLI)', function () {
  this.timeout(300000);
  let tmp: string;

  before(function () {
    if (!fs.existsSync(path.join(ROOT, 'dist/scanWorker.js')) || !fs.existsSync(path.join(ROOT, 'dist/cli.js'))) {
      const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-scanpar-cli-'));
    const n = PARALLEL_MIN_FILES + 200;
    for (let i = 0; i < n; i++) {
      const d = `team${i % 13}/svc${i}`;
      if (i % 4 === 0) write(tmp, `${d}/Dockerfile`, `ARG BASE=node:20.${i % 12}\nFROM \${BASE} AS build\nRUN npm ci && \\\n    npm run build\nFROM gcr.io/distroless/nodejs20\nCOPY --from=build /app /app\n`);
      else if (i % 4 === 1) write(tmp, `${d}/k8s.yaml`, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\nspec:\n  containers:\n    - name: a\n      image: quay.io/org/app:${i}\n    - name: b\n      image: "Not Valid"\n`);
      else if (i % 4 === 2) write(tmp, `${d}/docker-compose.yml`, `services:\n  cache:\n    image: redis:7.${i % 5}\n  bad: [\n`);
      else write(tmp, `${d}/notes.yaml`, `title: x${i}\n`);
    }
    write(tmp, 'node_modules/pkg/Dockerfile', 'FROM should-not-appear:1\n');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'scan', ...args], { cwd: tmp, encoding: 'utf8', timeout: 240000, maxBuffer: 64 * 1024 * 1024 });

  for (const format of [['--json'], ['--sarif'], [], ['--all', '--json']]) {
    it(`same output with --jobs 2 and --jobs 0: ${format.join(' ') || 'table'}`, function () {
      const seq = run([...format, '--jobs', '0']);
      const par = run([...format, '--jobs', '2']);
      assert.equal(seq.status, 1, seq.stderr);
      assert.equal(par.status, 1, par.stderr);
      assert.equal(par.stdout, seq.stdout);
      assert.equal(par.stderr, seq.stderr);
      if (format.includes('--json')) {
        const out = JSON.parse(par.stdout);
        assert.ok(out.findings.length >= 300, `${out.findings.length} findings`);
        assert.ok(out.errors.some((e: { message: string }) => /YAML/i.test(e.message)));
        assert.ok(!par.stdout.includes('should-not-appear'));
      }
    });
  }

  it('--jobs must be a whole number', function () {
    const r = run(['--jobs', 'many']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--jobs must be a whole number/);
  });
});
