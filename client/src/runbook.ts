/**
 * The rest of the migration runbook in the editor (docs/runbook-editor.md):
 * Check access, Set up pull logging…, Scan cluster…, Export images.txt and
 * Check drift. The server does the work (requests in ./protocol, runbook
 * section: kubectl, Google APIs and registries are reached from the server,
 * never from here); this file asks, shows progress and results. None of these
 * run in an untrusted workspace (the server refuses too).
 */
import * as vscode from 'vscode';
import { ErrorCodes, ResponseError } from 'vscode-languageclient/node';
import {
  CheckAccessParams,
  CheckAccessRequest,
  CheckAccessResult,
  ClusterImage,
  ClusterScanParams,
  ClusterScanRequest,
  ClusterScanResult,
  DriftEntryResult,
  DriftParams,
  DriftRequest,
  DriftResult,
  ImagesTxtParams,
  ImagesTxtRequest,
  ImagesTxtResult,
  KubeContextsParams,
  KubeContextsRequest,
  KubeContextsResult,
  MirrorParams,
  MirrorRequest,
  MirrorResult,
  RemirrorArgs,
  RemirrorCommand,
  RemirrorResult,
  RunbookCommands,
  SetupLoggingParams,
  SetupLoggingRequest,
  SetupLoggingResult,
} from './protocol';
import { errorMessage, ServerHost, SECTION } from './extension';
import { reportError } from './commands';
import { withServerProgress } from './migrate';

const PROJECT_RE = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DATASET_RE = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9][.:][A-Za-z0-9_]{1,1024}$/;
const LOCATION_RE = /^[A-Za-z]+(?:-[a-z]+[0-9]*)?$/;

/** Registers the runbook commands (palette category "AR Migrate"). */
export function registerRunbookCommands(context: vscode.ExtensionContext, host: ServerHost, log: vscode.LogOutputChannel): void {
  const reg = (id: string, fn: () => Promise<unknown>) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          return await fn();
        } catch (e) {
          reportError(host, id, e);
          return undefined;
        }
      }),
    );
  reg(RunbookCommands.checkAccess, () => checkAccess(host, log));
  reg(RunbookCommands.setupLogging, () => setupLogging(host, log));
  reg(RunbookCommands.scanCluster, () => scanCluster(host, log));
  reg(RunbookCommands.exportImagesTxt, () => exportImagesTxt(host, log));
  reg(RunbookCommands.checkDrift, () => checkDrift(host, log));
}

function trusted(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(`AR Migrate: ${what} needs a trusted workspace (it runs kubectl or contacts Google Cloud and registries with your credentials).`, 'Manage Workspace Trust')
    .then((c) => c && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

function configuredTarget(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('target', '').trim();
}

/** Runs `fn`; when the server answers that no target is configured, offers "Configure target…" instead of an error. */
async function askTargetOnMissing<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ResponseError && e.code === ErrorCodes.InvalidParams && /no Artifact Registry target/i.test(e.message)) {
      const c = await vscode.window.showWarningMessage(`AR Migrate: ${what} needs the Artifact Registry target.`, 'Configure target…');
      if (c) await vscode.commands.executeCommand('arMigrate.configureTarget');
      return undefined;
    }
    throw e;
  }
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------------------
// Check access

const SEVERITY_ICON: Record<string, string> = { ok: '$(pass)', info: '$(info)', warning: '$(warning)', error: '$(error)' };

export async function checkAccess(host: ServerHost, log: vscode.LogOutputChannel): Promise<CheckAccessResult | undefined> {
  if (!trusted('Check access')) return undefined;
  const client = await host.ready();
  // The server knows the effective target (settings or .ar-migrate.json); it says when there is none.
  const target = configuredTarget();
  const result = await askTargetOnMissing('Check access', () =>
    withServerProgress(client, `AR Migrate: checking access to ${target || 'the target'}`, true, (token, workDoneToken) =>
      client.sendRequest<CheckAccessResult>(CheckAccessRequest, { workDoneToken } satisfies CheckAccessParams, token),
    ),
  );
  if (!result) return undefined;
  log.info(`Check access ${result.target.base}: ${result.ok ? 'no problem' : 'problems found'}`);
  for (const f of result.findings) {
    const line = `  ${f.severity.padEnd(7)} ${f.message}${f.fix && f.severity !== 'ok' ? `\n          fix: ${f.fix}` : ''}`;
    if (f.severity === 'error') log.error(line);
    else if (f.severity === 'warning') log.warn(line);
    else log.info(line);
  }
  await showCheckAccess(result);
  return result;
}

