/**
 * Mirroring through the language server: a real `node server.js --stdio`
 * driven over JSON-RPC, real CNCF registries on 127.0.0.1 (source, and the
 * "Artifact Registry" reached through AR_MIGRATE_REGISTRY_ENDPOINTS), a
 * throttling fault proxy for cancellation.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { startFaultProxy, FaultProxyHandle } from '../../harness/faultProxy';
import { getManifest, manifestExists, pushImage, PushResult } from '../../harness/images';
import { applyTextEdits, buildServer, Diagnostic, LspClient, uri } from '../../harness/lspClient';
import { startRegistry, RegistryHandle } from '../../harness/registry';

const AR = 'us-docker.pkg.dev';
const BASE = `${AR}/test-proj/mirror`;

interface Recorder {
  edits: any[];
  progressTokens: (string | number)[];
}

/** `$/progress` values per client (vscode-jsonrpc hands progress without a registered handler to onUnhandledProgress). */
const progress = new WeakMap<LspClient, { token: string | number; value: any }[]>();
function progressOf(c: LspClient, token: string | number): any[] {
  return (progress.get(c) ?? []).filter((p) => p.token === token).map((p) => p.value);
}

async function waitUntil(what: string, fn: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('language server mirroring (real registries)', function () {
  this.timeout(240_000);
  let src: RegistryHandle;
  let ar: RegistryHandle;
  let proxy: FaultProxyHandle;
  let tmp: string;
  let ws: string;
  let serverPath: string;
  const images: Record<string, PushResult> = {};
  const clients: LspClient[] = [];
  const savedEnv: Record<string, string | undefined> = {};

  /** host-path component of a loopback source under the target (`127.0.0.1:5000` -> `127.0.0.1-5000`). */
  const targetRepo = (host: string, repo: string) => `test-proj/mirror/${host.replace(':', '-')}/${repo}`;

  const start = async (opts: { trusted?: boolean; target?: string | null; storagePath?: string; extensionVersion?: string; documentChanges?: boolean } = {}) => {
    const initializationOptions: Record<string, unknown> = { trusted: opts.trusted ?? true, insecureRegistries: [] };
    if (opts.storagePath) initializationOptions.storagePath = opts.storagePath;
    if (opts.extensionVersion !== undefined) initializationOptions.extensionVersion = opts.extensionVersion;
    const c = new LspClient({
      serverPath,
      rootPath: ws,
      initializationOptions,
      settings: opts.target === null ? {} : { target: opts.target ?? BASE },
      documentChanges: opts.documentChanges,
    });
    clients.push(c);
    const rec: Recorder = { edits: [], progressTokens: [] };
    const seen: { token: string | number; value: any }[] = [];
    progress.set(c, seen);
    c.connection.onUnhandledProgress((p: { token: string | number; value: any }) => seen.push(p));
    c.connection.onRequest('workspace/applyEdit', (p: any) => {
      rec.edits.push(p);
      return { applied: true };
    });
    c.connection.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      rec.progressTokens.push(p.token);
      return null;
    });
    const init = await c.initialize();
    return { c, rec, init };
  };

  const openDoc = async (c: LspClient, name: string, text: string, languageId: string) => {
    const file = path.join(ws, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    const u = uri(file);
    await c.open(u, text, languageId);
    const diags = await c.waitForDiagnostics(u, (d) => d.some((x) => x.code === 'third-party-image'));
    return { u, diags: diags.filter((d) => d.code === 'third-party-image') };
  };

  const codeActions = (c: LspClient, u: string, d: Diagnostic, only?: string[]) =>
    c.request<any[]>('textDocument/codeAction', { textDocument: { uri: u }, range: d.range, context: { diagnostics: [d], ...(only ? { only } : {}) } });

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-lsp-mirror-'));
    ws = path.join(tmp, 'ws');
    fs.mkdirSync(ws);
    const build = buildServer(path.join(tmp, 'dist'));
    [src, ar] = await Promise.all([startRegistry(), startRegistry()]);
    images.alpine = await pushImage(src.url, 'library/alpine', '3.19', { kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64/v8'], seed: 'lsp-alpine' });
    images.nginx = await pushImage(src.url, 'library/nginx', '1.25', { kind: 'docker-list', seed: 'lsp-nginx' });
    images.redis = await pushImage(src.url, 'team/redis', '7', { kind: 'schema2', seed: 'lsp-redis' });
    images.app = await pushImage(src.url, 'team/app', '2', { kind: 'oci', seed: 'lsp-app' });
    // ~3 MB of layers served at 64 KB/s through the proxy: a copy that takes long enough to cancel.
    images.big = await pushImage(src.url, 'team/big', '1', { kind: 'schema2', layers: 2, layerSize: 1_500_000, seed: 'lsp-big' });
    proxy = await startFaultProxy(src.url, [{ name: 'slow', method: 'GET', path: /\/blobs\/sha256:/, action: { type: 'throttle', bytesPerSecond: 64_000 } }]);
    for (const k of ['AR_MIGRATE_REGISTRY_ENDPOINTS', 'DOCKER_CONFIG']) savedEnv[k] = process.env[k];
    // The server process inherits these: the target registry name goes to the loopback "AR"; no real docker credentials.
    process.env.AR_MIGRATE_REGISTRY_ENDPOINTS = `${AR}=${ar.url}`;
    process.env.DOCKER_CONFIG = path.join(tmp, 'docker');
    serverPath = await build;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await Promise.all([src?.stop(), ar?.stop(), proxy?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists "Mirror to Artifact Registry and rewrite" (preferred) and "Mirror all third-party images in this file" without touching the network', async () => {
    const { c, init } = await start();
    assert.ok(init.capabilities.executeCommandProvider.commands.includes('arMigrate.mirrorAndRewrite'));
    assert.ok(init.capabilities.executeCommandProvider.commands.includes('arMigrate.server.mirrorFile'));
    assert.ok(init.capabilities.codeActionProvider.codeActionKinds.includes('source.arMigrate.mirrorAll'));
    const text = `FROM ${src.host}/library/alpine:3.19\nFROM ${src.host}/library/nginx:1.25 AS web\n`;
    const { u, diags } = await openDoc(c, 'list/Dockerfile', text, 'dockerfile');
    assert.equal(diags.length, 2);
    const before = src.logs().length;
    const actions = await codeActions(c, u, diags[0]);
    const mirror = actions.filter((a) => a.title === 'Mirror to Artifact Registry and rewrite');
    assert.equal(mirror.length, 1, JSON.stringify(actions.map((a) => a.title)));
    assert.equal(mirror[0].isPreferred, true);
    assert.equal(actions.filter((a) => a.isPreferred).length, 1, 'one preferred fix: mirror first, never a text-only rewrite');
    assert.equal(mirror[0].kind, 'quickfix');
    assert.equal(mirror[0].command.command, 'arMigrate.mirrorAndRewrite');
    const arg = mirror[0].command.arguments[0];
    assert.equal(arg.uri, u);
    assert.deepEqual(arg.range, diags[0].range);
    assert.equal(arg.image, `${src.host}/library/alpine:3.19`);
    assert.equal(arg.target, `${BASE}/${src.host.replace(':', '-')}/library/alpine:3.19`);
    assert.deepEqual(mirror[0].diagnostics.map((d: Diagnostic) => d.range), [diags[0].range]);
    const all = actions.find((a) => a.title === 'Mirror all third-party images in this file');
    assert.ok(all, 'file-wide action');
    assert.equal(all.command.command, 'arMigrate.server.mirrorFile');
    assert.deepEqual(all.command.arguments, [{ uri: u }]);
    // As a source action when asked for one.
    const source = await codeActions(c, u, diags[0], ['source.arMigrate.mirrorAll']);
    assert.deepEqual(source.map((a) => [a.title, a.kind]), [['Mirror all third-party images in this file', 'source.arMigrate.mirrorAll']]);
    assert.equal(src.logs().length, before, 'listing actions made no registry request');
  });

  it('the VS Code client keeps arMigrate.mirrorAndRewrite (not listed in executeCommandProvider)', async () => {
    const { init } = await start({ extensionVersion: '0.0.1' });
    const cmds: string[] = init.capabilities.executeCommandProvider.commands;
    assert.ok(!cmds.includes('arMigrate.mirrorAndRewrite'));
    assert.ok(cmds.includes('arMigrate.server.mirrorFile'));
  });

  it('executing the quick fix copies all platforms, then sends workspace/applyEdit replacing exactly the reference', async () => {
    const { c, rec } = await start();
    const text = `# base\nFROM ${src.host}/library/alpine:3.19 AS build\nRUN echo hi\n`;
    const { u, diags } = await openDoc(c, 'one/Dockerfile', text, 'dockerfile');
    const [action] = (await codeActions(c, u, diags[0])).filter((a) => a.title === 'Mirror to Artifact Registry and rewrite');
    const result = await c.request<any>('workspace/executeCommand', { command: action.command.command, arguments: action.command.arguments });
    assert.equal(result.results.length, 1);
    const r = result.results[0];
    assert.equal(r.ok, true, r.error);
    assert.equal(r.digest, images.alpine.digest);
    const repo = targetRepo(src.host, 'library/alpine');
    assert.equal(r.target, `${AR}/${repo}:3.19`);
    const got = await getManifest(ar.url, repo, '3.19');
    assert.equal(got.digest, images.alpine.digest, 'target digest == source digest');
    for (const child of images.alpine.children ?? []) assert.ok(await manifestExists(ar.url, repo, child.digest), `platform ${child.platform} copied`);
    assert.equal(rec.edits.length, 1);
    const edits = rec.edits[0].edit.changes[u];
    assert.equal(edits.length, 1);
    assert.deepEqual(edits[0].range, diags[0].range);
    assert.equal(applyTextEdits(text, edits), `# base\nFROM ${AR}/${repo}:3.19 AS build\nRUN echo hi\n`);
    assert.equal(result.rewritten, 1);
    // server-initiated progress: begin, a report naming the image with blob counts, end
    assert.equal(rec.progressTokens.length, 1);
    const prog = progressOf(c, rec.progressTokens[0]);
    assert.equal(prog[0]?.kind, 'begin');
    assert.equal(prog[0]?.cancellable, true);
    assert.ok(prog.some((p) => p.kind === 'report' && /alpine:3\.19 - \d+\/\d+ blobs, [\d.]+ (B|KB|MB) \/ [\d.]+ (B|KB|MB)/.test(p.message)), JSON.stringify(prog));
    assert.equal(prog[prog.length - 1].kind, 'end');
  });

  it('an image already at the target is verified without copying; the edit is versioned (documentChanges) and follows moved text', async () => {
    const { c, rec } = await start({ documentChanges: true });
    const text = `services:\n  db:\n    image: ${src.host}/library/postgres-missing:1\n  cache:\n    image: ${src.host}/team/app:2 # app\n`;
    const { u, diags } = await openDoc(c, 'versioned/compose.yaml', text, 'yaml');
    const d = diags.find((x) => x.message.includes('team/app'))!;
    const [action] = (await codeActions(c, u, d)).filter((a) => a.title === 'Mirror to Artifact Registry and rewrite');
    // Mirror once (through arMigrate/mirror), so the quick fix finds it up to date.
    const first = await c.request<any>('arMigrate/mirror', { images: [`${src.host}/team/app:2`] });
    assert.equal(first.results[0].ok, true);
    // Two lines inserted above: the reference moves.
    const moved = `# header\n# more\n${text}`;
    await c.change(u, 2, [{ text: moved }]);
    await c.waitForDiagnostics(u, (ds) => ds.some((x) => x.code === 'third-party-image' && x.range.start.line === d.range.start.line + 2));
    const result = await c.request<any>('workspace/executeCommand', { command: action.command.command, arguments: action.command.arguments });
    assert.equal(result.results[0].ok, true, result.results[0].error);
    assert.equal(result.results[0].digest, images.app.digest);
    assert.equal(result.results[0].bytes, 0, 'nothing copied the second time');
    assert.equal(rec.edits.length, 1);
    const dc = rec.edits[0].edit.documentChanges;
    assert.equal(dc.length, 1);
    assert.deepEqual(dc[0].textDocument, { uri: u, version: 2 });
    const t = src.host.replace(':', '-');
    assert.equal(applyTextEdits(moved, dc[0].edits), moved.replace(`${src.host}/team/app:2`, `${BASE}/${t}/team/app:2`));
  });

  it('a failing copy (missing image) edits nothing and shows an error naming the image', async () => {
    const { c, rec } = await start({ storagePath: path.join(tmp, 'storage') });
    const text = `FROM ${src.host}/library/missing:1.0\n`;
    const { u, diags } = await openDoc(c, 'fail/Dockerfile', text, 'dockerfile');
    const [action] = (await codeActions(c, u, diags[0])).filter((a) => a.title === 'Mirror to Artifact Registry and rewrite');
    const result = await c.request<any>('workspace/executeCommand', { command: action.command.command, arguments: action.command.arguments });
    assert.equal(result.results[0].ok, false);
    assert.match(result.results[0].error, /missing/);
    assert.equal(result.rewritten, 0);
    assert.equal(rec.edits.length, 0, 'no workspace/applyEdit');
    await waitUntil('error message', () => c.messages.some((m) => m.type === 1 && m.message.includes('library/missing')));
    const msg = c.messages.find((m) => m.type === 1)!.message;
    assert.match(msg, /could not mirror .*library\/missing:1\.0/);
    assert.match(msg, /not found/);
    assert.ok(fs.readFileSync(path.join(tmp, 'storage', 'mirror.log'), 'utf8').includes('FAILED'), 'mirror log written');
  });

  it('an error offers "Show log" to clients that can open documents; choosing it opens the mirror log', async () => {
    const storage = path.join(tmp, 'storage-showlog');
    const c = new LspClient({ serverPath, rootPath: ws, settings: { target: BASE } });
    clients.push(c);
    const shown: string[] = [];
    const asked: any[] = [];
    c.connection.onRequest('window/showMessageRequest', (p: any) => {
      asked.push(p);
      return p.actions?.find((a: any) => a.title === 'Show log') ?? null;
    });
    c.connection.onRequest('window/showDocument', (p: { uri: string }) => {
      shown.push(p.uri);
      return { success: true };
    });
    c.connection.onRequest('window/workDoneProgress/create', () => null);
    await c.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri(ws),
      workspaceFolders: [{ uri: uri(ws), name: 'ws' }],
      initializationOptions: { trusted: true, insecureRegistries: [], storagePath: storage },
      capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true, showDocument: { support: true }, showMessage: { messageActionItems: { additionalPropertiesSupport: false } } } },
    });
    await c.connection.sendNotification('initialized', {});
    const r = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.mirrorAndRewrite', arguments: [{ image: `${src.host}/library/ghost:9` }] });
    assert.equal(r.results[0].ok, false);
    await waitUntil('showDocument', () => shown.length === 1);
    assert.equal(asked[0].type, 1);
    assert.match(asked[0].message, /could not mirror .*library\/ghost:9/);
    assert.equal(shown[0], uri(path.join(storage, 'mirror.log')));
    assert.match(fs.readFileSync(path.join(storage, 'mirror.log'), 'utf8'), /FAILED .*library\/ghost:9: .*not found/);
  });

  it('does not edit when the reference is gone from the document after the copy', async () => {
    const { c, rec } = await start();
    const text = `services:\n  cache:\n    image: ${src.host}/team/redis:7\n`;
    const { u, diags } = await openDoc(c, 'gone/compose.yaml', text, 'yaml');
    const [action] = (await codeActions(c, u, diags[0])).filter((a) => a.title === 'Mirror to Artifact Registry and rewrite');
    // The user replaces the image before the command runs.
    await c.change(u, 2, [{ text: `services:\n  cache:\n    image: ${AR}/test-proj/mirror/other:1\n` }]);
    await c.waitForDiagnostics(u, (d) => !d.some((x) => x.code === 'third-party-image'));
    const result = await c.request<any>('workspace/executeCommand', { command: action.command.command, arguments: action.command.arguments });
    assert.equal(result.results[0].ok, true);
    assert.equal(result.rewritten, 0);
    assert.match(result.message, /no longer in the document/);
    assert.equal(rec.edits.length, 0);
    assert.equal((await getManifest(ar.url, targetRepo(src.host, 'team/redis'), '7')).digest, images.redis.digest);
  });

  it('cancelling the server progress (window/workDoneProgress/cancel) aborts the copy; nothing is edited', async () => {
    const { c, rec } = await start();
    const text = `FROM ${proxy.host}/team/big:1\n`;
    const { u, diags } = await openDoc(c, 'cancel/Dockerfile', text, 'dockerfile');
    const [action] = (await codeActions(c, u, diags[0])).filter((a) => a.title === 'Mirror to Artifact Registry and rewrite');
    const pending = c.request<any>('workspace/executeCommand', { command: action.command.command, arguments: action.command.arguments });
    await waitUntil('progress token', () => rec.progressTokens.length === 1);
    const token = rec.progressTokens[0];
    await waitUntil('a blob in flight', () => progressOf(c, token).some((p) => p.kind === 'report' && /big:1 - \d+\/[1-9]\d* blobs/.test(p.message)));
    await c.connection.sendNotification('window/workDoneProgress/cancel', { token });
    const result = await pending;
    assert.equal(result.cancelled, true);
    assert.equal(result.results[0].ok, false);
    assert.equal(result.rewritten, 0);
    assert.equal(rec.edits.length, 0);
    assert.equal(await manifestExists(ar.url, targetRepo(proxy.host, 'team/big'), '1'), false, 'no tag written at the target');
    assert.equal(progressOf(c, token).at(-1)?.kind, 'end');
  });

  it('"Mirror all third-party images in this file" copies each image and rewrites every reference in one edit', async () => {
    const { c, rec } = await start();
    const text = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: web',
      `          image: "${src.host}/library/nginx:1.25" # pinned`,
      '        - name: app',
      `          image: ${src.host}/team/app:2`,
      '        - name: web2',
      `          image: ${src.host}/library/nginx:1.25`,
      '',
    ].join('\n');
    const { u, diags } = await openDoc(c, 'all/deploy.yaml', text, 'yaml');
    assert.equal(diags.length, 3);
    const all = (await codeActions(c, u, diags[0])).find((a) => a.title === 'Mirror all third-party images in this file');
    const result = await c.request<any>('workspace/executeCommand', { command: all.command.command, arguments: all.command.arguments });
    assert.deepEqual(result.results.map((r: any) => [r.source, r.ok]).sort(), [[`${src.host}/library/nginx:1.25`, true], [`${src.host}/team/app:2`, true]]);
    assert.equal(result.rewritten, 3);
    assert.equal((await getManifest(ar.url, targetRepo(src.host, 'library/nginx'), '1.25')).digest, images.nginx.digest);
    assert.equal((await getManifest(ar.url, targetRepo(src.host, 'team/app'), '2')).digest, images.app.digest);
    assert.equal(rec.edits.length, 1);
    const out = applyTextEdits(text, rec.edits[0].edit.changes[u]);
    const t = src.host.replace(':', '-');
    assert.equal(out, text.split(`${src.host}/library/nginx:1.25`).join(`${BASE}/${t}/library/nginx:1.25`).replace(`${src.host}/team/app:2`, `${BASE}/${t}/team/app:2`));
  });

  it('arMigrate/mirror returns one result per image with $/progress on the workDoneToken', async () => {
    const { c, rec } = await start();
    const token = 'mirror-progress-1';
    const res = await c.request<any>('arMigrate/mirror', {
      images: [`${src.host}/library/nginx:1.25`, `${src.host}/team/redis:7`, `${src.host}/library/nope:1`, 'Not A Reference'],
      workDoneToken: token,
    });
    assert.equal(res.cancelled, undefined);
    assert.deepEqual(
      res.results.map((r: any) => r.source),
      [`${src.host}/library/nginx:1.25`, `${src.host}/team/redis:7`, `${src.host}/library/nope:1`, 'Not A Reference'],
      'one result per image, in input order',
    );
    const by = new Map(res.results.map((r: any) => [r.source, r]));
    const nginx: any = by.get(`${src.host}/library/nginx:1.25`);
    assert.equal(nginx.ok, true);
    assert.equal(nginx.digest, images.nginx.digest);
    assert.equal(nginx.target, `${AR}/${targetRepo(src.host, 'library/nginx')}:1.25`);
    assert.equal(typeof nginx.blobs, 'number');
    const redis: any = by.get(`${src.host}/team/redis:7`);
    assert.equal(redis.ok, true);
    assert.equal((await getManifest(ar.url, targetRepo(src.host, 'team/redis'), '7')).digest, images.redis.digest);
    const nope: any = by.get(`${src.host}/library/nope:1`);
    assert.equal(nope.ok, false);
    assert.match(nope.error, /library\/nope/);
    const bad: any = by.get('Not A Reference');
    assert.equal(bad.ok, false);
    assert.match(bad.error, /not a valid image reference/);
    const prog = progressOf(c, token);
    assert.equal(prog[0]?.kind, 'begin');
    assert.ok(prog.some((p) => p.kind === 'report' && typeof p.percentage === 'number'));
    assert.equal(prog.at(-1)?.kind, 'end');
    assert.equal(rec.edits.length, 0, 'arMigrate/mirror edits nothing');
  });

  it('arMigrate/mirror honours $/cancelRequest: the copy stops and the result says cancelled', async () => {
    const { c } = await start();
    const cts = new CancellationTokenSource();
    const token = 'mirror-cancel-1';
    const pending = c.connection.sendRequest('arMigrate/mirror', { images: [`${proxy.host}/team/big:1`], workDoneToken: token }, cts.token) as Promise<any>;
    await waitUntil('a blob in flight', () => progressOf(c, token).some((p) => p.kind === 'report' && /big:1 - \d+\/[1-9]\d* blobs/.test(p.message)));
    cts.cancel();
    const res = await pending.then(
      (v) => v,
      (e) => ({ rejected: e }),
    );
    if ('rejected' in res) assert.match(String(res.rejected?.message ?? res.rejected), /cancel/i);
    else {
      assert.equal(res.cancelled, true);
      assert.equal(res.results[0].ok, false);
    }
    await waitUntil('progress end', () => progressOf(c, token).at(-1)?.kind === 'end');
    assert.equal(await manifestExists(ar.url, targetRepo(proxy.host, 'team/big'), '1'), false);
  });

  it('an untrusted workspace gets no mirror actions, and mirroring is refused', async () => {
    const { c, rec } = await start({ trusted: false });
    const text = `FROM ${src.host}/library/alpine:3.19\n`;
    const { u, diags } = await openDoc(c, 'untrusted/Dockerfile', text, 'dockerfile');
    const actions = await codeActions(c, u, diags[0]);
    assert.ok(!actions.some((a) => /^Mirror/.test(a.title)), JSON.stringify(actions.map((a) => a.title)));
    await assert.rejects(c.request('arMigrate/mirror', { images: [`${src.host}/library/alpine:3.19`] }), /trusted workspace/);
    const r = await c.request<any>('workspace/executeCommand', {
      command: 'arMigrate.mirrorAndRewrite',
      arguments: [{ uri: u, range: diags[0].range, image: `${src.host}/library/alpine:3.19` }],
    });
    assert.equal(r.results.length, 0);
    assert.equal(rec.edits.length, 0);
    await waitUntil('error message', () => c.messages.some((m) => m.type === 1 && /trusted workspace/.test(m.message)));
  });

  it('without a target: one action that explains, and the command says how to set it', async () => {
    const { c, rec } = await start({ target: null });
    const text = `FROM ${src.host}/library/alpine:3.19\n`;
    const { u, diags } = await openDoc(c, 'notarget/Dockerfile', text, 'dockerfile');
    const actions = (await codeActions(c, u, diags[0])).filter((a) => /^Mirror/.test(a.title));
    assert.equal(actions.length, 1);
    assert.match(actions[0].title, /set "arMigrate\.target" first/);
    const r = await c.request<any>('workspace/executeCommand', { command: actions[0].command.command, arguments: actions[0].command.arguments });
    assert.equal(r.results.length, 0);
    assert.equal(rec.edits.length, 0);
    await waitUntil('error message', () => c.messages.some((m) => m.type === 1 && /arMigrate\.target/.test(m.message)));
    // The VS Code client gets its configure-target command instead.
    const vs = await start({ target: null, extensionVersion: '0.0.1' });
    const d2 = await openDoc(vs.c, 'notarget2/Dockerfile', text, 'dockerfile');
    const a2 = (await codeActions(vs.c, d2.u, d2.diags[0])).filter((a) => /^Mirror/.test(a.title));
    assert.equal(a2.length, 1);
    assert.equal(a2[0].command.command, 'arMigrate.configureTarget');
  });

  it('without a configured target, a command that carries its target reference uses it', async () => {
    const { c, rec } = await start({ target: null });
    const text = `FROM ${src.host}/library/nginx:1.25\n`;
    const { u, diags } = await openDoc(c, 'argtarget/Dockerfile', text, 'dockerfile');
    const target = `${AR}/test-proj/explicit/web/nginx:1.25`;
    const r = await c.request<any>('workspace/executeCommand', {
      command: 'arMigrate.mirrorAndRewrite',
      arguments: [{ uri: u, range: diags[0].range, normalized: `${src.host}/library/nginx:1.25`, target }],
    });
    assert.equal(r.results[0].ok, true, r.results[0].error);
    assert.equal(r.results[0].target, target);
    assert.equal((await getManifest(ar.url, 'test-proj/explicit/web/nginx', '1.25')).digest, images.nginx.digest);
    assert.equal(applyTextEdits(text, rec.edits[0].edit.changes[u]), `FROM ${target}\n`);
    // Not an Artifact Registry reference: refused, nothing copied.
    const bad = await c.request<any>('workspace/executeCommand', {
      command: 'arMigrate.mirrorAndRewrite',
      arguments: [{ uri: u, range: diags[0].range, image: `${src.host}/library/nginx:1.25`, target: `${src.host}/elsewhere/nginx:1.25` }],
    });
    assert.equal(bad.results.length, 0);
    assert.match(bad.message, /arMigrate\.target/);
    assert.equal(rec.edits.length, 1);
  });

  it('bad arguments get clear errors and never crash the server', async () => {
    const { c, rec } = await start();
    for (const args of [undefined, [], [null], ['x'], [42], [{ uri: 42 }], [{ image: 7 }]]) {
      const r = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.mirrorAndRewrite', arguments: args });
      assert.equal(r.results.length, 0, JSON.stringify(args));
      assert.match(r.message, /missing image argument/);
    }
    const f = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.server.mirrorFile', arguments: [{ uri: uri(path.join(ws, 'does-not-exist.yaml')) }] });
    assert.match(f.message, /cannot read .*does-not-exist\.yaml/);
    await assert.rejects(c.request('arMigrate/mirror', { images: 'nginx' }), /"images" must be a list/);
    await assert.rejects(c.request('arMigrate/mirror', null), /"images" must be a list/);
    await assert.rejects(c.request('arMigrate/mirror', { images: ['nginx:1'], target: 'quay.io/x/y' }), /invalid Artifact Registry target/);
    const odd = await c.request<any>('arMigrate/mirror', { images: [42, ''] });
    assert.deepEqual(odd.results.map((r: any) => r.ok), [false, false]);
    assert.equal(rec.edits.length, 0);
    assert.ok(c.alive);
    // still answers
    const { diags } = await openDoc(c, 'alive/Dockerfile', `FROM ${src.host}/library/alpine:3.19\n`, 'dockerfile');
    assert.equal(diags.length, 1);
  });

  it('arMigrate/checkCredentials names the credential source (never the secret) and probes push access', async () => {
    const guarded = await startRegistry({ auth: 'basic' });
    const saved = { ep: process.env.AR_MIGRATE_REGISTRY_ENDPOINTS, dc: process.env.DOCKER_CONFIG };
    const writeConfig = (dir: string, password: string) => {
      fs.mkdirSync(dir, { recursive: true });
      const auth = Buffer.from(`${guarded.credentials!.username}:${password}`).toString('base64');
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [AR]: { auth } } }));
    };
    try {
      process.env.AR_MIGRATE_REGISTRY_ENDPOINTS = `${AR}=${guarded.url}`;
      const good = path.join(tmp, 'docker-good');
      writeConfig(good, guarded.credentials!.password);
      process.env.DOCKER_CONFIG = good;
      const ok = await (await start()).c.request<any>('arMigrate/checkCredentials', {});
      assert.equal(ok.ok, true, ok.message);
      assert.match(ok.identity, /config\.json/);
      assert.match(ok.identity, new RegExp(`user ${guarded.credentials!.username}`));
      assert.match(ok.message, new RegExp(`can push to ${BASE}`));
      assert.ok(!JSON.stringify(ok).includes(guarded.credentials!.password));

      const bad = path.join(tmp, 'docker-bad');
      const wrong = 'wrong-Secret-42';
      writeConfig(bad, wrong);
      process.env.DOCKER_CONFIG = bad;
      const no = await (await start()).c.request<any>('arMigrate/checkCredentials', { target: `${AR}/test-proj/other` });
      assert.equal(no.ok, false);
      assert.match(no.message, new RegExp(`cannot push to ${AR}/test-proj/other`));
      assert.ok(!JSON.stringify(no).includes(wrong), 'no secret in the answer');

      const none = await (await start({ target: null })).c.request<any>('arMigrate/checkCredentials', {});
      assert.equal(none.ok, false);
      assert.match(none.message, /arMigrate\.target/);
    } finally {
      process.env.AR_MIGRATE_REGISTRY_ENDPOINTS = saved.ep;
      process.env.DOCKER_CONFIG = saved.dc;
      await guarded.stop();
    }
  });
});
