import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { deleteTag, getManifest, pushImage } from '../../harness/images';
import { runCli as cli } from '../../harness/cli';
import { checkDrift, remirrorPairs } from '../../../server/src/drift';
import { overrideDispatcher } from '../../../server/src/migrate';
import { Policy } from '../../../server/src/references/policy';
import { copyImages } from '../../../server/src/registry/copy';
import { scanPaths } from '../../../server/src/workspace/scan';

const AR = 'us-docker.pkg.dev';
const BASE = `${AR}/test-proj/mirror`;


describe('ar-migrate drift against real registries', function () {
  this.timeout(180_000);
  let up: RegistryHandle;
  let ar: RegistryHandle;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  before(async () => {
    [up, ar] = await Promise.all([startRegistry(), startRegistry()]);
    env = { AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR}=${ar.url}` };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-drift-'));
  });
  after(async () => {
    await Promise.all([up?.stop(), ar?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('in sync after a migration, drifted when upstream retags, in sync again after a re-mirror', async () => {
    const v1 = await pushImage(up.url, 'library/web', '1.0', { kind: 'oci-index', seed: 'web-v1' });
    await pushImage(up.url, 'team/worker', '2', { kind: 'schema2', seed: 'worker' });
    const ws = path.join(dir, 'ws1');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'Dockerfile'), `FROM ${up.host}/library/web:1.0\n`);
    fs.writeFileSync(path.join(ws, 'pod.yaml'), `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: w\n      image: ${up.host}/team/worker:2\n    - name: web\n      image: ${up.host}/library/web:1.0\n`);
    const m = await cli(['migrate', '--target', BASE], ws, env);
    assert.equal(m.code, 0, m.stderr + m.stdout);
    const mirrorWeb = `${BASE}/${up.host.replace(':', '-')}/library/web:1.0`;
    assert.ok(fs.readFileSync(path.join(ws, 'Dockerfile'), 'utf8').includes(mirrorWeb));

    let r = await cli(['drift', '--target', BASE, '--json'], ws, env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    let doc = JSON.parse(r.stdout);
    assert.equal(doc.summary['in-sync'], 2);
    const web = doc.entries.find((e: { mirror: string }) => e.mirror === mirrorWeb);
    assert.equal(web.upstream, `${up.host}/library/web:1.0`);
    assert.equal(web.upstreamDigest, v1.digest);
    assert.equal(web.mirrorDigest, v1.digest);
    assert.equal(web.references.length, 2);

    // upstream retags 1.0 to a different image
    const v2 = await pushImage(up.url, 'library/web', '1.0', { kind: 'oci-index', seed: 'web-v2' });
    assert.notEqual(v2.digest, v1.digest);
    r = await cli(['drift', '--target', BASE, '--json'], ws, env);
    assert.equal(r.code, 1, r.stderr);
    doc = JSON.parse(r.stdout);
    const drifted = doc.entries.find((e: { mirror: string }) => e.mirror === mirrorWeb);
    assert.equal(drifted.status, 'drifted');
    assert.equal(drifted.upstreamDigest, v2.digest);
    assert.equal(drifted.mirrorDigest, v1.digest);
    assert.equal(doc.summary['in-sync'], 1);
    const text = await cli(['drift', '--target', BASE], ws, env);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /DRIFTED +us-docker\.pkg\.dev\/test-proj\/mirror\/.*\/library\/web:1\.0 <- /);
    assert.match(text.stdout, /re-mirror: ar-migrate mirror /);

    // re-mirror through the library (what the LSP "Re-mirror" action does)
    const dispatcher = overrideDispatcher([{ registry: AR, url: ar.url }]);
    const policy = new Policy({ firstPartyRegistries: [] });
    const scanned = await scanPaths([ws], { policy });
    const report = await checkDrift(scanned.files, BASE, { dispatcher });
    const pairs = remirrorPairs(report);
    assert.deepEqual(pairs, [{ src: `${up.host}/library/web:1.0`, dst: mirrorWeb }]);
    const outcomes = await copyImages(pairs, { dispatcher });
    assert.ok(outcomes.every((o) => o.ok));
    assert.equal((await getManifest(ar.url, `test-proj/mirror/${up.host.replace(':', '-')}/library/web`, '1.0')).digest, v2.digest);
    r = await cli(['drift', '--target', BASE], ws, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 mirrored image\(s\): 2 in sync, 0 drifted/);
  });

  it('reports upstream-missing, mirror-missing and pinned-digest drift; unknown upstreams stay unchecked', async () => {
    const img = await pushImage(up.url, 'team/gone', '1', { kind: 'schema2', seed: 'gone' });
    const pinned = await pushImage(up.url, 'team/pinned', '3', { kind: 'oci', seed: 'pinned-a' });
    const ws = path.join(dir, 'ws2');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'a.yaml'), `image: ${up.host}/team/gone:1\n---\nimage: ${up.host}/team/pinned:3\n`);
    fs.writeFileSync(path.join(ws, 'compose.yaml'), `services:\n  a:\n    image: ${up.host}/team/gone:1\n  b:\n    image: ${up.host}/team/pinned:3\n`);
    const m = await cli(['migrate', 'compose.yaml', '--target', BASE, '--pin-digest'], ws, env);
    assert.equal(m.code, 0, m.stderr + m.stdout);
    const hostC = up.host.replace(':', '-');
    fs.appendFileSync(path.join(ws, 'compose.yaml'), `  c:\n    image: ${BASE}/never/mirrored:1\n  d:\n    image: ${BASE}/${hostC}/team/pinned@${pinned.digest}\n`);
    await deleteTag(up.url, 'team/gone', '1');
    await pushImage(up.url, 'team/pinned', '3', { kind: 'oci', seed: 'pinned-b' });
    const r = await cli(['drift', 'compose.yaml', '--target', BASE, '--json'], ws, env);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    const by = (s: string) => doc.entries.find((e: { mirror: string }) => e.mirror.includes(s));
    assert.equal(by('/team/gone:1').status, 'upstream-missing');
    assert.equal(by('/team/gone:1').pinnedDigest, img.digest);
    assert.equal(by('/team/pinned:3').status, 'drifted');
    assert.equal(by('/team/pinned:3').pinnedDigest, pinned.digest);
    assert.equal(by('never/mirrored').status, 'mirror-missing', JSON.stringify(by('never/mirrored')));
    assert.equal(by('never/mirrored').upstream, 'docker.io/never/mirrored:1');
    assert.equal(by(`pinned@`).status, 'unchecked');
    assert.match(by(`pinned@`).reason, /digest only/);
  });

  it('works with a private registry as the mirror base and `ar-migrate mirror` as the re-mirror', async () => {
    await pushImage(up.url, 'team/svc', '5', { kind: 'docker-list', seed: 'svc-1' });
    const ws = path.join(dir, 'ws4');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'Dockerfile'), `FROM ${up.host}/team/svc:5\n`);
    const base = `${ar.host}/private/mirror`;
    assert.equal((await cli(['migrate', '--target', base], ws)).code, 0);
    assert.equal((await cli(['drift', '--target', base], ws)).code, 0);
    const v2 = await pushImage(up.url, 'team/svc', '5', { kind: 'docker-list', seed: 'svc-2' });
    const r = await cli(['drift', '--target', base, '--json'], ws);
    assert.equal(r.code, 1);
    const e = JSON.parse(r.stdout).entries[0];
    assert.equal(e.status, 'drifted');
    assert.equal(e.upstream, `${up.host}/team/svc:5`);
    const m = await cli(['mirror', e.upstream, e.mirror], ws);
    assert.equal(m.code, 0, m.stderr);
    const after = await cli(['drift', '--target', base, '--json'], ws);
    assert.equal(after.code, 0, after.stdout);
    assert.equal(JSON.parse(after.stdout).entries[0].mirrorDigest, v2.digest);
  });

  it('nothing mirrored: exit 0 with a message; usage errors exit 2', async () => {
    const ws = path.join(dir, 'ws3');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'Dockerfile'), 'FROM nginx:1.27\n');
    const r = await cli(['drift', '--target', BASE], ws, env);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /No reference to an image mirrored under/);
    assert.equal((await cli(['drift'], ws)).code, 2);
    assert.equal((await cli(['drift', '--target', 'us-docker.pkg.dev/UPPER/x'], ws)).code, 2);
  });
});
