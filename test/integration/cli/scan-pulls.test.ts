/** `ar-migrate scan --pulls-from` (log export) and `--images-txt`. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../../server/src/cli/main';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

async function scan(args: string[], cwd: string) {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(['scan', ...args], { stdout, stderr, cwd, env: {}, signal: new AbortController().signal, isTTY: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** One kubelet "Pulling" event as `gcloud logging read --format=json` writes it. */
function event(image: string, timestamp: string, cluster = 'prod') {
  return {
    timestamp,
    jsonPayload: { reason: 'Pulling', message: `Pulling image "${image}"`, involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' } },
    resource: { type: 'k8s_pod', labels: { cluster_name: cluster, namespace_name: 'default', pod_name: 'p', location: 'us-central1', project_id: 'acme' } },
  };
}

describe('ar-migrate scan --pulls-from / --images-txt', function () {
  this.timeout(60000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-scanpulls-'));
    fs.writeFileSync(path.join(tmp, 'Dockerfile'), 'FROM nginx:1.27\nFROM quay.io/org/app:2 AS app\nFROM us-docker.pkg.dev/p/r/base:1\n');
    fs.mkdirSync(path.join(tmp, 'k8s'));
    fs.writeFileSync(path.join(tmp, 'k8s', 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n    - name: a\n      image: docker.io/library/nginx:1.27\n');
    // nginx written three ways (one image), 150 pulls in one hour: over Docker Hub's anonymous 100 / 6 h.
    const entries = [];
    for (let i = 0; i < 150; i++) {
      const spelling = ['nginx:1.27', 'docker.io/library/nginx:1.27', 'index.docker.io/library/nginx:1.27'][i % 3];
      entries.push(event(spelling, `2026-11-20T10:${String(i % 60).padStart(2, '0')}:00Z`, i % 2 ? 'prod' : 'staging'));
    }
    entries.push(event('quay.io/org/app:2', '2026-11-21T08:00:00Z'));
    entries.push(event('nginx:1.27', '2026-10-01T08:00:00Z')); // outside a 7-day window
    fs.writeFileSync(path.join(tmp, 'pulls.json'), JSON.stringify(entries, null, 2));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('adds pull counts to each JSON finding, normalising the spellings in the export', async () => {
    const r = await scan(['--json', '--pulls-from', 'pulls.json', '--now', '2026-11-25T00:00:00Z', '.'], tmp);
    assert.equal(r.code, 1, r.stderr);
    const { findings } = JSON.parse(r.stdout);
    const nginx = findings.filter((f: any) => f.normalized === 'docker.io/library/nginx:1.27');
    assert.equal(nginx.length, 2);
    for (const f of nginx) {
      assert.equal(f.pulls.pulls, 150);
      assert.equal(f.pulls.peakPerHour, 150);
      assert.equal(f.pulls.windowDays, 7);
      assert.deepEqual(f.pulls.clusters, { prod: 75, staging: 75 });
      assert.equal(f.pulls.severity, 'error', 'over the Docker Hub limit');
    }
    const quay = findings.find((f: any) => f.normalized === 'quay.io/org/app:2');
    assert.equal(quay.pulls.pulls, 1);
    assert.equal(findings.some((f: any) => f.registry === 'us-docker.pkg.dev'), false);
  });

  it('shows a PULLS column in the table and honours --days', async () => {
    const r = await scan(['--pulls-from', 'pulls.json', '--now', '2026-11-25T00:00:00Z', '--days', '60', '.'], tmp);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /PULLS/);
    assert.match(r.stdout, /151 \/ 60 d \(over limit\)/);
  });

  it('names the source when the export cannot be read (exit 1, no crash)', async () => {
    const r = await scan(['--pulls-from', 'missing.json', '.'], tmp);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.json/);
  });

  it('warns on stderr when the export is truncated (still being written): counts are partial, stdout stays JSON', async () => {
    const full = fs.readFileSync(path.join(tmp, 'pulls.json'), 'utf8');
    // cut inside the last entries, as a `gcloud logging read > pulls.json` still running leaves it
    fs.writeFileSync(path.join(tmp, 'half.json'), full.slice(0, Math.floor(full.length * 0.6)));
    const r = await scan(['--json', '--pulls-from', 'half.json', '--now', '2026-11-25T00:00:00Z', '.'], tmp);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^warning: .*half\.json:\d+: .*truncated/m);
    assert.doesNotMatch(r.stderr, /undefined|\[object Object\]/);
    const { findings } = JSON.parse(r.stdout);
    const nginx = findings.find((f: any) => f.normalized === 'docker.io/library/nginx:1.27');
    assert.ok(nginx.pulls.pulls > 0 && nginx.pulls.pulls < 150, `partial count, got ${nginx.pulls.pulls}`);
  });

  it('--images-txt that cannot be written: exit 1, names the file and why, no temp file path', async () => {
    const r = await scan(['--images-txt', 'k8s', '.'], tmp);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write --images-txt k8s: it is a directory\n$/);
    assert.doesNotMatch(r.stderr, /EISDIR|\.tmp/);
    const m = await scan(['--images-txt', 'no-dir/images.txt', '.'], tmp);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /cannot write --images-txt no-dir\/images\.txt: its directory does not exist\n$/);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
  });

  it('usage errors: --days without --pulls-from, bad --now', async () => {
    assert.equal((await scan(['--days', '3', '.'], tmp)).code, 2);
    assert.equal((await scan(['--pulls-from', 'pulls.json', '--now', 'yesterday', '.'], tmp)).code, 2);
    assert.equal((await scan(['--images-txt', '-', '--json', '.'], tmp)).code, 2);
  });

  it('--images-txt writes the runbook images.txt: third-party, normalised, deduplicated', async () => {
    const r = await scan(['--images-txt', 'images.txt', '.'], tmp);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(fs.readFileSync(path.join(tmp, 'images.txt'), 'utf8'), 'docker.io/library/nginx:1.27\nquay.io/org/app:2\n');
    const s = await scan(['--images-txt', '-', '.'], tmp);
    assert.equal(s.stdout, 'docker.io/library/nginx:1.27\nquay.io/org/app:2\n');
  });
});
