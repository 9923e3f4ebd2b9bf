import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { startFaultProxy, FaultProxyHandle } from '../../harness/faultProxy';
import { getManifest, manifestExists, pushImage, PushResult } from '../../harness/images';
import { main } from '../../../server/src/cli/main';
import { runCli as cli } from '../../harness/cli';
import { overrideDispatcher, runMigration } from '../../../server/src/migrate';
import { Policy } from '../../../server/src/references/policy';
import { scanText } from '../../../server/src/workspace/scan';

const AR = 'us-docker.pkg.dev';
const BASE = `${AR}/test-proj/mirror`;


interface Workspace {
  dir: string;
  files: Record<string, string>;
}

/** A workspace whose third-party images live on `src` (a loopback registry, third-party by default policy). */
function makeWorkspace(src: string, extra: Record<string, string> = {}): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-migrate-'));
  const files: Record<string, string> = {
    Dockerfile: [
      `ARG BASE=${src}/library/alpine:3.19`,
      'ARG TAG',
      'FROM ${BASE} AS build',
      'RUN echo build',
      `FROM ${src}/team/tool:\${TAG} AS tool`,
      `FROM ${src}/library/nginx:1.25`,
      'COPY --from=build /x /y',
      '',
    ].join('\n'),
    'k8s/deploy.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web # the web tier',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: web',
      `          image: "${src}/library/nginx:1.25" # pinned by tag`,
      '        # the cache',
      '        - name: cache',
      `          image: '${src}/team/redis:7'`,
      '',
    ].join('\n'),
    'compose.yaml': [
      'services:',
      '  app:',
      '    build: .',
      `    image: ${src}/team/app:dev`,
      '  db:',
      `    image: ${src}/library/postgres:16   # database`,
      '',
    ].join('\n'),
    'crlf/job.yaml': [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      '  name: migrate',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: job',
      `          image: ${src}/team/redis:7`,
      '      restartPolicy: Never',
      '',
    ].join('\r\n'),
    ...extra,
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  fs.chmodSync(path.join(dir, 'crlf/job.yaml'), 0o640);
  return { dir, files };
}

function read(ws: Workspace, rel: string): string {
  return fs.readFileSync(path.join(ws.dir, rel), 'utf8');
}

