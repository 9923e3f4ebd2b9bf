/**
 * The pull-count plug-in inside the real language server (startServer with
 * plugins), driven over JSON-RPC streams in-process as an editor would.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createConnection, StreamMessageReader as ServerReader, StreamMessageWriter as ServerWriter } from 'vscode-languageserver/node';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { startServer } from '../../../server/src/lsp/server';
import { pullCountsPlugin } from '../../../server/src/pulls/lsp';

const NOW = new Date('2026-11-25T12:00:00Z');

function writeLog(file: string): void {
  const lines: string[] = [];
  const t0 = Date.parse('2026-11-25T08:00:00Z');
  for (let i = 0; i < 150; i++) lines.push(JSON.stringify({ timestamp: new Date(t0 + i * 10_000).toISOString(), jsonPayload: { reason: 'Pulling', message: 'Pulling image "nginx:1.27"' }, resource: { type: 'k8s_pod', labels: { cluster_name: 'prod' } } }));
  for (let i = 0; i < 3; i++) lines.push(JSON.stringify({ timestamp: new Date(t0 + i * 60_000).toISOString(), jsonPayload: { reason: 'Pulling', message: 'Pulling image "quay.io/org/app:1"' }, resource: { type: 'k8s_pod', labels: { cluster_name: 'dev' } } }));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

describe('pulls/lsp plug-in in the language server', function () {
  this.timeout(60_000);
  let tmp: string;
  let client: MessageConnection;
  let toServer: PassThrough;
  let toClient: PassThrough;
  const diagnostics = new Map<string, any[]>();
  const messages: string[] = [];

  const waitFor = async <T>(fn: () => T | undefined, what: string): Promise<T> => {
    const end = Date.now() + 30_000;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pulls-lsp-'));
    writeLog(path.join(tmp, 'events.ndjson'));
    toServer = new PassThrough();
    toClient = new PassThrough();
    const conn = createConnection(new ServerReader(toServer), new ServerWriter(toClient));
    startServer(conn, { plugins: [pullCountsPlugin({ service: { now: () => NOW } }) as any] });
    conn.listen();
    client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    client.onNotification('textDocument/publishDiagnostics', (p: any) => {
      diagnostics.set(p.uri, p.diagnostics);
    });
    client.onNotification('window/showMessage', (p: any) => {
      messages.push(p.message);
    });
    client.onNotification('window/logMessage', () => undefined);
    client.onRequest('workspace/configuration', () => [null]);
    client.onRequest('client/registerCapability', () => null);
    client.listen();
    const init: any = await client.sendRequest('initialize', {
      processId: null,
      rootUri: pathToFileURL(tmp).toString(),
      workspaceFolders: [{ uri: pathToFileURL(tmp).toString(), name: 'ws' }],
      capabilities: {},
      initializationOptions: {
        trusted: true,
        storagePath: path.join(tmp, 'storage'),
        pullCounts: { source: 'logFile', logFile: 'events.ndjson', windowDays: 7, maxAge: 60 },
      },
    });
    assert.ok(init.capabilities.inlayHintProvider, 'inlay hints announced');
    await client.sendNotification('initialized', {});
  });
  after(() => {
    client?.dispose();
    toServer?.end();
    toClient?.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('annotates, raises severity over the Docker Hub limit, hovers, and refreshes on request', async () => {
    const text = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: web', 'spec:', '  containers:', '    - name: web', '      image: nginx:1.27', '    - name: app', '      image: quay.io/org/app:1', '    - name: idle', '      image: redis:7', ''].join('\n');
    const docUri = pathToFileURL(path.join(tmp, 'pod.yaml')).toString();
    await client.sendNotification('textDocument/didOpen', { textDocument: { uri: docUri, languageId: 'yaml', version: 1, text } });

    // Refresh explicitly (also exercises the request) and wait for the counts.
    const r: any = await client.sendRequest('arMigrate/refreshPullCounts', {});
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.source.kind, 'logFile');
    assert.equal(r.totalPulls, 153);
    assert.equal(r.images, 2);

    const diags = await waitFor(() => {
      const d = diagnostics.get(docUri);
      return d && d.some((x) => x.severity === 1) ? d : undefined;
    }, 'error diagnostic for nginx');
    const nginx = diags.find((d) => d.range.start.line === 7);
    assert.equal(nginx.severity, 1);
    assert.match(nginx.message, /150 pulls in 6 h exceed the Docker Hub anonymous \(per IP\) limit of 100/);
    const redis = diags.find((d) => d.range.start.line === 11);
    assert.equal(redis.severity, 3);
    assert.match(redis.message, /not pulled in the last 7 days/);
    const quay = diags.find((d) => d.range.start.line === 9);
    assert.notEqual(quay.severity, 1);

    const hints: any[] = await client.sendRequest('textDocument/inlayHint', { textDocument: { uri: docUri }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } } });
    const labels = hints.map((h) => `${h.position.line}:${h.label}`).sort();
    assert.deepEqual(labels, ['11:0 pulls / 7 d', '7:150 pulls / 7 d', '9:3 pulls / 7 d']);

    const hover: any = await client.sendRequest('textDocument/hover', { textDocument: { uri: docUri }, position: { line: 7, character: 15 } });
    const md = hover.contents.value as string;
    assert.match(md, /Pulls \(last 7 days\):\*\* 150 — peak 150\/hour/);
    assert.match(md, /exceeds the limit/);
    assert.match(md, /log file `.*events\.ndjson`/);

    const est: any = await client.sendRequest('arMigrate/pullCountsEstimate', {});
    assert.match(est.error, /BigQuery source/);
    assert.ok(fs.readdirSync(path.join(tmp, 'storage', 'pull-counts')).some((f) => /^pulls-.*\.json$/.test(f)), 'cache written under storagePath');
  });
});