type FindingItem = vscode.QuickPickItem & { copy?: string };

async function showCheckAccess(result: CheckAccessResult): Promise<void> {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.filter((f) => f.severity === 'warning').length;
  const items: FindingItem[] = [];
  if (result.fixes.length > 1) items.push({ label: '$(copy) Copy all fix commands', description: plural(result.fixes.length, 'command'), copy: result.fixes.join('\n') });
  for (const f of result.findings) {
    items.push({
      label: `${SEVERITY_ICON[f.severity] ?? ''} ${f.message}`,
      detail: f.fix && f.severity !== 'ok' ? `$(terminal) ${f.fix}` : undefined,
      copy: f.fix && f.severity !== 'ok' ? f.fix : undefined,
    });
  }
  const title =
    errors === 0 && warnings === 0
      ? `AR Migrate: ${result.target.base}: no problems found`
      : `AR Migrate: ${result.target.base}: ${plural(errors, 'problem')}${warnings ? `, ${plural(warnings, 'warning')}` : ''} — pick one to copy its fix`;
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'Select a finding to copy its gcloud command', matchOnDetail: true, ignoreFocusOut: true });
  if (pick?.copy) {
    await vscode.env.clipboard.writeText(pick.copy);
    void vscode.window.showInformationMessage(`AR Migrate: copied ${pick.copy.includes('\n') ? 'the fix commands' : 'the fix command'} to the clipboard.`);
  }
}

// ---------------------------------------------------------------------------
// Set up pull logging

export async function setupLogging(host: ServerHost, log: vscode.LogOutputChannel): Promise<SetupLoggingResult | undefined> {
  if (!trusted('Setting up pull logging')) return undefined;
  const targetProject = /^[^/]+\/([^/]+)\//.exec(configuredTarget())?.[1] ?? '';
  const projectsText = await vscode.window.showInputBox({
    title: 'AR Migrate: Set up pull logging (1/3)',
    prompt: 'Projects whose GKE clusters pull images (comma-separated): a log sink is created in each',
    placeHolder: 'prod-project, staging-project',
    value: PROJECT_RE.test(targetProject) ? targetProject : '',
    ignoreFocusOut: true,
    validateInput: (v) => {
      const list = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length === 0) return 'Name at least one project';
      const bad = list.find((p) => !PROJECT_RE.test(p));
      return bad ? `"${bad}" is not a project ID (6-30 lowercase letters, digits, hyphens)` : undefined;
    },
  });
  if (projectsText === undefined) return undefined;
  const projects = projectsText.split(',').map((s) => s.trim()).filter(Boolean);
  const dataset = await vscode.window.showInputBox({
    title: 'AR Migrate: Set up pull logging (2/3)',
    prompt: 'BigQuery dataset that receives the pull events: DEST_PROJECT.DATASET (created when missing)',
    placeHolder: 'my-logs-project.image_pulls',
    value: `${projects[0]}.image_pulls`,
    ignoreFocusOut: true,
    validateInput: (v) => (DATASET_RE.test(v.trim()) ? undefined : 'Use DEST_PROJECT.DATASET, e.g. my-logs-project.image_pulls'),
  });
  if (dataset === undefined) return undefined;
  const location = await vscode.window.showInputBox({
    title: 'AR Migrate: Set up pull logging (3/3)',
    prompt: 'Location of the dataset when it is created (ignored when it exists)',
    value: 'US',
    ignoreFocusOut: true,
    validateInput: (v) => (LOCATION_RE.test(v.trim()) ? undefined : 'A BigQuery location such as US, EU or europe-west1'),
  });
  if (location === undefined) return undefined;
  const confirm = await vscode.window.showWarningMessage(
    `Set up pull logging into ${dataset.trim()}?`,
    {
      modal: true,
      detail:
        `Creates the dataset when missing (${location.trim()}), a log sink "image_pull_logs" in ${projects.join(', ')} with kubelet "Pulling" events, ` +
        'and gives each sink write access on the dataset. Needs roles/logging.configWriter in each project and admin rights on the dataset. Running it again changes nothing.',
    },
    'Set up',
  );
  if (confirm !== 'Set up') return undefined;
  const client = await host.ready();
  const result = await withServerProgress(client, `AR Migrate: setting up pull logging into ${dataset.trim()}`, true, (token, workDoneToken) =>
    client.sendRequest<SetupLoggingResult>(SetupLoggingRequest, { projects, dataset: dataset.trim(), location: location.trim(), workDoneToken } satisfies SetupLoggingParams, token),
  );
  for (const line of result.text.split('\n')) if (line.trim()) log.info(line);
  const summary = result.changed ? `pull logging into ${result.dataset} is set up (${result.sinks.map((s) => `${s.project}: ${s.action}`).join(', ')}).` : `pull logging into ${result.dataset} was already set up.`;
  const choice = await vscode.window.showInformationMessage(`AR Migrate: ${summary} Use it for pull counts?`, 'Use these settings', 'Show log');
  if (choice === 'Show log') log.show(true);
  if (choice === 'Use these settings') await applyPullCountSettings(result, log);
  return result;
}

