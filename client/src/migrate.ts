/**
 * Mirror-and-rewrite flows: the quick fix ("Mirror to Artifact Registry and
 * rewrite"), "Mirror image…" and "Migrate workspace…". The server copies (with
 * `$/progress` on a work-done token and `$/cancelRequest`), the client shows
 * progress, asks, and applies ONE WorkspaceEdit for the images that succeeded.
 */
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import { LanguageClient, WorkDoneProgress, WorkDoneProgressBegin, WorkDoneProgressReport, WorkDoneProgressEnd } from 'vscode-languageclient/node';
import {
  LspRange,
  MirrorImageResult,
  MirrorParams,
  MirrorRequest,
  MirrorResult,
  RewriteEditsParams,
  RewriteEditsRequest,
  RewriteEditsResult,
  ScanWorkspaceParams,
  ScanWorkspaceRequest,
  ScanWorkspaceResult,
  WorkspaceFinding,
} from './protocol';
import { errorMessage, ServerHost, SECTION } from './extension';
import { configureTarget } from './commands';

/**
 * Runs `fn` under a notification with the server's work-done progress and a
 * Cancel button that cancels the request.
 */
export async function withServerProgress<T>(
  client: LanguageClient,
  title: string,
  cancellable: boolean,
  fn: (token: vscode.CancellationToken, workDoneToken: string) => Promise<T>,
): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable }, async (progress, token) => {
    const workDoneToken = randomUUID();
    let last = 0;
    const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (v: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
      if (v.kind === 'end') return;
      const pct = 'percentage' in v && typeof v.percentage === 'number' ? Math.max(0, Math.min(100, v.percentage)) : undefined;
      const increment = pct !== undefined && pct > last ? pct - last : undefined;
      if (pct !== undefined) last = Math.max(last, pct);
      progress.report({ message: v.message, increment });
    });
    try {
      // A cancelled request still answers (e.g. MirrorResult.cancelled with what was done): callers decide.
      return await fn(token, workDoneToken);
    } finally {
      sub.dispose();
    }
  });
}

export function humanBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

async function targetOrAsk(host: ServerHost): Promise<string | undefined> {
  const t = vscode.workspace.getConfiguration(SECTION).get<string>('target', '').trim();
  if (t) return t;
  const c = await vscode.window.showWarningMessage('AR Migrate: set the Artifact Registry target first.', 'Configure target…');
  return c ? configureTarget(host) : undefined;
}

