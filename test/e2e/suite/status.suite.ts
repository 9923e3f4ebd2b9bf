/**
 * Runs inside the real extension host (after extension.suite.ts): the status bar
 * item counts the whole workspace (files that are not open included) and follows
 * files added, edited and deleted on disk; pull-count inlay hints from a log
 * export; the images.txt request behind "AR Migrate: Export images.txt".
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'ar-migrate.ar-migrate';

interface StatusSnapshot {
  visible: boolean;
  text: string;
  tooltip: string;
  scope: 'workspace' | 'open files';
  references: number;
  scans: number;
}
interface Api {
  ready(): Promise<{ sendRequest<R>(method: string, params: unknown): Promise<R> }>;
  status(): StatusSnapshot;
}

function root(): vscode.Uri {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'a workspace folder is open');
  return f.uri;
}

async function waitFor<T>(what: string | (() => string), fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const w = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${w}${last ? `: ${last instanceof Error ? last.message : last}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function api(): Promise<Api> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
  const a = (await ext.activate()) as Api;
  await a.ready();
  return a;
}

/** Third-party, valid, not ignored references the server finds in the workspace right now. */
async function serverCount(a: Api): Promise<number> {
  const client = await a.ready();
  const res = await client.sendRequest<{ findings: { thirdParty: boolean; ignored: boolean; error?: string; normalized?: string }[] }>('arMigrate/scanWorkspace', { withPulls: false });
  return res.findings.filter((f) => f.thirdParty && !f.ignored && !f.error && f.normalized).length;
}

/** Waits until the status bar shows the workspace count `n` (`N third-party`). */
async function statusShows(a: Api, n: number, why: string): Promise<StatusSnapshot> {
  return waitFor(
    () => `the status bar to show ${n} third-party (${why}); it shows ${JSON.stringify(a.status())}`,
    () => {
      const s = a.status();
      return s.visible && s.scope === 'workspace' && s.references === n && s.text.includes(`${n} third-party`) ? s : undefined;
    },
  );
}

