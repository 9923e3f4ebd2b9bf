/**
 * Protocol test of the language server: a real `node server.js --stdio`
 * process driven over JSON-RPC (vscode-jsonrpc), as an editor would.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fork } from 'node:child_process';
import * as net from 'node:net';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { applyTextEdits, buildServer, Diagnostic, LspClient, uri } from '../../harness/lspClient';

const TARGET = 'us-central1-docker.pkg.dev/acme-prod/mirror';

const DOCKERFILE = [
  'ARG BASE=node:20-alpine',
  'FROM ${BASE} AS build',
  'FROM us-docker.pkg.dev/acme-prod/base/runtime:1',
  '# ar-migrate: ignore',
  'FROM busybox:1.36',
  'COPY --from=ghcr.io/acme/tool:2 /tool /tool',
  '  FROM nginx:1.27   # web',
  '',
].join('\n');

const K8S = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: web',
  'spec:',
  '  template:',
  '    spec:',
  '      containers:',
  '        - name: web',
  '          image: "quay.io/prometheus/node-exporter:v1.8.0" # exporter',
  '        - name: bad',
  '          image: Nginx:Latest',
  '        - name: cache',
  '          image: harbor.corp.example/cache/redis:7',
  '',
].join('\n');

function byCode(d: Diagnostic[], code: string) {
  return d.filter((x) => x.code === code);
}
function textAt(text: string, r: Diagnostic['range']): string {
  const lines = text.split('\n');
  assert.equal(r.start.line, r.end.line);
  return lines[r.start.line].slice(r.start.character, r.end.character);
}

describe('language server (LSP over stdio)', function () {
  this.timeout(120000);
  let tmp: string;
  let serverPath: string;
  let ws: string;
  const clients: LspClient[] = [];
  const start = async (opts: ConstructorParameters<typeof LspClient>[0] = {}) => {
    const c = new LspClient({ serverPath, rootPath: ws, ...opts });
    clients.push(c);
    await c.initialize();
    return c;
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-lsp-'));
    serverPath = await buildServer(path.join(tmp, 'dist'));
    ws = path.join(tmp, 'ws');
    fs.mkdirSync(path.join(ws, 'k8s'), { recursive: true });
    fs.mkdirSync(path.join(ws, 'node_modules/pkg'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'Dockerfile'), DOCKERFILE);
    fs.writeFileSync(path.join(ws, 'k8s/deploy.yaml'), K8S);
    fs.writeFileSync(path.join(ws, 'node_modules/pkg/Dockerfile'), 'FROM alpine:3\n');
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('announces incremental sync, hover, code actions and the workspace commands', async () => {
    const c = new LspClient({ serverPath, rootPath: ws });
    clients.push(c);
    const init = await c.initialize();
    assert.equal(init.capabilities.textDocumentSync.change, 2);
    assert.equal(init.capabilities.hoverProvider, true);
    assert.ok(init.capabilities.codeActionProvider.codeActionKinds.includes('quickfix'));
    assert.ok(init.capabilities.executeCommandProvider.commands.includes('arMigrate.server.scanWorkspace'));
    assert.equal(init.serverInfo.name, 'ar-migrate-language-server');
  });

  it('publishes diagnostics with codes, exact ranges and messages naming image and registry (Dockerfile)', async () => {
    const c = await start();
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, DOCKERFILE, 'dockerfile');
    const d = await c.waitForDiagnostics(u);
    const third = byCode(d, 'third-party-image');
    assert.deepEqual(third.map((x) => textAt(DOCKERFILE, x.range)).sort(), ['ghcr.io/acme/tool:2', 'nginx:1.27', 'node:20-alpine']);
    for (const x of d) assert.equal(x.source, 'ar-migrate');
    const nginx = third.find((x) => x.range.start.line === 6)!;
    assert.deepEqual(nginx.range, { start: { line: 6, character: 7 }, end: { line: 6, character: 17 } });
    assert.equal(nginx.severity, 2);
    assert.match(nginx.message, /docker\.io\/library\/nginx:1\.27/);
    assert.match(nginx.message, /docker\.io/);
    assert.equal(nginx.data.normalized, 'docker.io/library/nginx:1.27');
    assert.equal(nginx.data.text, 'nginx:1.27');
    assert.equal(nginx.data.registry, 'docker.io');
    const arg = third.find((x) => x.range.start.line === 0)!;
    assert.equal(arg.data.kind, 'dockerfile-arg');
    assert.equal(arg.relatedInformation?.[0].location.range.start.line, 1);
    const ghcr = third.find((x) => x.range.start.line === 5)!;
    assert.match(ghcr.message, /ghcr\.io/);
  });

  it('YAML: range excludes quotes; invalid references get invalid-image-reference; hover shows target', async () => {
    const c = await start({ settings: { target: TARGET } });
    const u = uri(path.join(ws, 'k8s/deploy.yaml'));
    await c.open(u, K8S);
    const d = await c.waitForDiagnostics(u);
    const third = byCode(d, 'third-party-image');
    assert.deepEqual(third.map((x) => textAt(K8S, x.range)), ['quay.io/prometheus/node-exporter:v1.8.0', 'harbor.corp.example/cache/redis:7']);
    assert.equal(third[0].data.target, `${TARGET}/quay.io/prometheus/node-exporter:v1.8.0`);
    const invalid = byCode(d, 'invalid-image-reference');
    assert.equal(invalid.length, 1);
    assert.equal(invalid[0].severity, 1);
    assert.equal(textAt(K8S, invalid[0].range), 'Nginx:Latest');

    const h = await c.request('textDocument/hover', { textDocument: { uri: u }, position: { line: 9, character: 30 } });
    const md: string = h.contents.value;
    assert.match(md, /quay\.io\/prometheus\/node-exporter:v1\.8\.0/);
    assert.match(md, /third-party/);
    assert.match(md, /Quay/);
    assert.ok(md.includes(`${TARGET}/quay.io/prometheus/node-exporter:v1.8.0`), md);
    const none = await c.request('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 2 } });
    assert.equal(none, null);
  });

  it('hover on a first-party image and on the $VAR of a FROM; no target says how to set it', async () => {
    const c = await start();
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, DOCKERFILE, 'dockerfile');
    await c.waitForDiagnostics(u);
    const first = await c.request('textDocument/hover', { textDocument: { uri: u }, position: { line: 2, character: 10 } });
    assert.match(first.contents.value, /first-party/);
    const v = await c.request('textDocument/hover', { textDocument: { uri: u }, position: { line: 1, character: 8 } });
    assert.match(v.contents.value, /docker\.io\/library\/node:20-alpine/);
    assert.match(v.contents.value, /arMigrate\.target/);
  });

  it('quick fix rewrites only the reference characters; ignore action adds an indented comment', async () => {
    const c = await start({ settings: { target: TARGET } });
    const u = uri(path.join(ws, 'k8s/deploy.yaml'));
    await c.open(u, K8S);
    const d = await c.waitForDiagnostics(u);
    const quay = byCode(d, 'third-party-image')[0];
    const actions: any[] = await c.request('textDocument/codeAction', {
      textDocument: { uri: u },
      range: quay.range,
      context: { diagnostics: [quay], only: ['quickfix'] },
    });
    const rewrite = actions.find((a) => /Rewrite to Artifact Registry/.test(a.title));
    assert.ok(rewrite, JSON.stringify(actions));
    assert.equal(rewrite.kind, 'quickfix');
    // Text-only: never the preferred fix (mirroring first is; see lsp-mirror tests).
    assert.notEqual(rewrite.isPreferred, true);
    assert.deepEqual(rewrite.diagnostics.map((x: Diagnostic) => x.code), ['third-party-image']);
    const after = applyTextEdits(K8S, rewrite.edit.changes[u]);
    assert.ok(after.includes(`          image: "${TARGET}/quay.io/prometheus/node-exporter:v1.8.0" # exporter\n`), after);
    assert.equal(after.split('\n').length, K8S.split('\n').length);

    const ignore = actions.find((a) => /Ignore this image/.test(a.title));
    const ignored = applyTextEdits(K8S, ignore.edit.changes[u]);
    assert.ok(ignored.includes('        - name: web\n          # ar-migrate: ignore\n          image: "quay.io/'), ignored);

    // Apply the ignore edit as a full-text change: the diagnostic goes away.
    await c.change(u, 2, [{ text: ignored }]);
    const d2 = await c.waitForDiagnostics(u, (x) => byCode(x, 'third-party-image').length === 1);
    assert.equal(textAt(ignored, byCode(d2, 'third-party-image')[0].range), 'harbor.corp.example/cache/redis:7');
  });

  it('without a target the rewrite action explains how to set one', async () => {
    const c = await start();
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, DOCKERFILE, 'dockerfile');
    const d = await c.waitForDiagnostics(u);
    const nginx = byCode(d, 'third-party-image').find((x) => x.range.start.line === 6)!;
    const actions: any[] = await c.request('textDocument/codeAction', { textDocument: { uri: u }, range: nginx.range, context: { diagnostics: [nginx] } });
    const rewrite = actions.find((a) => /Rewrite to Artifact Registry/.test(a.title));
    assert.ok(rewrite);
    assert.match(rewrite.title, /arMigrate\.target/);
    assert.equal(rewrite.edit, undefined);
    assert.equal(rewrite.command.command, 'arMigrate.configureTarget');
    const ignore = actions.find((a) => /Ignore this image/.test(a.title));
    assert.equal(applyTextEdits(DOCKERFILE, ignore.edit.changes[u]).split('\n')[6], '  # ar-migrate: ignore');
  });

  it('follows incremental edits (range changes, line inserts)', async () => {
    const c = await start({ settings: { target: TARGET } });
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, DOCKERFILE, 'dockerfile');
    await c.waitForDiagnostics(u);
    // nginx:1.27 -> nginx:1.28 (replace "27" on line 6)
    await c.change(u, 2, [{ range: { start: { line: 6, character: 15 }, end: { line: 6, character: 17 } }, text: '28' }]);
    let d = await c.waitForDiagnostics(u, (x) => x.some((y) => /nginx:1\.28/.test(y.message)));
    assert.ok(!d.some((y) => /nginx:1\.27/.test(y.message)));
    // Insert two lines at the top: every range moves down by two.
    await c.change(u, 3, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# syntax=docker/dockerfile:1\n# hi\n' }]);
    d = await c.waitForDiagnostics(u, (x) => x.some((y) => y.range.start.line === 8 && /nginx:1\.28/.test(y.message)));
    assert.deepEqual(d.find((y) => /nginx/.test(y.message))!.range, { start: { line: 8, character: 7 }, end: { line: 8, character: 17 } });
    // Several changes in one notification, applied in order.
    await c.change(u, 4, [
      { range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, text: '' },
      { range: { start: { line: 6, character: 7 }, end: { line: 6, character: 17 } }, text: 'docker.io/library/httpd:2.4' },
    ]);
    d = await c.waitForDiagnostics(u, (x) => x.some((y) => /httpd:2\.4/.test(y.message)));
    const httpd = d.find((y) => /httpd/.test(y.message))!;
    assert.deepEqual(httpd.range, { start: { line: 6, character: 7 }, end: { line: 6, character: 34 } });
    assert.equal(httpd.data.target, `${TARGET}/httpd:2.4`);
  });

  it('survives broken and hostile YAML and keeps answering', async () => {
    const c = await start();
    const u = uri(path.join(ws, 'broken.yaml'));
    const broken = 'services:\n  web:\n    image: nginx:1\n   bad: [unclosed\n  "x: {\n\t- tab\n';
    await c.open(u, broken);
    const bd = await c.waitForDiagnostics(u);
    const parse = byCode(bd, 'yaml-parse-error');
    assert.equal(parse.length, 1, JSON.stringify(bd));
    assert.equal(parse[0].source, 'ar-migrate');
    assert.match(parse[0].message, /YAML/);
    const deep = uri(path.join(ws, 'deep.yaml'));
    await c.open(deep, 'a: ' + '['.repeat(50000) + '\n');
    const dd = await c.waitForDiagnostics(deep);
    assert.deepEqual(dd.map((x) => x.code), ['extract-error']);
    const bin = uri(path.join(ws, 'bin.yaml'));
    await c.open(bin, '\u0000\u0001\uffff image: \ud800 ---\n...\n---\nimage: [');
    await c.waitForDiagnostics(bin);
    // Still alive and working on a good document.
    const good = uri(path.join(ws, 'good.yaml'));
    await c.open(good, 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: redis:7\n');
    const d = await c.waitForDiagnostics(good, (x) => x.length > 0);
    assert.equal(d[0].code, 'third-party-image');
    assert.ok(c.alive, c.stderr);
    const h = await c.request('textDocument/hover', { textDocument: { uri: u }, position: { line: 3, character: 5 } });
    assert.ok(h === null || typeof h === 'object');
    // Requests for unknown documents and bad positions don't fail.
    assert.equal(await c.request('textDocument/hover', { textDocument: { uri: 'file:///nope.yaml' }, position: { line: 99, character: 99 } }), null);
    assert.deepEqual(await c.request('textDocument/codeAction', { textDocument: { uri: 'file:///nope.yaml' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } }), []);
    assert.ok(c.alive);
  });

  it('reacts to configuration changes: first-party registries, ignored images, severity, target', async () => {
    const c = await start();
    const u = uri(path.join(ws, 'k8s/deploy.yaml'));
    await c.open(u, K8S);
    let d = await c.waitForDiagnostics(u, (x) => byCode(x, 'third-party-image').length === 2);
    assert.equal(byCode(d, 'third-party-image')[0].data.target, undefined);
    c.settings = {
      target: TARGET,
      firstPartyRegistries: ['*.corp.example'],
      severity: { thirdPartyImage: 'error', 'invalid-image-reference': 'off' },
    };
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    d = await c.waitForDiagnostics(u, (x) => byCode(x, 'third-party-image').length === 1 && byCode(x, 'invalid-image-reference').length === 0);
    const only = byCode(d, 'third-party-image')[0];
    assert.equal(only.severity, 1);
    assert.equal(only.data.target, `${TARGET}/quay.io/prometheus/node-exporter:v1.8.0`);
    c.settings = { ignoredImages: ['quay.io/**'], target: 'not-a-registry/x' };
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    d = await c.waitForDiagnostics(u, (x) => byCode(x, 'third-party-image').length === 1 && byCode(x, 'invalid-image-reference').length === 1);
    assert.equal(textAt(K8S, byCode(d, 'third-party-image')[0].range), 'harbor.corp.example/cache/redis:7');
    const deadline = Date.now() + 10000;
    while (!c.messages.some((m) => /not-a-registry/.test(m.message)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(c.messages.some((m) => /LOCATION-docker\.pkg\.dev\/PROJECT\/REPOSITORY/.test(m.message)), JSON.stringify(c.messages));
  });

  it('takes settings from initializationOptions and pushed didChangeConfiguration (no workspace/configuration)', async () => {
    const c = await start({ configuration: false, initializationOptions: { arMigrate: { target: TARGET } } });
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, DOCKERFILE, 'dockerfile');
    let d = await c.waitForDiagnostics(u);
    assert.equal(byCode(d, 'third-party-image').find((x) => x.range.start.line === 6)!.data.target, `${TARGET}/nginx:1.27`);
    await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: { arMigrate: { ignoredImages: ['nginx'] } } });
    d = await c.waitForDiagnostics(u, (x) => byCode(x, 'third-party-image').length === 2);
    assert.ok(!d.some((x) => /nginx/.test(x.message)));
  });

  it('arMigrate/scanWorkspace walks the workspace like the CLI (open documents from memory)', async () => {
    const c = await start({ settings: { target: TARGET } });
    const dockerUri = uri(path.join(ws, 'Dockerfile'));
    // An unsaved change in an open document is what counts.
    await c.open(dockerUri, DOCKERFILE.replace('nginx:1.27', 'httpd:2.4'), 'dockerfile');
    const r = await c.request('arMigrate/scanWorkspace', {});
    const files = [...new Set(r.findings.map((f: any) => f.file))].sort();
    assert.deepEqual(files, ['Dockerfile', 'k8s/deploy.yaml']);
    assert.ok(r.findings.some((f: any) => f.normalized === 'docker.io/library/httpd:2.4' && f.uri === dockerUri));
    assert.ok(!r.findings.some((f: any) => /nginx:1\.27/.test(f.normalized ?? '')));
    assert.ok(!r.findings.some((f: any) => f.normalized === 'docker.io/library/alpine:3'), 'node_modules skipped');
    const quay = r.findings.find((f: any) => f.registry === 'quay.io');
    assert.equal(quay.target, `${TARGET}/quay.io/prometheus/node-exporter:v1.8.0`);
    assert.equal(quay.kind, 'k8s');
    assert.equal(quay.code, 'third-party-image');
    assert.ok(r.findings.some((f: any) => f.code === 'invalid-image-reference'));
    assert.equal(r.target, TARGET);
    const all = await c.request('workspace/executeCommand', { command: 'arMigrate.server.scanWorkspace', arguments: [{ all: true }] });
    assert.ok(all.findings.some((f: any) => f.thirdParty === false && f.registry === 'us-docker.pkg.dev'));
  });

  it('arMigrate/rewriteEdits returns a WorkspaceEdit for all files (target or explicit mapping)', async () => {
    const c = await start({ settings: { target: TARGET } });
    const r = await c.request('arMigrate/rewriteEdits', {});
    const dockerUri = uri(path.join(ws, 'Dockerfile'));
    const k8sUri = uri(path.join(ws, 'k8s/deploy.yaml'));
    assert.equal(r.files, 2);
    const newDocker = applyTextEdits(DOCKERFILE, r.edit.changes[dockerUri]);
    assert.ok(newDocker.startsWith(`ARG BASE=${TARGET}/node:20-alpine\n`), newDocker);
    assert.ok(newDocker.includes(`  FROM ${TARGET}/nginx:1.27   # web`));
    assert.ok(newDocker.includes('FROM busybox:1.36'), 'ignored reference kept');
    const newK8s = applyTextEdits(K8S, r.edit.changes[k8sUri]);
    assert.ok(newK8s.includes(`image: "${TARGET}/quay.io/prometheus/node-exporter:v1.8.0" # exporter`));
    assert.ok(newK8s.includes('image: Nginx:Latest'));

    const m = await c.request('arMigrate/rewriteEdits', { mapping: { 'docker.io/library/nginx': 'europe-docker.pkg.dev/acme-prod/web/nginx' }, uris: [dockerUri] });
    assert.equal(m.files, 1);
    assert.deepEqual(m.edit.changes[dockerUri].map((e: any) => e.newText), ['europe-docker.pkg.dev/acme-prod/web/nginx:1.27']);
  });

  it('client protocol: includeAll/rewriteTo/familiar, rewriteEdits by images+target+digests, report, findingsChanged', async () => {
    const c = await start({ settings: { target: TARGET } });
    const dockerUri = uri(path.join(ws, 'Dockerfile'));
    await c.open(dockerUri, DOCKERFILE, 'dockerfile');
    const summary = await c.waitForNotification('arMigrate/findingsChanged', (p) => p.thirdParty === 3);
    assert.deepEqual(summary, { thirdParty: 3, images: 3, ignored: 1, invalid: 0, targetConfigured: true });

    const scan = await c.request('arMigrate/scanWorkspace', { includeAll: true, withPulls: false });
    const busybox = scan.findings.find((f: any) => f.repository === 'docker.io/library/busybox');
    assert.equal(busybox.ignored, true);
    const nginx = scan.findings.find((f: any) => f.repository === 'docker.io/library/nginx');
    assert.equal(nginx.familiar, 'nginx:1.27');
    assert.equal(nginx.rewriteTo, `${TARGET}/nginx:1.27`);
    assert.ok(scan.findings.some((f: any) => f.thirdParty === false));

    const digest = 'sha256:' + '1'.repeat(64);
    const other = 'europe-west4-docker.pkg.dev/acme-prod/hub';
    const r = await c.request('arMigrate/rewriteEdits', {
      images: ['docker.io/library/nginx:1.27'],
      target: other,
      digests: { 'docker.io/library/nginx:1.27': digest },
    });
    assert.deepEqual(Object.keys(r.edit.changes), [dockerUri]);
    assert.deepEqual(r.edit.changes[dockerUri].map((e: any) => e.newText), [`${other}/nginx:1.27@${digest}`]);
    const bad = await c.request('arMigrate/rewriteEdits', { images: ['docker.io/library/nginx:1.27'], target: 'docker.io/x' });
    assert.match(bad.error, /LOCATION-docker\.pkg\.dev/);

    const rep = await c.request('arMigrate/report', {});
    const img = rep.images.find((i: any) => i.repository === 'docker.io/library/nginx');
    assert.equal(img.familiar, 'nginx');
    assert.deepEqual(img.versions, ['1.27']);
    assert.equal(img.rewriteTo, `${TARGET}/nginx`);
    assert.equal(rep.images.find((i: any) => i.repository === 'docker.io/library/busybox').ignored, true);
    assert.equal(rep.target, TARGET);
    assert.ok(rep.totals.thirdParty >= 4, JSON.stringify(rep.totals));

    await c.close(dockerUri);
    await c.waitForNotification('arMigrate/findingsChanged', (p) => p.thirdParty === 0);
  });

  it('also speaks over --node-ipc and --socket=PORT', async () => {
    const initParams = { processId: process.pid, rootUri: null, capabilities: {} };
    // node-ipc
    const child = fork(serverPath, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    try {
      const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
      conn.listen();
      const init: any = await conn.sendRequest('initialize', initParams);
      assert.equal(init.serverInfo.name, 'ar-migrate-language-server');
      await conn.sendRequest('shutdown');
      conn.dispose();
    } finally {
      child.kill();
    }
    // socket: the server connects to a port the client listens on
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const child2 = fork(serverPath, [`--socket=${port}`], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    try {
      const socket = await accepted;
      const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
      conn.listen();
      const init: any = await conn.sendRequest('initialize', initParams);
      assert.equal(init.capabilities.hoverProvider, true);
      await conn.sendRequest('shutdown');
      conn.dispose();
      socket.destroy();
    } finally {
      child2.kill();
      server.close();
    }
  });
});
