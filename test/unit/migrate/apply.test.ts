import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyRewrites, computeRewrites, dryRunResult, planMigration, PlanInputFile, writeFileAtomic } from '../../../server/src/migrate';
import { Policy } from '../../../server/src/references/policy';
import { scanText } from '../../../server/src/workspace/scan';

const BASE = 'europe-west1-docker.pkg.dev/my-project/mirror';
const pod = (image: string, tail = '') => `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: ${image}\n${tail}`;

describe('migrate/apply: atomic rewrites', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-apply-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load(rel: string, bytes: string | Buffer, mode = 0o644): PlanInputFile {
    const p = path.join(dir, rel);
    fs.writeFileSync(p, bytes);
    fs.chmodSync(p, mode);
    const text = fs.readFileSync(p).toString('utf8');
    return { path: p, text, findings: scanText(p, text, new Policy()).findings };
  }

  function changesFor(files: PlanInputFile[]) {
    const plan = planMigration(files, BASE);
    return computeRewrites(plan, dryRunResult(plan), { assumeVerified: true });
  }

  it('writes atomically, keeps mode, BOM and CRLF, leaves no temp file', async () => {
    const f = load('Dockerfile', '\uFEFFFROM nginx:1.27 AS web\r\nRUN true\r\n', 0o751);
    const out = await applyRewrites(changesFor([f]));
    assert.deepEqual(out.map((o) => [o.status, o.edits]), [['rewritten', 1]]);
    const bytes = fs.readFileSync(f.path);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(bytes.toString('utf8'), `\uFEFFFROM ${BASE}/nginx:1.27 AS web\r\nRUN true\r\n`);
    assert.equal(fs.statSync(f.path).mode & 0o777, 0o751);
    assert.deepEqual(fs.readdirSync(dir), ['Dockerfile']);
  });

  it('skips a file changed on disk since the scan, and still writes the others', async () => {
    const a = load('a.yaml', pod('nginx:1.27'));
    const b = load('b.yaml', pod('redis:7'));
    const changes = changesFor([a, b]);
    fs.writeFileSync(a.path, pod('nginx:1.27', '# edited meanwhile\n'));
    const out = await applyRewrites(changes);
    assert.equal(out[0].status, 'changed-on-disk');
    assert.match(out[0].message!, /changed on disk since the scan/);
    assert.equal(fs.readFileSync(a.path, 'utf8'), pod('nginx:1.27', '# edited meanwhile\n'));
    assert.equal(out[1].status, 'rewritten');
    assert.equal(fs.readFileSync(b.path, 'utf8'), pod(`${BASE}/redis:7`));
  });

  it('writes through a symlink (the link stays), dry run and cancellation write nothing, a vanished file fails cleanly', async () => {
    const real = load('real.yaml', pod('nginx:1.27'));
    fs.symlinkSync(real.path, path.join(dir, 'link.yaml'));
    const viaLink = { ...real, path: path.join(dir, 'link.yaml') };
    const changes = changesFor([viaLink]);
    assert.deepEqual((await applyRewrites(changes, { dryRun: true })).map((o) => o.status), ['would-rewrite']);
    const ac = new AbortController();
    ac.abort();
    assert.deepEqual((await applyRewrites(changes, { signal: ac.signal })).map((o) => o.status), ['not-written']);
    assert.equal(fs.readFileSync(real.path, 'utf8'), pod('nginx:1.27'));
    assert.equal((await applyRewrites(changes))[0].status, 'rewritten');
    assert.ok(fs.lstatSync(path.join(dir, 'link.yaml')).isSymbolicLink());
    assert.equal(fs.readFileSync(real.path, 'utf8'), pod(`${BASE}/nginx:1.27`));

    const gone = load('gone.yaml', pod('redis:7'));
    const ch = changesFor([gone]);
    fs.rmSync(gone.path);
    const out = await applyRewrites(ch);
    assert.equal(out[0].status, 'failed');
    assert.match(out[0].message!, /ENOENT/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['link.yaml', 'real.yaml']);
  });

  it('a file that is not valid UTF-8 is never rewritten', async () => {
    const f = load('bad.yaml', Buffer.concat([Buffer.from(pod('nginx:1.27', '# ')), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\n')]));
    const out = await applyRewrites(changesFor([f]));
    assert.equal(out[0].status, 'changed-on-disk');
    assert.match(out[0].message!, /UTF-8/);
  });

  it('writeFileAtomic replaces content and removes its temp file when the write fails', async () => {
    const p = path.join(dir, 'x');
    fs.writeFileSync(p, 'old');
    await writeFileAtomic(p, 'new', 0o600);
    assert.equal(fs.readFileSync(p, 'utf8'), 'new');
    assert.equal(fs.statSync(p).mode & 0o777, 0o600);
    // rename onto a directory fails: original dir untouched, temp removed
    fs.mkdirSync(path.join(dir, 'd'));
    fs.writeFileSync(path.join(dir, 'd', 'keep'), 'k');
    await assert.rejects(writeFileAtomic(path.join(dir, 'd'), 'data'));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['d', 'x']);
  });
});