/** A Cloud Logging export (JSON lines) of kubelet "Pulling image" events in the last days. */
function writePullLog(file: string, counts: Record<string, number>): void {
  const now = Date.now();
  const lines: string[] = [];
  for (const [image, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      const t = new Date(now - 60_000 - Math.floor(((i + 0.5) / n) * 3 * 24 * 3_600_000)).toISOString();
      lines.push(JSON.stringify({ timestamp: t, jsonPayload: { reason: 'Pulling', message: `Pulling image "${image}"` }, resource: { type: 'k8s_pod', labels: { cluster_name: 'prod' } } }));
    }
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

describe('ar-migrate status bar, inlay hints and images.txt in a real VS Code', function () {
  this.timeout(180_000);

  it('counts third-party references in the whole workspace, files that are not open included', async () => {
    const a = await api();
    const unopened = vscode.Uri.joinPath(root(), 'jobs', 'nightly-batch.yaml');
    assert.ok(fs.existsSync(unopened.fsPath), 'the workspace has jobs/nightly-batch.yaml');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath === unopened.fsPath), 'jobs/nightly-batch.yaml is not open');
    const expected = await serverCount(a);
    const s = await statusShows(a, expected, 'the server scan of the workspace');
    // ghcr.io and public.ecr.aws occur only in the file that was never opened.
    assert.match(s.tooltip, /`ghcr\.io`: 1/, `the tooltip counts per registry (tooltip: ${s.tooltip})`);
    assert.match(s.tooltip, /`public\.ecr\.aws`: 1/);
    assert.match(s.tooltip, /in the workspace/);
    assert.match(s.tooltip, /Click to migrate/);
    const openOnly = vscode.languages
      .getDiagnostics()
      .flatMap(([, ds]) => ds)
      .filter((d) => d.source === 'ar-migrate' && (typeof d.code === 'object' ? String(d.code.value) : String(d.code)) === 'third-party-image').length;
    assert.ok(s.references >= openOnly + 2, `the workspace count (${s.references}) exceeds the open files' count (${openOnly}) by at least the unopened file's 2 references`);
  });

  it('updates after a file is added, edited and deleted on disk', async () => {
    const a = await api();
    const before = await serverCount(a);
    await statusShows(a, before, 'start');
    const added = path.join(root().fsPath, 'services', 'worker', 'Dockerfile');
    fs.mkdirSync(path.dirname(added), { recursive: true });
    fs.writeFileSync(added, 'FROM alpine:3.20 AS base\nFROM base\nCOPY --from=mcr.microsoft.com/dotnet/runtime:8.0 /usr/share/dotnet /dotnet\n');
    try {
      const s = await statusShows(a, before + 2, 'a new Dockerfile with 2 third-party references');
      assert.match(s.tooltip, /`mcr\.microsoft\.com`: 1/);
      fs.appendFileSync(added, 'COPY --from=quay.io/coreos/etcd:v3.5.13 /usr/local/bin/etcd /etcd\n');
      await statusShows(a, before + 3, 'a third reference appended on disk');
    } finally {
      fs.rmSync(path.dirname(added), { recursive: true, force: true });
    }
    await statusShows(a, before, 'the Dockerfile deleted');
  });

  it('shows pull counts as inlay hints when a log export is the pull source', async () => {
    const a = await api();
    const log = path.join(root().fsPath, 'pulls.ndjson');
    writePullLog(log, { 'redis:7.2': 7, 'quay.io/prometheus/node-exporter:v1.8.0': 3 });
    const cfg = vscode.workspace.getConfiguration('arMigrate');
    await cfg.update('pullCounts.source', 'logFile', vscode.ConfigurationTarget.Workspace);
    await cfg.update('pullCounts.logFile', log, vscode.ConfigurationTarget.Workspace);
    try {
      await a.ready();
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(root(), 'k8s', 'deployment.yaml'));
      await vscode.window.showTextDocument(doc, { preview: false });
      const full = new vscode.Range(0, 0, doc.lineCount, 0);
      const label = (h: vscode.InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));
      let seen: string[] = [];
      const hints = await waitFor(
        () => `inlay hints with pull counts (have ${JSON.stringify(seen)})`,
        async () => {
          const hs = (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, full)) ?? [];
          seen = hs.map((h) => `${h.position.line}:${label(h)}`);
          return hs.some((h) => /\b7 pulls?\b/.test(label(h))) ? hs : undefined;
        },
        90_000,
      );
      const redisLine = doc.getText().split('\n').findIndex((l) => l.includes('image: redis:7.2'));
      const redis = hints.find((h) => /\b7 pulls?\b/.test(label(h)))!;
      assert.equal(redis.position.line, redisLine, `the 7-pull hint sits on the redis line (hints: ${JSON.stringify(seen)})`);
      assert.ok(hints.some((h) => /\b3 pulls?\b/.test(label(h))), `node-exporter shows 3 pulls (hints: ${JSON.stringify(seen)})`);
    } finally {
      await cfg.update('pullCounts.source', undefined, vscode.ConfigurationTarget.Workspace);
      await cfg.update('pullCounts.logFile', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(log, { force: true });
    }
  });

  it('"Export images.txt": the server lists the third-party images of the workspace (arMigrate/imagesTxt)', async () => {
    // The command itself asks for a destination with a save dialog, which the
    // extension host cannot answer: this checks the request the command sends.
    const a = await api();
    assert.ok((await vscode.commands.getCommands(true)).includes('arMigrate.exportImagesTxt'), 'the command is registered');
    const client = await a.ready();
    const res = await client.sendRequest<{ text: string; images: string[]; skipped: unknown[] }>('arMigrate/imagesTxt', {});
    const lines = res.text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    assert.ok(lines.some((l) => l.includes('ghcr.io/acme/batch-worker:2.1.0')), `the unopened file's image is listed (text: ${res.text})`);
    assert.ok(lines.some((l) => /redis:7\.2/.test(l)), 'redis:7.2 is listed');
    assert.ok(!lines.some((l) => l.includes('docker.pkg.dev')), 'Artifact Registry images are not listed');
    assert.ok(res.images.includes('ghcr.io/acme/batch-worker:2.1.0'), `images holds normalised references (got ${JSON.stringify(res.images)})`);
    assert.ok(res.images.includes('docker.io/library/redis:7.2'), `images holds normalised references (got ${JSON.stringify(res.images)})`);
    assert.deepEqual([...res.images].sort(), [...new Set(res.images)].sort(), 'no duplicates');
  });
});
