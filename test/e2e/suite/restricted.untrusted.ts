/**
 * Runs inside an extension host whose workspace is NOT trusted (Restricted
 * Mode): the extension still analyses text (diagnostics, hovers), tells the
 * server it is untrusted, and VS Code withholds the workspace's values of the
 * restricted settings (pull-count sources).
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import * as vscode from 'vscode';

const EXTENSION_ID = 'ar-migrate.ar-migrate';

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('ar-migrate in Restricted Mode', function () {
  this.timeout(180_000);

  it('runs with limited support: diagnostics and hovers, untrusted server', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the workspace is not trusted');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const api = (await ext.activate()) as { ready(): Promise<unknown>; initializationOptions(): { trusted: boolean } };
    await api.ready();
    assert.equal(api.initializationOptions().trusted, false, 'the server is told the workspace is untrusted');

    const root = vscode.workspace.workspaceFolders![0].uri;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(root, 'Dockerfile'));
    await vscode.window.showTextDocument(doc);
    await waitFor('a third-party diagnostic on node:20-alpine', () =>
      vscode.languages.getDiagnostics(doc.uri).some((d) => d.source === 'ar-migrate' && doc.getText(d.range) === 'node:20-alpine'),
    );
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(1, 8));
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
    assert.match(text, /docker\.io\/library\/node/);
  });

  it('counts the whole workspace in the status bar (scanning is text analysis)', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const api = (await ext.activate()) as { ready(): Promise<unknown>; status(): { visible: boolean; scope: string; references: number; text: string; tooltip: string } };
    await api.ready();
    const unopened = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'jobs', 'nightly-batch.yaml');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath === unopened.fsPath), 'jobs/nightly-batch.yaml is not open');
    const s = await waitFor(`a workspace count in the status bar (shows ${JSON.stringify(api.status())})`, () => {
      const st = api.status();
      return st.visible && st.scope === 'workspace' && /`ghcr\.io`: 1/.test(st.tooltip) ? st : undefined;
    });
    assert.match(s.text, new RegExp(`${s.references} third-party`));
    assert.ok(s.references >= 8, `the workspace holds at least 8 third-party references (got ${s.references})`);
  });

  it('ignores the workspace value of restricted settings (pull-count source)', () => {
    const cfg = vscode.workspace.getConfiguration('arMigrate');
    const settingsFile = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, '.vscode', 'settings.json').fsPath;
    assert.match(fs.readFileSync(settingsFile, 'utf8'), /"arMigrate\.pullCounts\.logFile": "pulls\.ndjson"/, 'the workspace sets a log file');
    assert.equal(cfg.get('pullCounts.logFile'), '', 'but VS Code does not apply it while untrusted');
    assert.equal(cfg.get('pullCounts.source'), 'auto');
    // Unrestricted settings still apply.
    assert.equal(cfg.get('target'), 'us-central1-docker.pkg.dev/my-project/mirror');
  });
});
