/**
 * Runs inside the real extension host against the real language server
 * (dist/server.js) on a copy of test/e2e/workspace.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import * as vscode from 'vscode';

const EXTENSION_ID = 'ar-migrate.ar-migrate';
const TARGET = 'us-central1-docker.pkg.dev/my-project/mirror';

function root(): vscode.Uri {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'a workspace folder is open');
  return f.uri;
}
const file = (...p: string[]) => vscode.Uri.joinPath(root(), ...p);

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last instanceof Error ? last.message : last}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function code(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}
function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'ar-migrate');
}
function textAt(doc: vscode.TextDocument, d: vscode.Diagnostic): string {
  return doc.getText(d.range);
}
/** Diagnostics of the document once one covers `text` (the server publishes after open). */
async function diagnosticsWith(doc: vscode.TextDocument, text: string, c = 'third-party-image'): Promise<vscode.Diagnostic[]> {
  return waitFor(`an ar-migrate ${c} diagnostic on "${text}" in ${vscode.workspace.asRelativePath(doc.uri)} (have: ${JSON.stringify(ours(doc.uri).map((d) => [code(d), textAt(doc, d)]))})`, () => {
    const ds = ours(doc.uri);
    return ds.some((d) => code(d) === c && textAt(doc, d) === text) ? ds : undefined;
  });
}
async function open(...p: string[]): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(file(...p));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}
function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

