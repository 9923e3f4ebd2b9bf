/**
 * What the mirror and re-mirror commands show the user (window/showMessage,
 * window/showMessageRequest, the command's answer) never carries a
 * credential: error text that echoes an argument, a setting or the client's
 * own failure reason goes through the redaction (server/src/redact.ts).
 * A real `node server.js --stdio` over JSON-RPC, real CNCF registries on
 * 127.0.0.1 for the copy whose rewrite the client refuses.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pushImage } from '../../harness/images';
import { buildServer, LspClient, uri } from '../../harness/lspClient';
import { startRegistry, RegistryHandle } from '../../harness/registry';

const AR = 'us-docker.pkg.dev';
const BASE = `${AR}/test-proj/mirror`;
// Token-looking strings as they appear in real error text.
const PAT = 'dckr_pat_Q7vXk2LmN9pR4sT6wY8zA1bC3dE';
const PASSWORD = 'hunter2-S3cret';
const BEARER = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlLXRleHQ';
const GH = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const SECRETS = [PAT, PASSWORD, BEARER, GH];

function assertClean(what: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${what} shows a credential (${s.slice(0, 8)}…): ${text}`);
}

async function waitUntil(what: string, fn: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('language server mirror/re-mirror messages are redacted', function () {
  this.timeout(240_000);
  let tmp: string;
  let ws: string;
  let serverPath: string;
  let src: RegistryHandle;
  let ar: RegistryHandle;
  const clients: LspClient[] = [];
  const saved: Record<string, string | undefined> = {};

  const start = async (settings: Record<string, unknown> = { target: BASE }) => {
    const c = new LspClient({ serverPath, rootPath: ws, initializationOptions: { trusted: true, insecureRegistries: [], storagePath: path.join(tmp, 'storage') }, settings });
    clients.push(c);
    await c.initialize();
    return c;
  };

  /** Everything the user could read: popups (with or without buttons) and the command's answer. */
  const shown = (c: LspClient, result: unknown) => [...c.messages.map((m) => m.message), JSON.stringify(result)].join('\n');

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-lsp-redact-'));
    ws = path.join(tmp, 'ws');
    fs.mkdirSync(ws);
    const build = buildServer(path.join(tmp, 'dist'));
    [src, ar] = await Promise.all([startRegistry(), startRegistry()]);
    await pushImage(src.url, 'team/app', '1', { kind: 'schema2', seed: 'lsp-redact-app' });
    for (const k of ['AR_MIGRATE_REGISTRY_ENDPOINTS', 'DOCKER_CONFIG']) saved[k] = process.env[k];
    process.env.AR_MIGRATE_REGISTRY_ENDPOINTS = `${AR}=${ar.url}`;
    process.env.DOCKER_CONFIG = path.join(tmp, 'docker');
    serverPath = await build;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await Promise.all([src?.stop(), ar?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('an invalid image argument carrying user:password@ or a token: the error popup and the answer show [REDACTED]', async () => {
    const c = await start();
    for (const image of [`https://ci:${PASSWORD}@registry.example/app:1`, `registry.example/app:${PAT}@${GH}`]) {
      c.messages.length = 0;
      const res = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.mirrorAndRewrite', arguments: [{ image }] });
      await waitUntil('the error popup', () => c.messages.some((m) => m.type === 1));
      assert.equal(res.rewritten, 0);
      assert.equal(res.results[0].ok, false);
      assert.match(res.message, /could not mirror .*not a valid image reference/);
      assert.match(shown(c, res), /\[REDACTED\]/);
      assertClean('mirrorAndRewrite', shown(c, res));
    }
  });

  it('a target setting with credentials: the refusal names the problem without the password', async () => {
    const c = await start({ target: `https://ci:${PASSWORD}@${BASE}` });
    const res = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.mirrorAndRewrite', arguments: [{ image: 'docker.io/library/nginx:1.27' }] });
    await waitUntil('the error popup', () => c.messages.some((m) => m.type === 1 && m.message.includes('cannot mirror')));
    assert.match(res.message, /contains credentials/);
    assertClean('mirrorAndRewrite with a bad target', shown(c, res));
  });

  it('the client refuses the rewrite with a reason that holds a token: the warning is redacted', async () => {
    const c = await start();
    c.connection.onRequest('workspace/applyEdit', () => ({ applied: false, failureReason: `conflict; Authorization: Bearer ${BEARER} via https://bob:${PASSWORD}@proxy.example/x` }));
    const file = path.join(ws, 'refuse', 'Dockerfile');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const image = `${src.host}/team/app:1`;
    const text = `FROM ${image}\n`;
    fs.writeFileSync(file, text);
    const u = uri(file);
    await c.open(u, text, 'dockerfile');
    const diags = await c.waitForDiagnostics(u, (d) => d.some((x) => x.code === 'third-party-image'));
    const d = diags.find((x) => x.code === 'third-party-image')!;
    c.messages.length = 0;
    const res = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.mirrorAndRewrite', arguments: [{ uri: u, range: d.range, image }] });
    assert.equal(res.results[0].ok, true, JSON.stringify(res));
    assert.equal(res.rewritten, 0);
    assert.match(res.message, /did not apply the rewrite \(conflict; Authorization: Bearer \[REDACTED\]/);
    await waitUntil('the warning popup', () => c.messages.some((m) => /did not apply the rewrite/.test(m.message)));
    assertClean('mirrorAndRewrite with a refused edit', shown(c, res));
  });

  it('re-mirror with an invalid upstream or mirror argument: the error popup and the answer are redacted', async () => {
    const c = await start();
    for (const args of [
      { mirror: `${BASE}/app:1`, upstream: `https://ci:${PASSWORD}@registry.example/app:1` },
      { mirror: `${BASE}/app:${GH}@x`, upstream: 'registry.example/app:1' },
    ]) {
      c.messages.length = 0;
      const res = await c.request<any>('workspace/executeCommand', { command: 'arMigrate.server.remirror', arguments: [args] });
      await waitUntil('the error popup', () => c.messages.some((m) => m.type === 1));
      assert.equal(res.ok, false);
      assert.match(res.message, /Re-mirror: ".*" is not a valid image reference/);
      assert.match(shown(c, res), /\[REDACTED\]/);
      assertClean('remirror', shown(c, res));
    }
  });
});