async function applyPullCountSettings(result: SetupLoggingResult, log: vscode.LogOutputChannel): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  type Scope = vscode.QuickPickItem & { target: vscode.ConfigurationTarget };
  const items: Scope[] = [];
  if (folders.length) items.push({ label: 'Workspace', description: 'shared with everyone who opens this workspace', target: vscode.ConfigurationTarget.Workspace });
  items.push({ label: 'User', description: 'all your workspaces', target: vscode.ConfigurationTarget.Global });
  const pick = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { title: 'Save the pull-count settings in', ignoreFocusOut: true });
  if (!pick) return;
  const cfg = vscode.workspace.getConfiguration(SECTION);
  for (const [id, value] of Object.entries(result.settings)) {
    if (!id.startsWith(`${SECTION}.`)) continue;
    await cfg.update(id.slice(SECTION.length + 1), value, pick.target);
    log.info(`Set ${id} = ${JSON.stringify(value)} (${pick.label})`);
  }
  void vscode.window.showInformationMessage(`AR Migrate: pull counts now come from ${result.dataset}. Events arrive within minutes of each pull.`);
}

// ---------------------------------------------------------------------------
// Scan cluster

export async function scanCluster(host: ServerHost, log: vscode.LogOutputChannel): Promise<ClusterScanResult | undefined> {
  if (!trusted('Scanning a cluster')) return undefined;
  const client = await host.ready();
  const ctxs = await client.sendRequest<KubeContextsResult>(KubeContextsRequest, {} satisfies KubeContextsParams);
  if (ctxs.contexts.length === 0) {
    void vscode.window.showErrorMessage(
      'AR Migrate: kubectl has no contexts. For GKE run `gcloud container clusters get-credentials CLUSTER --location LOCATION --project PROJECT`, then try again.',
    );
    return undefined;
  }
  const ordered = [...ctxs.contexts].sort((a, b) => Number(b === ctxs.current) - Number(a === ctxs.current) || a.localeCompare(b));
  const picked = await vscode.window.showQuickPick(
    ordered.map((c) => ({ label: c, description: c === ctxs.current ? 'current context' : undefined })),
    { title: 'AR Migrate: scan which cluster? (kubectl context)', ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  const context = picked.label;
  const result = await withServerProgress(client, `AR Migrate: scanning cluster ${context}`, true, (token, workDoneToken) =>
    client.sendRequest<ClusterScanResult>(ClusterScanRequest, { context, workDoneToken } satisfies ClusterScanParams, token),
  );
  log.info(`Cluster ${result.context ?? context}: ${plural(result.images.length, 'image')} in ${plural(result.pods, 'pod')}; not referenced in the workspace: ${result.onlyInCluster.length}`);
  for (const i of result.images) {
    log.info(`  ${(i.normalized ?? `${i.image} (invalid: ${i.error})`).padEnd(60)} ${String(i.pods).padStart(4)} pods  ${i.namespaces.join(',')}  ${i.thirdParty ? 'third-party' : 'first-party'}  workspace: ${i.inWorkspace}`);
  }
  const candidates = result.onlyInClusterThirdParty;
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(
      `AR Migrate: every third-party image running in ${result.context ?? context} (${plural(result.images.filter((i) => i.thirdParty).length, 'image')}) is referenced in the workspace.`,
    );
    return result;
  }
  type Item = vscode.QuickPickItem & { image: ClusterImage };
  const items: Item[] = candidates.map((i) => ({
    label: i.normalized ?? i.image,
    description: `${plural(i.pods, 'pod')} · ${i.namespaces.join(', ')}`,
    detail: i.inWorkspace === 'other-tag' ? `the workspace uses other tags: ${(i.workspaceVersions ?? []).join(' ')}` : 'not referenced in the workspace',
    picked: true,
    image: i,
  }));
  const chosen = await vscode.window.showQuickPick(items, {
    title: `AR Migrate: ${plural(candidates.length, 'third-party image')} run in ${result.context ?? context} but are not in the workspace — mirror the selected ones?`,
    canPickMany: true,
    ignoreFocusOut: true,
    matchOnDescription: true,
  });
  if (!chosen || chosen.length === 0) return result;
  const images = chosen.map((c) => c.image.normalized).filter((x): x is string => Boolean(x));
  const mirrored = await askTargetOnMissing('Mirroring', () =>
    withServerProgress(client, `AR Migrate: mirroring ${plural(images.length, 'image')}`, true, (token, workDoneToken) =>
      client.sendRequest<MirrorResult>(MirrorRequest, { images, workDoneToken } satisfies MirrorParams, token),
    ),
  );
  if (!mirrored) return result;
  const target = configuredTarget() || 'the target';
  const ok = mirrored.results.filter((r) => r.ok);
  const failed = mirrored.results.filter((r) => !r.ok);
  for (const r of ok) log.info(`Mirrored ${r.source} -> ${r.target} (${r.digest ?? ''})`);
  for (const r of failed) log.error(`Mirroring ${r.source} failed: ${r.error ?? 'unknown error'}`);
  if (failed.length === 0 && !mirrored.cancelled) {
    void vscode.window.showInformationMessage(`AR Migrate: mirrored ${plural(ok.length, 'image')} running in ${result.context ?? context} to ${target}.`);
  } else {
    const why = mirrored.cancelled ? 'cancelled' : `${failed[0].source}: ${failed[0].error ?? 'failed'}`;
    const c = await vscode.window.showErrorMessage(`AR Migrate: mirrored ${ok.length} of ${images.length} image(s) (${why}).`, 'Show log');
    if (c) log.show(true);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Export images.txt

export async function exportImagesTxt(host: ServerHost, log: vscode.LogOutputChannel): Promise<vscode.Uri | undefined> {
  if (!trusted('Export images.txt')) return undefined;
  const client = await host.ready();
  const result = await withServerProgress(client, 'AR Migrate: collecting third-party images', true, (token, workDoneToken) =>
    client.sendRequest<ImagesTxtResult>(ImagesTxtRequest, { workDoneToken } satisfies ImagesTxtParams, token),
  );
  for (const s of result.skipped) log.warn(`images.txt: left out ${s.text} at ${vscode.Uri.parse(s.uri).fsPath}:${s.line + 1}: ${s.reason}`);
  if (result.images.length === 0) {
    void vscode.window.showInformationMessage(`AR Migrate: the workspace references no third-party image${result.skipped.length ? ` (${plural(result.skipped.length, 'reference')} left out, see the log)` : ''}.`);
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const file = await vscode.window.showSaveDialog({
    title: 'AR Migrate: save images.txt',
    defaultUri: folder ? vscode.Uri.joinPath(folder, 'images.txt') : undefined,
    filters: { 'Text files': ['txt'], 'All files': ['*'] },
    saveLabel: 'Export',
  });
  if (!file) return undefined;
  await vscode.workspace.fs.writeFile(file, Buffer.from(result.text, 'utf8'));
  log.info(`Wrote ${plural(result.images.length, 'image')} to ${file.fsPath}`);
  const more = result.skipped.length ? ` ${plural(result.skipped.length, 'reference')} with variables or errors left out (see the log).` : '';
  void vscode.window.showInformationMessage(`AR Migrate: wrote ${plural(result.images.length, 'image')} to ${file.fsPath}.${more}`, 'Open').then((c) => c && vscode.window.showTextDocument(file));
  return file;
}

// ---------------------------------------------------------------------------
// Check drift

const DRIFT_ICON: Record<string, string> = {
  'in-sync': '$(pass)',
  drifted: '$(warning)',
  'mirror-missing': '$(error)',
  'upstream-missing': '$(question)',
  error: '$(error)',
  unchecked: '$(circle-slash)',
};

function shortDigest(d: string | undefined): string {
  return d ? d.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]+$/, '$1…') : '?';
}

export async function checkDrift(host: ServerHost, log: vscode.LogOutputChannel): Promise<DriftResult | undefined> {
  if (!trusted('Check drift')) return undefined;
  const client = await host.ready();
  const result = await askTargetOnMissing('Check drift', () =>
    withServerProgress(client, 'AR Migrate: checking mirrored images against upstream', true, (token, workDoneToken) =>
      client.sendRequest<DriftResult>(DriftRequest, { workDoneToken } satisfies DriftParams, token),
    ),
  );
  if (!result) return undefined;
  const s = result.summary;
  const text = `${plural(result.entries.length, 'mirrored image')}: ${s['in-sync']} in sync, ${s.drifted} drifted, ${s['mirror-missing']} missing from the mirror, ${s['upstream-missing']} gone upstream, ${s.error} not checked (errors), ${s.unchecked} not checkable`;
  log.info(`Drift (${result.targets.join(', ')}): ${text}`);
  if (result.entries.length === 0) {
    void vscode.window.showInformationMessage(`AR Migrate: no reference to an image mirrored under ${result.targets.join(', ')} was found.`);
    return result;
  }
  const problems = result.entries.filter((e) => e.status !== 'in-sync');
  if (problems.length === 0) {
    void vscode.window.showInformationMessage(`AR Migrate: all ${plural(result.entries.length, 'mirrored image')} are in sync with upstream.`);
    return result;
  }
  const choice = await vscode.window.showWarningMessage(`AR Migrate: ${text}.`, 'Show details');
  if (choice === 'Show details') await showDrift(problems, log);
  return result;
}

async function showDrift(entries: DriftEntryResult[], log: vscode.LogOutputChannel): Promise<void> {
  type Item = vscode.QuickPickItem & { entry: DriftEntryResult };
  const items: Item[] = entries.map((e) => ({
    label: `${DRIFT_ICON[e.status] ?? ''} ${e.mirror}`,
    description: e.status,
    detail:
      e.status === 'drifted'
        ? `${e.upstream} is now ${shortDigest(e.upstreamDigest)}, the mirror ${e.pinnedDigest ? 'reference pins' : 'has'} ${shortDigest(e.pinnedDigest ?? e.mirrorDigest)} — select to re-mirror`
        : e.status === 'mirror-missing'
          ? `${e.reason ?? 'missing from the mirror'} — select to re-mirror`
          : e.reason ?? '',
    entry: e,
  }));
  const pick = await vscode.window.showQuickPick(items, { title: 'AR Migrate: mirrored images that are not in sync', matchOnDetail: true, ignoreFocusOut: true });
  if (!pick) return;
  const e = pick.entry;
  if ((e.status === 'drifted' || e.status === 'mirror-missing') && e.upstream) {
    const args: RemirrorArgs = { mirror: e.mirror, upstream: e.upstream };
    try {
      // Served by the language server (advertised in executeCommandProvider): progress and messages come from it.
      const r = await vscode.commands.executeCommand<RemirrorResult>(RemirrorCommand, args);
      if (r) log.info(`Re-mirror ${e.mirror}: ${r.message}`);
    } catch (err) {
      log.error(`Re-mirror ${e.mirror}: ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(`AR Migrate: ${errorMessage(err)}`);
    }
    return;
  }
  const ref = e.references[0];
  if (ref) {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(ref.uri));
    const r = new vscode.Range(ref.range.start.line, ref.range.start.character, ref.range.end.line, ref.range.end.character);
    await vscode.window.showTextDocument(doc, { selection: r });
  }
}
