/**
 * The runbook requests of the language server, driven over JSON-RPC against
 * a real `node server.js --stdio`: arMigrate/checkAccess and setupLogging
 * against the loopback Google APIs (credentials file + AR_MIGRATE_ENDPOINT_*),
 * kubeContexts / clusterScan with the real kubectl against the loopback kube
 * API server, imagesTxt from the workspace, drift (hover, Re-mirror quick fix,
 * re-pin) against real CNCF registries, and refusal in an untrusted workspace.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeGcp } from '../../harness/gcpServer';
import { pushImage, PushResult } from '../../harness/images';
import { FakeKube, pod } from '../../harness/kubeApiServer';
import { buildServer, LspClient, uri } from '../../harness/lspClient';
import { startRegistry, RegistryHandle } from '../../harness/registry';

const AR = 'us-docker.pkg.dev';
const BASE = `${AR}/test-proj/mirror`;
const NODE_SA = 'serviceAccount:123456789012-compute@developer.gserviceaccount.com';
const D1 = `sha256:${'1'.repeat(64)}`;

async function rejection(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; message: string };
  }
  throw new Error('expected the request to fail');
}

describe('language server runbook requests (loopback Google APIs, kube API, real registries)', function () {
  this.timeout(240_000);
  let tmp: string;
  let ws: string;
  let serverPath: string;
  let fake: FakeGcp;
  let kube: FakeKube;
  let src: RegistryHandle;
  let ar: RegistryHandle;
  let appV1: PushResult;
  let appV2: PushResult;
  let mirrorRepo: string;
  let mirrorRef: string;
  const clients: LspClient[] = [];
  const saved: Record<string, string | undefined> = {};
  const setEnv = (k: string, v: string) => {
    if (!(k in saved)) saved[k] = process.env[k];
    process.env[k] = v;
  };

  const start = async (opts: { trusted?: boolean; settings?: Record<string, unknown> } = {}) => {
    const c = new LspClient({ serverPath, rootPath: ws, initializationOptions: { trusted: opts.trusted ?? true, insecureRegistries: [] }, settings: opts.settings ?? { target: BASE } });
    clients.push(c);
    const progress: { token: string | number; value: any }[] = [];
    const edits: any[] = [];
    const created: (string | number)[] = [];
    c.connection.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      created.push(p.token);
      return null;
    });
    c.connection.onUnhandledProgress((p: { token: string | number; value: any }) => progress.push(p));
    c.connection.onRequest('workspace/applyEdit', (p: any) => {
      edits.push(p);
      return { applied: true };
    });
    const init = await c.initialize();
    return { c, progress, edits, created, init };
  };

  const write = (rel: string, text: string) => {
    const f = path.join(ws, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
    return f;
  };

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-lsp-runbook-'));
    ws = path.join(tmp, 'ws');
    fs.mkdirSync(ws);
    const build = buildServer(path.join(tmp, 'dist'));
    [src, ar, fake, kube] = await Promise.all([startRegistry(), startRegistry(), FakeGcp.start({ opPollsUntilDone: 1 }), FakeKube.start()]);
    fake.addProject('test-proj', '123456789012');
    fake.addProject('logs-proj', '333333333333');
    kube.pods = [
      pod('default', 'web-1', [{ name: 'web', image: 'nginx:1.27', imageID: `docker.io/library/nginx@${D1}` }]),
      pod('default', 'web-2', [
        { name: 'web', image: 'nginx:1.27' },
        { name: 'init', image: 'busybox:1.36', kind: 'init' },
      ]),
      pod('monitoring', 'prom-0', [{ name: 'prom', image: 'quay.io/prometheus/prometheus:v2.53.0' }]),
      pod('apps', 'api-0', [{ name: 'api', image: `${BASE}/api:3` }]),
    ];
    appV1 = await pushImage(src.url, 'team/app', '1', { kind: 'schema2', seed: 'runbook-app-v1' });
    mirrorRepo = `test-proj/mirror/${src.host.replace(':', '-')}/team/app`;
    mirrorRef = `${AR}/${mirrorRepo}:1`;
    // The mirror holds exactly what upstream had (same bytes, same digest).
    const m = await pushImage(ar.url, mirrorRepo, '1', { kind: 'schema2', seed: 'runbook-app-v1' });
    assert.equal(m.digest, appV1.digest);

    write('Dockerfile', `FROM nginx:1.27\nFROM quay.io/prometheus/prometheus:v2.53.0 AS prom\nFROM ${mirrorRef}\n`);
    write('tools/Dockerfile', 'ARG PYVER\nFROM python:${PYVER}\n');
    write('k8s/deploy.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\nspec:\n  containers:\n    - image: redis:7.2\n    - image: ${AR}/${mirrorRepo}:1@${appV1.digest}\n`);

    for (const [k, v] of Object.entries(fake.cliEnv(tmp))) setEnv(k, v);
    setEnv('KUBECONFIG', kube.writeKubeconfig(tmp, [{ name: 'prod' }, { name: 'broken', server: 'https://127.0.0.1:1' }], 'broken'));
    setEnv('KUBECACHEDIR', path.join(tmp, 'kube-cache'));
    setEnv('AR_MIGRATE_REGISTRY_ENDPOINTS', `${AR}=${ar.url}`);
    setEnv('DOCKER_CONFIG', path.join(tmp, 'docker'));
    serverPath = await build;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await Promise.all([src?.stop(), ar?.stop(), fake?.close(), kube?.close()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('arMigrate/checkAccess: findings with gcloud fix commands, progress on the token', async () => {
    fake.addRepository('test-proj', 'us', 'mirror');
    const { c, progress } = await start();
    const r = await c.request<any>('arMigrate/checkAccess', { workDoneToken: 'chk-1' });
    assert.equal(r.target.base, BASE);
    assert.equal(r.ok, false, JSON.stringify(r.findings, null, 2));
    assert.ok(r.findings.some((f: any) => f.id === 'repository' && f.severity === 'ok'));
    assert.ok(r.findings.some((f: any) => f.id === 'push' && f.severity === 'ok'));
    const pull = r.findings.find((f: any) => f.id === 'pull');
    assert.equal(pull.severity, 'error');
    assert.equal(pull.member, NODE_SA);
    const fix = `gcloud artifacts repositories add-iam-policy-binding mirror --location=us --project=test-proj --member=${NODE_SA} --role=roles/artifactregistry.reader`;
    assert.equal(pull.fix, fix);
    assert.deepEqual(r.fixes, [fix]);
    const kinds = progress.filter((p) => p.token === 'chk-1').map((p) => p.value.kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds[kinds.length - 1], 'end');
    assert.ok(kinds.includes('report'), JSON.stringify(kinds));
    // Once the binding exists the check passes.
    fake.repositories.get('projects/test-proj/locations/us/repositories/mirror')!.policy.bindings.push({ role: 'roles/artifactregistry.reader', members: [NODE_SA] });
    const ok = await c.request<any>('arMigrate/checkAccess', {});
    assert.equal(ok.ok, true, JSON.stringify(ok.findings, null, 2));
    assert.deepEqual(ok.fixes, []);
    // No credentials logged.
    assert.ok(!c.logs.join('\n').includes(fake.clientSecret));
    assert.ok(!c.logs.join('\n').includes(fake.refreshToken));
  });

  it('bad parameters and a missing or bad target are clear InvalidParams errors (checkAccess, drift, clusterScan, setupLogging)', async () => {
    const { c } = await start({ settings: {} });
    const none = await rejection(c.request('arMigrate/checkAccess', {}));
    assert.equal(none.code, -32602);
    assert.match(none.message, /no Artifact Registry target/);
    const bad = await rejection(c.request('arMigrate/checkAccess', { target: 'docker.io/library' }));
    assert.equal(bad.code, -32602);
    assert.match(bad.message, /docker\.io\/library/);
    const drift = await rejection(c.request('arMigrate/drift', {}));
    assert.equal(drift.code, -32602);
    assert.match(drift.message, /Check drift: .*arMigrate\.target/);
    const ns = await rejection(c.request('arMigrate/clusterScan', { namespace: 'Not A Namespace' }));
    assert.equal(ns.code, -32602);
    assert.match(ns.message, /"Not A Namespace" is not a Kubernetes namespace/);
    const junk = await rejection(c.request('arMigrate/setupLogging', { projects: 42, dataset: ['x'] }));
    assert.equal(junk.code, -32602);
    assert.equal(c.alive, true);
  });

  it('arMigrate/checkAccess: refused credentials are a RequestFailed naming the login command, with no secret in it', async () => {
    const dir = path.join(tmp, 'revoked');
    fs.mkdirSync(dir, { recursive: true });
    const file = fake.writeCredentialsFile(dir);
    const creds = JSON.parse(fs.readFileSync(file, 'utf8'));
    creds.refresh_token = 'revoked-refresh-token';
    fs.writeFileSync(file, JSON.stringify(creds));
    const good = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = file;
    let started;
    try {
      started = start();
    } finally {
      process.env.GOOGLE_APPLICATION_CREDENTIALS = good;
    }
    const { c } = await started;
    const e = await rejection(c.request('arMigrate/checkAccess', {}));
    assert.equal(e.code, -32803);
    assert.match(e.message, /gcloud auth application-default login/);
    assert.ok(!e.message.includes('revoked-refresh-token') && !e.message.includes(fake.clientSecret), e.message);
    assert.ok(!c.logs.join('\n').includes('revoked-refresh-token'));
  });

  it('arMigrate/setupLogging: creates dataset, sink and grant; a second run changes nothing; settings to use', async () => {
    const { c, progress } = await start();
    const r = await c.request<any>('arMigrate/setupLogging', { projects: 'test-proj', dataset: 'logs-proj.image_pulls', location: 'EU', workDoneToken: 'log-1' });
    assert.equal(r.dataset, 'logs-proj.image_pulls');
    assert.equal(r.datasetCreated, true);
    assert.equal(r.changed, true);
    assert.deepEqual(r.sinks.map((s: any) => [s.project, s.action, s.grantAdded]), [['test-proj', 'created', true]]);
    assert.ok(fake.sinks.get('projects/test-proj/sinks/image_pull_logs'));
    assert.equal(r.settings['arMigrate.pullCounts.source'], 'bigquery');
    assert.equal(r.settings['arMigrate.pullCounts.bigquery.dataset'], 'logs-proj.image_pulls');
    assert.equal(r.settings['arMigrate.pullCounts.bigquery.location'], 'EU');
    assert.match(r.text, /Created BigQuery dataset logs-proj\.image_pulls/);
    assert.ok(progress.some((p) => p.token === 'log-1' && p.value.kind === 'begin'));
    const again = await c.request<any>('arMigrate/setupLogging', { projects: ['test-proj'], dataset: 'logs-proj.image_pulls' });
    assert.equal(again.changed, false);
    assert.deepEqual(again.sinks.map((s: any) => s.action), ['unchanged']);
    const bad = await rejection(c.request('arMigrate/setupLogging', { projects: ['Bad_Project'], dataset: 'logs-proj.image_pulls' }));
    assert.equal(bad.code, -32602);
    assert.match(bad.message, /Bad_Project/);
    const noDs = await rejection(c.request('arMigrate/setupLogging', { projects: ['test-proj'], dataset: 'nodot' }));
    assert.equal(noDs.code, -32602);
  });

  it('arMigrate/kubeContexts and arMigrate/clusterScan: the real kubectl, images only in the cluster', async () => {
    const { c, progress } = await start();
    const ctxs = await c.request<any>('arMigrate/kubeContexts', {});
    assert.deepEqual([...ctxs.contexts].sort(), ['broken', 'prod']);
    assert.equal(ctxs.current, 'broken');
    const r = await c.request<any>('arMigrate/clusterScan', { context: 'prod', workDoneToken: 'scan-1' });
    assert.equal(r.context, 'prod');
    assert.equal(r.pods, 4);
    const by = new Map(r.images.map((i: any) => [i.normalized, i]));
    const nginx: any = by.get('docker.io/library/nginx:1.27');
    assert.equal(nginx.pods, 2);
    assert.deepEqual(nginx.namespaces, ['default']);
    assert.equal(nginx.thirdParty, true);
    assert.equal(nginx.inWorkspace, 'same');
    assert.equal((by.get('quay.io/prometheus/prometheus:v2.53.0') as any).inWorkspace, 'same');
    assert.equal((by.get(`${BASE}/api:3`) as any).thirdParty, false);
    assert.deepEqual(r.onlyInCluster.map((i: any) => i.normalized).sort(), ['docker.io/library/busybox:1.36', `${BASE}/api:3`]);
    assert.deepEqual(r.onlyInClusterThirdParty.map((i: any) => i.normalized), ['docker.io/library/busybox:1.36']);
    assert.ok(progress.some((p) => p.token === 'scan-1' && p.value.kind === 'end'));
    // The current context points nowhere: a clear error naming it.
    const e = await rejection(c.request('arMigrate/clusterScan', {}));
    assert.equal(e.code, -32803);
    assert.match(e.message, /Cannot reach the cluster/);
    const missing = await rejection(c.request('arMigrate/clusterScan', { context: 'nope' }));
    assert.match(missing.message, /context "nope" does not exist/);
  });

  it('arMigrate/imagesTxt: the workspace third-party images, sorted; variables are skipped with file and line', async () => {
    const { c } = await start();
    const r = await c.request<any>('arMigrate/imagesTxt', {});
    assert.equal(r.text, 'docker.io/library/nginx:1.27\ndocker.io/library/redis:7.2\nquay.io/prometheus/prometheus:v2.53.0\n');
    assert.deepEqual(r.images, ['docker.io/library/nginx:1.27', 'docker.io/library/redis:7.2', 'quay.io/prometheus/prometheus:v2.53.0']);
    const skip = r.skipped.find((s: any) => s.text.includes('${PYVER}'));
    assert.ok(skip, JSON.stringify(r.skipped));
    assert.equal(skip.uri, uri(path.join(ws, 'tools/Dockerfile')));
    assert.equal(skip.line, 1);
    assert.match(skip.reason, /variables/);
  });

  it('drift: hover after a check, Re-mirror quick fix copies upstream and a second check is in sync; re-pins pinned references', async () => {
    const { c, progress, edits, created } = await start();
    const dockerfile = path.join(ws, 'Dockerfile');
    const du = uri(dockerfile);
    const text = fs.readFileSync(dockerfile, 'utf8');
    await c.open(du, text, 'dockerfile');
    await c.waitForDiagnostics(du);
    const pos = { line: 2, character: 12 };
    const hover0 = await c.request<any>('textDocument/hover', { textDocument: { uri: du }, position: pos });
    assert.match(hover0.contents.value, /Drift:\*\* not checked/);

    const r1 = await c.request<any>('arMigrate/drift', { workDoneToken: 'drift-1' });
    assert.deepEqual(r1.targets, [BASE]);
    const e1 = r1.entries.find((e: any) => e.mirror === mirrorRef);
    assert.equal(e1.status, 'in-sync', JSON.stringify(e1));
    assert.equal(e1.upstream, `${src.host}/team/app:1`);
    assert.equal(e1.references[0].uri, du);
    assert.ok(progress.some((p) => p.token === 'drift-1' && p.value.kind === 'report'));
    const hover1 = await c.request<any>('textDocument/hover', { textDocument: { uri: du }, position: pos });
    assert.match(hover1.contents.value, /Drift: in sync/);
    assert.ok(hover1.contents.value.includes(appV1.digest.slice(0, 19)));

    // Upstream moves on.
    appV2 = await pushImage(src.url, 'team/app', '1', { kind: 'schema2', seed: 'runbook-app-v2' });
    assert.notEqual(appV2.digest, appV1.digest);
    const r2 = await c.request<any>('arMigrate/drift', {});
    const e2 = r2.entries.find((e: any) => e.mirror === mirrorRef);
    assert.equal(e2.status, 'drifted');
    assert.equal(e2.upstreamDigest, appV2.digest);
    assert.equal(e2.mirrorDigest, appV1.digest);
    const pinnedRef = `${AR}/${mirrorRepo}:1@${appV1.digest}`;
    assert.equal(r2.entries.find((e: any) => e.mirror === pinnedRef).status, 'drifted');
    assert.equal(r2.summary.drifted, 2);
    const hover2 = await c.request<any>('textDocument/hover', { textDocument: { uri: du }, position: pos });
    assert.match(hover2.contents.value, /Drift: drifted/);
    assert.ok(hover2.contents.value.includes(appV2.digest.slice(0, 19)), hover2.contents.value);
    assert.ok(hover2.contents.value.includes(appV1.digest.slice(0, 19)), hover2.contents.value);

    // The report carries the status.
    const report = await c.request<any>('arMigrate/report', {});
    const img = report.images.find((i: any) => i.repository === `${AR}/${mirrorRepo}`);
    assert.ok(img.drift.some((d: any) => d.mirror === mirrorRef && d.status === 'drifted'), JSON.stringify(img));

    const range = { start: { line: 2, character: 5 }, end: { line: 2, character: 5 + mirrorRef.length } };
    const actions = await c.request<any[]>('textDocument/codeAction', { textDocument: { uri: du }, range, context: { diagnostics: [] } });
    const remirror = actions.find((a) => a.title.startsWith('Re-mirror from upstream'));
    assert.ok(remirror, JSON.stringify(actions.map((a) => a.title)));
    assert.equal(remirror.kind, 'quickfix');
    const res = await c.request<any>('workspace/executeCommand', { command: remirror.command.command, arguments: remirror.command.arguments });
    assert.equal(res.ok, true, JSON.stringify(res));
    assert.equal(res.digest, appV2.digest);
    // Server-initiated, cancellable progress for the copy.
    assert.equal(created.length, 1);
    const rp = progress.filter((p) => p.token === created[0]).map((p) => p.value);
    assert.equal(rp[0].kind, 'begin');
    assert.equal(rp[0].cancellable, true);
    assert.match(rp[0].title, /Re-mirroring .*team\/app:1/);
    assert.equal(rp[rp.length - 1].kind, 'end');
    const hover3 = await c.request<any>('textDocument/hover', { textDocument: { uri: du }, position: pos });
    assert.match(hover3.contents.value, /re-mirrored from upstream/);
    assert.ok(!/Drift: drifted/.test(hover3.contents.value));

    const r3 = await c.request<any>('arMigrate/drift', {});
    assert.equal(r3.entries.find((e: any) => e.mirror === mirrorRef).status, 'in-sync');
    // The pinned reference still deploys the old digest: its quick fix re-pins it.
    assert.equal(r3.entries.find((e: any) => e.mirror === pinnedRef).status, 'drifted');
    const yu = uri(path.join(ws, 'k8s/deploy.yaml'));
    const ytext = fs.readFileSync(path.join(ws, 'k8s/deploy.yaml'), 'utf8');
    await c.open(yu, ytext, 'yaml');
    await c.waitForDiagnostics(yu);
    const line = ytext.split('\n')[7];
    const col = line.indexOf(AR);
    const pActions = await c.request<any[]>('textDocument/codeAction', { textDocument: { uri: yu }, range: { start: { line: 7, character: col }, end: { line: 7, character: col + 3 } }, context: { diagnostics: [] } });
    const pFix = pActions.find((a) => a.title.startsWith('Re-mirror from upstream'));
    assert.ok(pFix);
    const pRes = await c.request<any>('workspace/executeCommand', { command: pFix.command.command, arguments: pFix.command.arguments });
    assert.equal(pRes.ok, true, JSON.stringify(pRes));
    assert.equal(pRes.repinned, 1);
    const edit = edits[edits.length - 1].edit.changes[yu];
    assert.equal(edit.length, 1);
    assert.equal(edit[0].newText, `${AR}/${mirrorRepo}:1@${appV2.digest}`);
    assert.equal(edit[0].range.start.line, 7);
  });

  it('refuses every runbook request and the re-mirror command in an untrusted workspace; hover says why', async () => {
    const { c } = await start({ trusted: false });
    for (const [m, p] of [
      ['arMigrate/checkAccess', {}],
      ['arMigrate/setupLogging', { projects: ['test-proj'], dataset: 'logs-proj.x' }],
      ['arMigrate/kubeContexts', {}],
      ['arMigrate/clusterScan', { context: 'prod' }],
      ['arMigrate/imagesTxt', {}],
      ['arMigrate/drift', {}],
    ] as const) {
      const e = await rejection(c.request(m, p));
      assert.equal(e.code, -32600, m);
      assert.match(e.message, /trusted workspace/, m);
    }
    const res = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.server.remirror', arguments: [{ mirror: mirrorRef, upstream: `${src.host}/team/app:1` }] });
    assert.equal(res.ok, false);
    assert.match(res.message, /trusted workspace/);
    const du = uri(path.join(ws, 'Dockerfile'));
    await c.open(du, fs.readFileSync(path.join(ws, 'Dockerfile'), 'utf8'), 'dockerfile');
    await c.waitForDiagnostics(du);
    const h = await c.request<any>('textDocument/hover', { textDocument: { uri: du }, position: { line: 2, character: 12 } });
    assert.match(h.contents.value, /needs a trusted workspace/);
  });

  it('honours $/cancelRequest (cluster scan through a stalled API server is cancelled)', async () => {
    const { c } = await start();
    const { CancellationTokenSource } = await import('vscode-jsonrpc/node');
    const stall = await import('node:net').then((net) => net.createServer(() => undefined));
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()));
    const port = (stall.address() as { port: number }).port;
    const kc = kube.writeKubeconfig(path.join(tmp), [{ name: 'stalled', server: `https://127.0.0.1:${port}` }]);
    try {
      const cts = new CancellationTokenSource();
      const p = c.connection.sendRequest('arMigrate/clusterScan', { kubeconfig: kc, context: 'stalled' }, cts.token);
      setTimeout(() => cts.cancel(), 1500);
      const e = await rejection(p);
      assert.equal(e.code, -32800, e.message);
      assert.equal(c.alive, true);
    } finally {
      stall.close();
      // Restore the shared kubeconfig file for the other tests.
      kube.writeKubeconfig(tmp, [{ name: 'prod' }, { name: 'broken', server: 'https://127.0.0.1:1' }], 'broken');
    }
  });

  it('honours $/cancelRequest for drift (upstream registry that never answers)', async () => {
    const net = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const stall = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()));
    const port = (stall.address() as { port: number }).port;
    const repo = `test-proj/mirror/127.0.0.1-${port}/slow/app`;
    await pushImage(ar.url, repo, '1', { kind: 'schema2', seed: 'runbook-slow' });
    const f = write('slow/Dockerfile', `FROM ${AR}/${repo}:1\n`);
    const { c } = await start();
    const { CancellationTokenSource } = await import('vscode-jsonrpc/node');
    try {
      const cts = new CancellationTokenSource();
      const p = c.connection.sendRequest('arMigrate/drift', {}, cts.token);
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 60_000;
        const poll = () => (sockets.size > 0 ? resolve() : Date.now() > deadline ? reject(new Error('drift never reached the upstream')) : setTimeout(poll, 50));
        poll();
      });
      cts.cancel();
      const e = await rejection(p);
      assert.equal(e.code, -32800, e.message);
      // The server still answers.
      const h = await c.request<any>('arMigrate/imagesTxt', {});
      assert.ok(Array.isArray(h.images));
    } finally {
      for (const s of sockets) s.destroy();
      stall.close();
      fs.rmSync(path.dirname(f), { recursive: true, force: true });
    }
  });
});