describe('ar-migrate in a real VS Code', function () {
  this.timeout(180_000);

  it('activates for the workspace and starts the language server', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    const api = (await ext.activate()) as { ready(): Promise<{ initializeResult?: { capabilities?: Record<string, unknown> } }> };
    assert.ok(ext.isActive);
    const client = await api.ready();
    const caps = client.initializeResult?.capabilities ?? {};
    assert.ok(caps.hoverProvider, 'the server offers hovers');
    assert.ok(caps.codeActionProvider, 'the server offers code actions');
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['arMigrate.migrateWorkspace', 'arMigrate.mirrorImage', 'arMigrate.refreshPullCounts', 'arMigrate.configureTarget', 'arMigrate.showReport', 'arMigrate.showLog']) {
      assert.ok(commands.includes(c), `command ${c} is registered`);
    }
  });

  it('flags third-party images in a Dockerfile, not Artifact Registry ones', async () => {
    const doc = await open('Dockerfile');
    const ds = await diagnosticsWith(doc, 'node:20-alpine');
    await diagnosticsWith(doc, 'busybox:1.36');
    const texts = ds.map((d) => textAt(doc, d));
    assert.ok(!texts.some((t) => t.includes('docker.pkg.dev')), `no diagnostic on the Artifact Registry image (got ${JSON.stringify(texts)})`);
    const d = ds.find((x) => textAt(doc, x) === 'node:20-alpine')!;
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(d.range.start.line, 1);
  });

  it('flags third-party and invalid images in Kubernetes YAML', async () => {
    const doc = await open('k8s', 'deployment.yaml');
    const ds = await diagnosticsWith(doc, 'redis:7.2');
    await diagnosticsWith(doc, 'quay.io/prometheus/node-exporter:v1.8.0');
    await diagnosticsWith(doc, 'Nginx:latest', 'invalid-image-reference');
    assert.ok(!ds.some((d) => textAt(doc, d).includes('shop-migrate')), 'the Artifact Registry init container is not flagged');
  });

  it('covers every Dockerfile name pattern (api.Dockerfile, Containerfile) and compose files', async () => {
    const api = await open('services', 'api', 'api.Dockerfile');
    await diagnosticsWith(api, 'python:3.12-slim');
    const cf = await open('services', 'api', 'Containerfile');
    const ds = await diagnosticsWith(cf, 'docker.io/library/golang:1.22');
    assert.ok(!ds.some((d) => textAt(cf, d).startsWith('gcr.io/')), 'gcr.io is first-party');
    const compose = await open('docker-compose.yml');
    await diagnosticsWith(compose, 'postgres:16');
  });

  it('hovers a flagged image with its normalised name', async () => {
    const doc = await open('Dockerfile');
    await diagnosticsWith(doc, 'node:20-alpine');
    const pos = new vscode.Position(1, 'FROM no'.length);
    const text = await waitFor('a hover on node:20-alpine', async () => {
      const t = hoverText((await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos)) ?? []);
      return /docker\.io\/library\/node/.test(t) ? t : undefined;
    });
    assert.match(text, /node:20-alpine|docker\.io\/library\/node:20-alpine/);
  });

  it('offers the quick fixes and applies "Rewrite to Artifact Registry"', async () => {
    const doc = await open('Dockerfile');
    const ds = await diagnosticsWith(doc, 'node:20-alpine');
    const d = ds.find((x) => textAt(doc, x) === 'node:20-alpine')!;
    const actions = await waitFor('code actions on node:20-alpine', async () => {
      const as = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
      return as && as.some((a) => /Rewrite to Artifact Registry/i.test(a.title)) ? as : undefined;
    });
    const titles = actions.map((a) => a.title);
    assert.ok(titles.some((t) => /ignore/i.test(t)), `an "Ignore this image" action is offered (got ${JSON.stringify(titles)})`);
    const rewrite = actions.find((a) => /Rewrite to Artifact Registry/i.test(a.title))!;
    assert.equal(rewrite.kind?.value.startsWith('quickfix'), true);
    if (rewrite.edit) assert.ok(await vscode.workspace.applyEdit(rewrite.edit), 'the edit applies');
    if (rewrite.command) await vscode.commands.executeCommand(rewrite.command.command, ...(rewrite.command.arguments ?? []));
    await waitFor('the rewritten reference', () => doc.getText().includes(`FROM ${TARGET}/node:20-alpine AS build`));
    assert.ok(await doc.save(), 'the document saves');
    const disk = fs.readFileSync(doc.uri.fsPath, 'utf8');
    assert.match(disk, new RegExp(`^FROM ${TARGET.replace(/[.]/g, '\\.')}/node:20-alpine AS build$`, 'm'));
    assert.match(disk, /^COPY --from=busybox:1\.36 /m, 'other references are untouched');
    await waitFor('the diagnostic on the rewritten line to go', () => !ours(doc.uri).some((x) => x.range.start.line === 1));
  });

  it('follows settings changes (arMigrate.ignoredImages) without a restart', async () => {
    const doc = await open('docker-compose.yml');
    await diagnosticsWith(doc, 'postgres:16');
    const cfg = vscode.workspace.getConfiguration('arMigrate');
    await cfg.update('ignoredImages', ['docker.io/library/postgres*'], vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('the postgres diagnostic to disappear', () => !ours(doc.uri).some((d) => textAt(doc, d) === 'postgres:16'));
    } finally {
      await cfg.update('ignoredImages', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await diagnosticsWith(doc, 'postgres:16');
  });

  it('"Ignore this image" silences the reference with a comment', async () => {
    const doc = await open('Dockerfile');
    const ds = await diagnosticsWith(doc, 'busybox:1.36');
    const d = ds.find((x) => textAt(doc, x) === 'busybox:1.36')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const ignore = actions.find((a) => /ignore/i.test(a.title));
    assert.ok(ignore, `an ignore action (got ${JSON.stringify(actions.map((a) => a.title))})`);
    if (ignore.edit) assert.ok(await vscode.workspace.applyEdit(ignore.edit));
    if (ignore.command) await vscode.commands.executeCommand(ignore.command.command, ...(ignore.command.arguments ?? []));
    await waitFor('the ignore comment', () => /ar-migrate: ignore/.test(doc.getText()));
    await waitFor('the busybox diagnostic to go', () => !ours(doc.uri).some((x) => textAt(doc, x) === 'busybox:1.36'));
    assert.match(doc.getText(), /COPY --from=busybox:1\.36 \/bin\/busybox \/busybox/, 'the reference itself is unchanged');
  });

  it('restarts the language server on request and keeps working', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const api = ext.exports as { ready(): Promise<{ isRunning(): boolean }> };
    await vscode.commands.executeCommand('arMigrate.restartServer');
    const client = await api.ready();
    assert.ok(client.isRunning(), 'the client runs after the restart');
    const doc = await open('k8s', 'deployment.yaml');
    await diagnosticsWith(doc, 'redis:7.2');
  });
});