describe('ar-migrate migrate against real registries', function () {
  this.timeout(180_000);
  let src: RegistryHandle;
  let ar: RegistryHandle;
  let env: NodeJS.ProcessEnv;
  const images: Record<string, PushResult> = {};
  const dirs: string[] = [];

  before(async () => {
    [src, ar] = await Promise.all([startRegistry(), startRegistry()]);
    env = { AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR}=${ar.url}` };
    images.alpine = await pushImage(src.url, 'library/alpine', '3.19', { kind: 'oci-index', seed: 'alpine' });
    images.nginx = await pushImage(src.url, 'library/nginx', '1.25', { kind: 'docker-list', seed: 'nginx' });
    images.redis = await pushImage(src.url, 'team/redis', '7', { kind: 'schema2', seed: 'redis' });
    images.postgres = await pushImage(src.url, 'library/postgres', '16', { kind: 'oci', seed: 'postgres' });
  });
  after(async () => {
    await Promise.all([src?.stop(), ar?.stop()]);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  function ws(extra?: Record<string, string>): Workspace {
    const w = makeWorkspace(src.host, extra);
    dirs.push(w.dir);
    return w;
  }
  /** Repository path of a source image in the AR registry. */
  const arRepo = (repo: string) => `test-proj/mirror/${src.host.replace(':', '-')}/${repo}`;
  const tgt = (repo: string) => `${AR}/${arRepo(repo)}`;

  it('dry run: contacts no registry, changes nothing, prints a diff git apply accepts', async () => {
    const w = ws();
    const before = Object.fromEntries(Object.keys(w.files).map((f) => [f, read(w, f)]));
    // endpoints that refuse connections: a dry run must not need them
    const r = await cli(['migrate', '--target', BASE, '--dry-run', '--images-txt', 'images.txt'], w.dir, { AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR}=http://127.0.0.1:9` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      fs.readFileSync(path.join(w.dir, 'images.txt'), 'utf8'),
      ['library/alpine:3.19', 'library/nginx:1.25', 'library/postgres:16', 'team/redis:7'].map((x) => `${src.host}/${x}\n`).join(''),
    );
    fs.rmSync(path.join(w.dir, 'images.txt'));
    for (const f of Object.keys(w.files)) assert.equal(read(w, f), before[f], `${f} unchanged`);
    assert.equal(await manifestExists(ar.url, arRepo('library/nginx'), '1.25'), false);
    assert.match(r.stdout, /^--- a\/Dockerfile\n\+\+\+ b\/Dockerfile\n@@ /m);
    assert.match(r.stdout, /^\+ {10}image: "us-docker\.pkg\.dev\/test-proj\/mirror\/127\.0\.0\.1-\d+\/library\/nginx:1\.25" # pinned by tag$/m);
    assert.match(r.stderr, /Dry run: would mirror 4 images/);
    fs.writeFileSync(path.join(w.dir, 'x.patch'), r.stdout);
    execFileSync('git', ['apply', '--check', '-v', 'x.patch'], { cwd: w.dir, stdio: 'pipe' });
    // applying it gives what a real migration writes (checked in the next test)
    execFileSync('git', ['apply', 'x.patch'], { cwd: w.dir, stdio: 'pipe' });
    assert.ok(read(w, 'crlf/job.yaml').includes(`image: ${tgt('team/redis')}:7\r\n`));
  });

  it('mirrors every pulled image, rewrites only the reference characters, keeps CRLF and mode; re-run is idempotent', async () => {
    const w = ws();
    const r = await cli(['migrate', '--target', BASE, '--json'], w.dir, env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout);
    const by = (suffix: string) => doc.images.find((i: { image: string }) => i.image.endsWith(suffix));
    for (const [name, repo, tag] of [['alpine', 'library/alpine', '3.19'], ['nginx', 'library/nginx', '1.25'], ['redis', 'team/redis', '7'], ['postgres', 'library/postgres', '16']]) {
      const img = by(`/${repo}:${tag}`);
      assert.ok(img, `${repo} in report`);
      assert.equal(img.status, 'copied');
      assert.equal(img.sourceDigest, images[name].digest);
      assert.equal(img.targetDigest, images[name].digest);
      assert.equal(img.target, `${tgt(repo)}:${tag}`);
      assert.equal((await getManifest(ar.url, arRepo(repo), tag)).digest, images[name].digest, `${repo} target digest = source digest`);
    }
    assert.equal(by('/library/nginx:1.25').references, 2);
    assert.equal(by('/team/redis:7').references, 2);
    // skipped with reasons: unresolved variable, build output
    const tool = doc.images.find((i: { image: string }) => i.image.includes('team/tool'));
    assert.equal(tool.status, 'skipped');
    assert.match(tool.reason, /unresolved variables/);
    const app = doc.images.find((i: { image: string }) => i.image.includes('team/app'));
    assert.equal(app.status, 'skipped');
    assert.match(app.reason, /built here/);
    assert.equal(doc.summary.failed, 0);
    assert.equal(doc.summary.copied, 4);

    // exactly the reference characters changed
    const expected = (rel: string) => w.files[rel]
      .replace(`${src.host}/library/alpine:3.19`, `${tgt('library/alpine')}:3.19`)
      .split(`${src.host}/library/nginx:1.25`).join(`${tgt('library/nginx')}:1.25`)
      .split(`${src.host}/team/redis:7`).join(`${tgt('team/redis')}:7`)
      .replace(`${src.host}/library/postgres:16`, `${tgt('library/postgres')}:16`);
    for (const rel of Object.keys(w.files)) assert.equal(read(w, rel), expected(rel), rel);
    assert.ok(read(w, 'Dockerfile').includes(`FROM ${src.host}/team/tool:\${TAG} AS tool`));
    assert.ok(read(w, 'compose.yaml').includes(`image: ${src.host}/team/app:dev`));
    assert.ok(read(w, 'crlf/job.yaml').split('\n').slice(0, -1).every((l) => l.endsWith('\r')), 'CRLF kept');
    assert.equal(fs.statSync(path.join(w.dir, 'crlf/job.yaml')).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(path.join(w.dir, 'crlf')), ['job.yaml'], 'no temp file left');
    const files = Object.fromEntries(doc.files.map((f: { file: string; status: string; edits: number }) => [f.file, f]));
    assert.equal(files['k8s/deploy.yaml'].status, 'rewritten');
    assert.equal(files['k8s/deploy.yaml'].edits, 2);

    // re-run: the rewritten references are first-party now, nothing to do, nothing changes
    const snapshot = Object.fromEntries(Object.keys(w.files).map((f) => [f, read(w, f)]));
    const again = await cli(['migrate', '--target', BASE, '--json'], w.dir, env);
    assert.equal(again.code, 0, again.stderr);
    const d2 = JSON.parse(again.stdout);
    assert.equal(d2.summary.copied, 0);
    assert.equal(d2.images.filter((i: { status: string }) => i.status !== 'skipped').length, 0);
    assert.equal(d2.summary.alreadyMigrated, 6);
    const text = await cli(['migrate', '--target', BASE], w.dir, env);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /Nothing to migrate: 6 references already point at us-docker\.pkg\.dev\/test-proj\/mirror/);
    for (const f of Object.keys(w.files)) assert.equal(read(w, f), snapshot[f]);

    // a fresh checkout of the same sources: every image is up to date, files rewritten the same way
    const w2 = ws();
    const third = await cli(['migrate', '--target', BASE, '--json'], w2.dir, env);
    assert.equal(third.code, 0, third.stderr);
    const d3 = JSON.parse(third.stdout);
    assert.equal(d3.summary.upToDate, 4);
    assert.equal(d3.summary.copied, 0);
    for (const rel of Object.keys(w2.files)) assert.equal(read(w2, rel), snapshot[rel].split(w.dir).join(w2.dir));
  });

  it('--pin-digest writes target:tag@digest with the verified digest; --only restricts', async () => {
    const w = ws();
    const r = await cli(['migrate', '--target', BASE, '--pin-digest', '--only', `${src.host}/team/redis`], w.dir, env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(read(w, 'k8s/deploy.yaml').includes(`image: '${tgt('team/redis')}:7@${images.redis.digest}'`));
    assert.ok(read(w, 'crlf/job.yaml').includes(`image: ${tgt('team/redis')}:7@${images.redis.digest}\r\n`));
    assert.ok(read(w, 'k8s/deploy.yaml').includes(`image: "${src.host}/library/nginx:1.25"`), 'other images untouched');
    assert.equal(read(w, 'Dockerfile'), w.files.Dockerfile);
  });

  it('a failing image (missing upstream, 500s) leaves its references untouched and exits 1', async () => {
    let proxy: FaultProxyHandle | undefined;
    try {
      proxy = await startFaultProxy(src.url, [{ name: 'boom', path: /\/team\/redis\/manifests\//, action: { type: 'status', status: 500 } }]);
      const p = proxy.host;
      const w = ws({
        'extra.yaml': [
          'apiVersion: v1',
          'kind: Pod',
          'metadata: {name: p}',
          'spec:',
          '  containers:',
          `    - {name: a, image: ${p}/library/nginx:1.25}`,
          `    - {name: b, image: ${p}/team/redis:7}`,
          `    - {name: c, image: ${p}/library/missing:1.0}`,
          '',
        ].join('\n'),
      });
      const r = await cli(['migrate', 'extra.yaml', '--target', BASE, '--json', '--retries', '1'], w.dir, env);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      const st = Object.fromEntries(doc.images.map((i: { image: string; status: string }) => [i.image, i]));
      assert.equal(st[`${p}/library/nginx:1.25`].status, 'copied');
      assert.equal(st[`${p}/team/redis:7`].status, 'failed');
      assert.match(st[`${p}/team/redis:7`].reason, /500|server/i);
      assert.equal(st[`${p}/library/missing:1.0`].status, 'failed');
      assert.match(st[`${p}/library/missing:1.0`].reason, /not found/);
      const text = read(w, 'extra.yaml');
      assert.ok(text.includes(`image: ${AR}/test-proj/mirror/${p.replace(':', '-')}/library/nginx:1.25}`));
      assert.ok(text.includes(`image: ${p}/team/redis:7}`));
      assert.ok(text.includes(`image: ${p}/library/missing:1.0}`));
      assert.match(r.stderr, /FAILED/);
      // human output names the failures
      const again = await cli(['migrate', 'extra.yaml', '--target', BASE, '--retries', '0'], w.dir, env);
      assert.equal(again.code, 1);
      assert.match(again.stdout, /FAILED \(references left unchanged\):\n {2}127\.0\.0\.1:\d+\/team\/redis:7 -> /);
    } finally {
      await proxy?.stop();
    }
  });

  it('a plain private registry works as the target too (its references count as first-party)', async () => {
    const w = ws();
    const r = await cli(['migrate', 'k8s', '--target', `${ar.host}/private/mirror`], w.dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const text = read(w, 'k8s/deploy.yaml');
    assert.ok(text.includes(`image: "${ar.host}/private/mirror/${src.host.replace(':', '-')}/library/nginx:1.25"`));
    const again = await cli(['migrate', 'k8s', '--target', `${ar.host}/private/mirror`, '--json'], w.dir);
    assert.equal(JSON.parse(again.stdout).summary.images, 0);
  });

  it('--platform copies one platform and --pin-digest pins the digest that was really pushed', async () => {
    const w = ws();
    const base = `${AR}/test-proj/platforms`;
    const r = await cli(['migrate', 'Dockerfile', '--target', base, '--only', `${src.host}/library/alpine`, '--platform', 'linux/arm64', '--pin-digest', '--json'], w.dir, env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const img = JSON.parse(r.stdout).images.find((i: { image: string }) => i.image.endsWith('alpine:3.19'));
    assert.equal(img.status, 'copied');
    assert.equal(img.sourceDigest, images.alpine.digest);
    const arm = images.alpine.children.find((c) => c.platform.os === 'linux' && c.platform.architecture === 'arm64')!;
    assert.equal(img.targetDigest, arm.digest);
    assert.match(img.warnings.join(' '), /only linux\/arm64 copied/);
    const repo = `test-proj/platforms/${src.host.replace(':', '-')}/library/alpine`;
    assert.equal((await getManifest(ar.url, repo, '3.19')).digest, arm.digest);
    assert.ok(read(w, 'Dockerfile').startsWith(`ARG BASE=${AR}/${repo}:3.19@${arm.digest}\n`));
  });

  it('usage errors exit 2', async () => {
    const w = ws();
    assert.equal((await cli(['migrate'], w.dir)).code, 2);
    assert.equal((await cli(['migrate', '--target', 'not a base'], w.dir)).code, 2);
    assert.equal((await cli(['migrate', '--target', BASE, '--jobs', '0'], w.dir)).code, 2);
    assert.equal((await cli(['migrate', 'nope', '--target', BASE], w.dir)).code, 2);
    assert.equal((await cli(['migrate', '--target', BASE, '--bogus'], w.dir)).code, 2);
  });
});

describe('ar-migrate migrate cancellation', function () {
  this.timeout(180_000);
  let src: RegistryHandle;
  let ar: RegistryHandle;
  let proxy: FaultProxyHandle;
  let dir: string;

  before(async () => {
    [src, ar] = await Promise.all([startRegistry(), startRegistry()]);
    proxy = await startFaultProxy(src.url, [{ name: 'slow', method: 'GET', path: /\/team\/slow\/blobs\//, action: { type: 'throttle', bytesPerSecond: 16_000 } }]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-cancel-'));
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([src?.stop(), ar?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SIGINT stops the copies and rewrites nothing; a re-run finishes the job', async () => {
    const fast = await pushImage(src.url, 'team/fast', '1', { kind: 'schema2', seed: 'fast', layerSize: 512 });
    const slow = await pushImage(src.url, 'team/slow', '1', { kind: 'schema2', seed: 'slow', layers: 1, layerSize: 2_000_000 });
    const p = proxy.host;
    const text = `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: ${p}/team/fast:1\n    - name: b\n      image: ${p}/team/slow:1\n`;
    fs.writeFileSync(path.join(dir, 'pod.yaml'), text);
    const env = { HOME: dir, DOCKER_CONFIG: path.join(dir, '.docker'), AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR}=${ar.url}` };
    const ac = new AbortController();
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (d) => (stdout += d));
    err.on('data', (d) => {
      stderr += d;
      if (/team\/fast:1: copied/.test(stderr) && !ac.signal.aborted) setTimeout(() => ac.abort(), 200);
    });
    const code = await main(['migrate', '--target', BASE, '--image-jobs', '2'], { stdout: out, stderr: err, cwd: dir, env, signal: ac.signal, isTTY: false });
    assert.equal(code, 130, stderr + stdout);
    assert.equal(fs.readFileSync(path.join(dir, 'pod.yaml'), 'utf8'), text, 'no file changed');
    assert.match(stdout, /Cancelled: no file was changed/);
    const repo = (r: string) => `test-proj/mirror/${p.replace(':', '-')}/${r}`;
    assert.equal((await getManifest(ar.url, repo('team/fast'), '1')).digest, fast.digest);
    assert.equal(await manifestExists(ar.url, repo('team/slow'), '1'), false, 'the cancelled image has no tag');

    proxy.setRules([]);
    const again = await cli(['migrate', '--target', BASE, '--json'], dir, { AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR}=${ar.url}` });
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout);
    assert.deepEqual(doc.images.map((i: { status: string }) => i.status), ['up-to-date', 'copied']);
    assert.equal((await getManifest(ar.url, repo('team/slow'), '1')).digest, slow.digest);
    assert.equal(fs.readFileSync(path.join(dir, 'pod.yaml'), 'utf8'), text.split(`${p}/team/`).join(`${AR}/${repo('team/')}`));
  });
  it('a file edited during the copy is skipped with a message and exit 1; other files are rewritten', async () => {
    proxy.setRules([{ name: 'slow', method: 'GET', path: /\/team\/slow2\/blobs\//, action: { type: 'throttle', bytesPerSecond: 100_000 } }]);
    await pushImage(src.url, 'team/slow2', '1', { kind: 'schema2', seed: 'slow2', layers: 1, layerSize: 300_000 });
    const p = proxy.host;
    const d = fs.mkdtempSync(path.join(dir, 'edit-'));
    const a = `FROM ${p}/team/slow2:1\n`;
    const b = `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: b\n      image: ${p}/team/slow2:1\n`;
    fs.writeFileSync(path.join(d, 'Dockerfile'), a);
    fs.writeFileSync(path.join(d, 'pod.yaml'), b);
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let edited = false;
    out.on('data', (x) => (stdout += x));
    err.on('data', (x) => {
      if (!edited && /Mirroring 1 image/.test(String(x))) {
        edited = true;
        fs.appendFileSync(path.join(d, 'Dockerfile'), 'RUN echo edited meanwhile\n');
      }
    });
    const env = { HOME: d, DOCKER_CONFIG: path.join(d, '.docker'), AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR}=${ar.url}` };
    const code = await main(['migrate', '--target', BASE, '--json'], { stdout: out, stderr: err, cwd: d, env, signal: new AbortController().signal, isTTY: false });
    assert.ok(edited);
    assert.equal(code, 1, stdout);
    const doc = JSON.parse(stdout);
    assert.equal(doc.images[0].status, 'copied');
    const files = Object.fromEntries(doc.files.map((f: { file: string }) => [f.file, f]));
    assert.equal(files.Dockerfile.status, 'changed-on-disk');
    assert.match(files.Dockerfile.message, /changed on disk since the scan/);
    assert.equal(files['pod.yaml'].status, 'rewritten');
    assert.equal(fs.readFileSync(path.join(d, 'Dockerfile'), 'utf8'), a + 'RUN echo edited meanwhile\n');
    assert.ok(fs.readFileSync(path.join(d, 'pod.yaml'), 'utf8').includes(`image: ${AR}/test-proj/mirror/${p.replace(':', '-')}/team/slow2:1\n`));
    assert.deepEqual(doc.images[0].notRewritten.map((n: { file: string }) => n.file), ['Dockerfile']);
  });
});

describe('ar-migrate migrate into a token-auth registry posing as Artifact Registry', function () {
  this.timeout(180_000);
  let src: RegistryHandle;
  let ar: RegistryHandle;
  let dir: string;

  before(async () => {
    [src, ar] = await Promise.all([
      startRegistry({ auth: 'token', token: { anonymousPull: true } }),
      startRegistry({ auth: 'token', users: [{ username: 'oauth2accesstoken', password: 'ya29.test' }] }),
    ]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-token-'));
  });
  after(async () => {
    await Promise.all([src?.stop(), ar?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses docker config credentials for the AR host through the endpoint override; never prints them', async () => {
    const img = await pushImage(src.url, 'library/app', '2.0', { kind: 'oci-index', seed: 'tok' }, src.credentials);
    fs.mkdirSync(path.join(dir, '.docker'));
    fs.writeFileSync(
      path.join(dir, '.docker', 'config.json'),
      JSON.stringify({ auths: { [AR]: { auth: Buffer.from('oauth2accesstoken:ya29.test').toString('base64') } } }),
    );
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${src.host}/library/app:2.0\n`);
    const r = await cli(['migrate', '--target', BASE, '--json', '--no-credential-helpers'], dir, { AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR}=${ar.url}` });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.images[0].status, 'copied');
    assert.equal(doc.images[0].targetDigest, img.digest);
    const repo = `test-proj/mirror/${src.host.replace(':', '-')}/library/app`;
    assert.equal((await getManifest(ar.url, repo, '2.0', ar.credentials)).digest, img.digest);
    assert.equal(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), `FROM ${AR}/${repo}:2.0\n`);
    assert.ok(!(r.stdout + r.stderr).includes('ya29.test'));
    // the registry saw pushes as the AR user, under its public name
    assert.ok(ar.tokenServer!.requests.some((q) => q.account === 'oauth2accesstoken' && q.scopes.some((s) => s.includes(repo) && s.includes('push'))));
  });
});

describe('migrate library API (for the language server)', function () {
  this.timeout(180_000);
  let src: RegistryHandle;
  let ar: RegistryHandle;

  before(async () => {
    [src, ar] = await Promise.all([startRegistry(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([src?.stop(), ar?.stop()]);
  });

  it('runMigration on in-memory documents: progress x/y with bytes, edits returned, nothing written with noWrite', async () => {
    const a = await pushImage(src.url, 'lib/a', '1', { kind: 'schema2', seed: 'lib-a', layerSize: 50_000 });
    await pushImage(src.url, 'lib/b', '2', { kind: 'oci-index', seed: 'lib-b' });
    const text = `FROM ${src.host}/lib/a:1 AS a\nFROM ${src.host}/lib/b:2\nCOPY --from=a /x /x\n`;
    const file = { path: '/virtual/Dockerfile', text, findings: scanText('/virtual/Dockerfile', text, new Policy()).findings };
    const progress: { done: number; total: number; bytes: number }[] = [];
    const run = await runMigration([file], BASE, {
      noWrite: true,
      pinDigest: true,
      dispatcher: overrideDispatcher([{ registry: AR, url: ar.url }]),
      onProgress: (p) => progress.push({ done: p.done, total: p.total, bytes: p.bytes }),
    });
    assert.deepEqual(run.report.images.map((i) => i.status), ['copied', 'copied']);
    assert.equal(progress.at(-1)!.done, 2);
    assert.equal(progress.at(-1)!.total, 2);
    assert.ok(progress.at(-1)!.bytes >= 50_000, `bytes ${progress.at(-1)!.bytes}`);
    assert.equal(run.changes.length, 1);
    assert.equal(run.changes[0].edits.length, 2);
    const hc = src.host.replace(':', '-');
    assert.ok(run.changes[0].newText.startsWith(`FROM ${BASE}/${hc}/lib/a:1@${a.digest} AS a\n`));
    assert.equal(run.outcomes[0].status, 'would-rewrite');
    assert.equal(run.report.summary.copied, 2);
  });
});