function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(`AR Migrate: ${what} needs a trusted workspace (it contacts registries and copies images).`, 'Manage Workspace Trust')
    .then((c) => c && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

async function mirror(host: ServerHost, client: LanguageClient, images: string[], title: string): Promise<MirrorResult> {
  const target = vscode.workspace.getConfiguration(SECTION).get<string>('target', '').trim() || undefined;
  host.log.info(`Mirroring ${images.length} image(s) to ${target}: ${images.join(', ')}`);
  const result = await withServerProgress(client, title, true, (token, workDoneToken) =>
    client.sendRequest<MirrorResult>(MirrorRequest, { images, target, workDoneToken } satisfies MirrorParams, token),
  );
  for (const r of result.results) {
    if (r.ok) host.log.info(`Mirrored ${r.source} -> ${r.target}${r.digest ? ` (${r.digest})` : ''}${r.bytes !== undefined ? `, ${humanBytes(r.bytes)}` : ''}${r.blobs !== undefined ? `, ${r.blobs} blobs` : ''}`);
    else host.log.error(`Mirroring ${r.source} failed: ${r.error ?? 'unknown error'}`);
  }
  return result;
}

async function applyRewrites(host: ServerHost, client: LanguageClient, images: string[], uris?: string[]): Promise<number> {
  if (images.length === 0) return 0;
  const target = vscode.workspace.getConfiguration(SECTION).get<string>('target', '').trim() || undefined;
  const res = await client.sendRequest<RewriteEditsResult>(RewriteEditsRequest, { images, uris, target } satisfies RewriteEditsParams);
  for (const s of res.skipped ?? []) host.log.warn(`Not rewritten: ${s.image} at ${vscode.Uri.parse(s.uri).fsPath}:${s.line + 1}: ${s.reason}`);
  const edit = await client.protocol2CodeConverter.asWorkspaceEdit(res.edit);
  if (!edit || edit.size === 0) return 0;
  let count = 0;
  for (const [, edits] of edit.entries()) count += edits.length;
  // isRefactoring: VS Code saves the touched files when `files.refactoring.autoSave` is on (its default).
  const ok = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
  if (!ok) throw new Error('VS Code refused the rewrite edit (a file changed meanwhile?). Nothing was rewritten.');
  host.log.info(`Rewrote ${count} reference(s) in ${edit.size} file(s)`);
  return count;
}

function failureMessage(failed: MirrorImageResult[]): string {
  const first = failed[0];
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
  const why = first.error ?? 'unknown error';
  // Server messages usually start with the image already.
  return `could not mirror ${why.startsWith(first.source) ? why : `${first.source}: ${why}`}${more}`;
}

/** The quick fix command: args `{ uri, range, image }` from the server's code action. */
export async function mirrorAndRewrite(host: ServerHost, arg: unknown): Promise<void> {
  const a = (Array.isArray(arg) ? arg[0] : arg) as { uri?: string; range?: LspRange; image?: string } | undefined;
  if (!a || typeof a.image !== 'string') throw new Error('mirrorAndRewrite: missing image argument');
  if (!requireTrust('Mirroring')) return;
  if (!(await targetOrAsk(host))) return;
  const client = await host.ready();
  const result = await mirror(host, client, [a.image], `AR Migrate: mirroring ${a.image}`);
  const done = result.results.filter((r) => r.ok);
  const failed = result.results.filter((r) => !r.ok);
  if (result.cancelled && done.length === 0) {
    host.log.info(`Mirroring ${a.image} cancelled; nothing was rewritten`);
    void vscode.window.showInformationMessage(`AR Migrate: mirroring ${a.image} cancelled; nothing was rewritten.`);
    return;
  }
  if (failed.length) {
    const c = await vscode.window.showErrorMessage(`AR Migrate: ${failureMessage(failed)}`, 'Show log');
    if (c) host.log.show(true);
    return;
  }
  await applyRewrites(host, client, done.map((r) => r.source), a.uri ? [a.uri] : undefined);
}

async function scan(host: ServerHost, client: LanguageClient): Promise<ScanWorkspaceResult> {
  return withServerProgress(client, 'AR Migrate: scanning the workspace', true, (token, workDoneToken) =>
    client.sendRequest<ScanWorkspaceResult>(ScanWorkspaceRequest, { withPulls: true, workDoneToken } satisfies ScanWorkspaceParams, token),
  );
}

interface ImageGroup {
  image: string;
  familiar: string;
  registry: string;
  findings: WorkspaceFinding[];
  files: Set<string>;
  pulls?: number;
  rewriteTo?: string;
}

export function groupByImage(findings: readonly WorkspaceFinding[]): ImageGroup[] {
  const map = new Map<string, ImageGroup>();
  for (const f of findings) {
    if (!f.thirdParty || f.ignored || f.error || !f.normalized) continue;
    let g = map.get(f.normalized);
    if (!g) {
      g = { image: f.normalized, familiar: f.familiar ?? f.normalized, registry: f.registry ?? '', findings: [], files: new Set(), rewriteTo: f.rewriteTo };
      map.set(f.normalized, g);
    }
    g.findings.push(f);
    g.files.add(f.uri);
    if (typeof f.pulls === 'number') g.pulls = Math.max(g.pulls ?? 0, f.pulls);
  }
  return [...map.values()].sort((a, b) => (b.pulls ?? -1) - (a.pulls ?? -1) || b.findings.length - a.findings.length || a.image.localeCompare(b.image));
}

/** "Migrate workspace…": pick images, mirror them under one progress, rewrite the successful ones in one edit. */
export async function migrateWorkspace(host: ServerHost): Promise<void> {
  const client = await host.ready();
  const result = await scan(host, client);
  for (const e of result.errors ?? []) host.log.warn(`Scan: ${vscode.Uri.parse(e.uri).fsPath}${e.line !== undefined ? `:${e.line + 1}` : ''}: ${e.message}`);
  const groups = groupByImage(result.findings);
  if (groups.length === 0) {
    void vscode.window.showInformationMessage(`AR Migrate: no third-party image references in ${result.filesScanned} scanned file(s).`);
    return;
  }
  if (!requireTrust('Migrating')) return;
  if (!(await targetOrAsk(host))) return;
  type Item = vscode.QuickPickItem & { group?: ImageGroup };
  const items: Item[] = [];
  const byRegistry = new Map<string, ImageGroup[]>();
  for (const g of groups) byRegistry.set(g.registry, [...(byRegistry.get(g.registry) ?? []), g]);
  for (const [registry, gs] of byRegistry) {
    items.push({ label: registry || 'other', kind: vscode.QuickPickItemKind.Separator });
    for (const g of gs) {
      const refs = `${g.findings.length} ref${g.findings.length === 1 ? '' : 's'} in ${g.files.size} file${g.files.size === 1 ? '' : 's'}`;
      items.push({
        label: g.familiar,
        description: g.pulls !== undefined ? `${g.pulls.toLocaleString('en-US')} pulls · ${refs}` : refs,
        detail: g.rewriteTo ? `→ ${g.rewriteTo}` : undefined,
        picked: true,
        group: g,
      });
    }
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `AR Migrate: mirror and rewrite (${groups.length} image${groups.length === 1 ? '' : 's'})`,
    placeHolder: 'Select the images to mirror into Artifact Registry',
    canPickMany: true,
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!picked || picked.length === 0) return;
  const images = picked.flatMap((p) => (p.group ? [p.group.image] : []));
  const mirrored = await mirror(host, client, images, `AR Migrate: mirroring ${images.length} image${images.length === 1 ? '' : 's'}`);
  const ok = mirrored.results.filter((r) => r.ok);
  const failed = mirrored.results.filter((r) => !r.ok);
  let rewritten = 0;
  try {
    rewritten = await applyRewrites(host, client, ok.map((r) => r.source));
  } catch (e) {
    host.log.error(`Rewrite: ${errorMessage(e)}`);
    failed.push({ source: '(rewrite)', target: '', ok: false, error: errorMessage(e) });
  }
  const summary =
    `AR Migrate: mirrored ${ok.length} of ${images.length} image${images.length === 1 ? '' : 's'}, rewrote ${rewritten} reference${rewritten === 1 ? '' : 's'}` +
    (mirrored.cancelled ? ' (cancelled)' : '') +
    (failed.length ? `; ${failureMessage(failed)}` : '.');
  host.log.info(summary);
  if (failed.length) {
    const c = await vscode.window.showWarningMessage(summary, 'Show log');
    if (c) host.log.show(true);
  } else void vscode.window.showInformationMessage(summary);
}

/** "Mirror image…": an image typed or picked from the workspace; copies without rewriting. */
export async function mirrorImage(host: ServerHost, image?: string): Promise<void> {
  if (!requireTrust('Mirroring')) return;
  const client = await host.ready();
  let source = image;
  if (!source) {
    let suggestions: string[] = [];
    try {
      const r = await client.sendRequest<ScanWorkspaceResult>(ScanWorkspaceRequest, { withPulls: false } satisfies ScanWorkspaceParams);
      suggestions = groupByImage(r.findings).map((g) => g.image);
    } catch (e) {
      host.log.warn(`Scan for suggestions failed: ${errorMessage(e)}`);
    }
    source = await pickOrType(suggestions);
  }
  if (!source) return;
  if (!(await targetOrAsk(host))) return;
  const result = await mirror(host, client, [source], `AR Migrate: mirroring ${source}`);
  const r = result.results[0];
  if (r?.ok) {
    void vscode.window.showInformationMessage(`AR Migrate: mirrored ${r.source} to ${r.target}.`, 'Copy reference').then((c) => c && vscode.env.clipboard.writeText(r.target));
  } else if (r) {
    const c = await vscode.window.showErrorMessage(`AR Migrate: ${failureMessage([r])}`, 'Show log');
    if (c) host.log.show(true);
  }
}

function pickOrType(suggestions: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick();
    qp.title = 'AR Migrate: image to mirror';
    qp.placeholder = 'Type an image (nginx:1.27, quay.io/org/app@sha256:…) or pick one used in the workspace';
    qp.items = suggestions.map((s) => ({ label: s }));
    qp.ignoreFocusOut = true;
    let done = false;
    qp.onDidChangeValue((v) => {
      const typed = v.trim();
      const base = suggestions.map((s) => ({ label: s }));
      qp.items = typed && !suggestions.includes(typed) ? [{ label: typed, description: 'typed' }, ...base] : base;
    });
    qp.onDidAccept(() => {
      done = true;
      resolve(qp.selectedItems[0]?.label ?? (qp.value.trim() || undefined));
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}
