/**
 * Command registrations (palette category "AR Migrate"). The long flows live
 * in migrate.ts (mirror + rewrite) and report.ts (webview).
 */
import * as vscode from 'vscode';
import { ResponseError, ErrorCodes } from 'vscode-languageclient/node';
import {
  CheckCredentialsParams,
  CheckCredentialsRequest,
  CheckCredentialsResult,
  ClientCommands,
  RefreshPullCountsParams,
  RefreshPullCountsRequest,
  RefreshPullCountsResult,
} from './protocol';
import { errorMessage, ServerHost, SECTION } from './extension';
import { validateTarget } from './target';
import type { StatusItem } from './status';
import { migrateWorkspace, mirrorAndRewrite, mirrorImage, withServerProgress } from './migrate';
import { showReport } from './report';

export function registerCommands(context: vscode.ExtensionContext, host: ServerHost, status: StatusItem): void {
  const reg = (id: string, fn: (...args: any[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: any[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          reportError(host, id, e);
          return undefined;
        }
      }),
    );

  reg(ClientCommands.showLog, () => host.log.show(true));
  reg(ClientCommands.restartServer, () => host.restart('requested by the user'));
  reg(ClientCommands.configureTarget, () => configureTarget(host));
  reg(ClientCommands.refreshPullCounts, () => refreshPullCounts(host, status));
  reg(ClientCommands.migrateWorkspace, () => migrateWorkspace(host));
  reg(ClientCommands.mirrorImage, (image?: string) => mirrorImage(host, typeof image === 'string' ? image : undefined));
  reg(ClientCommands.mirrorAndRewrite, (arg?: unknown) => mirrorAndRewrite(host, arg));
  reg(ClientCommands.showReport, () => showReport(context, host));
  reg(ClientCommands.checkCredentials, () => checkCredentials(host));
}

export async function checkCredentials(host: ServerHost): Promise<CheckCredentialsResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('AR Migrate: checking credentials needs a trusted workspace (it runs credential helpers).');
    return undefined;
  }
  const target = vscode.workspace.getConfiguration(SECTION).get<string>('target', '').trim();
  if (!target) {
    const c = await vscode.window.showWarningMessage('AR Migrate: set the Artifact Registry target first.', 'Configure target…');
    if (c) await configureTarget(host);
    return undefined;
  }
  const client = await host.ready();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `AR Migrate: checking access to ${target}`, cancellable: true },
    (_p, token) => client.sendRequest<CheckCredentialsResult>(CheckCredentialsRequest, { target } satisfies CheckCredentialsParams, token),
  );
  if (result.ok) {
    host.log.info(`Credentials OK for ${target}${result.identity ? ` as ${result.identity}` : ''}: ${result.message}`);
    void vscode.window.showInformationMessage(`AR Migrate: ${result.message}${result.identity ? ` (${result.identity})` : ''}`);
  } else {
    host.log.error(`Credentials for ${target}: ${result.message}`);
    const c = await vscode.window.showErrorMessage(`AR Migrate: ${result.message}`, 'Show log');
    if (c) host.log.show(true);
  }
  return result;
}

/** A failed request as a user message; "not supported" when the server lacks the method. */
export function reportError(host: ServerHost, what: string, e: unknown): void {
  if (e instanceof vscode.CancellationError) return;
  if (e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound) {
    host.log.error(`${what}: the language server does not implement ${e.message}`);
    void vscode.window.showErrorMessage(`AR Migrate: this version of the language server does not support ${what}.`);
    return;
  }
  if (e instanceof ResponseError && e.code === -32800 /* RequestCancelled */) return;
  host.log.error(`${what}: ${errorMessage(e)}`);
  void vscode.window.showErrorMessage(`AR Migrate: ${errorMessage(e)}`, 'Show log').then((c) => c && host.log.show(true));
}

export async function configureTarget(host: ServerHost): Promise<string | undefined> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const current = cfg.get<string>('target', '');
  const value = await vscode.window.showInputBox({
    title: 'AR Migrate: Artifact Registry target',
    prompt: 'Docker repository images are mirrored into: LOCATION-docker.pkg.dev/PROJECT/REPOSITORY',
    placeHolder: 'us-central1-docker.pkg.dev/my-project/mirror',
    value: current,
    ignoreFocusOut: true,
    validateInput: (v) => validateTarget(v),
  });
  if (value === undefined) return undefined;
  const target = value.trim().replace(/\/+$/, '');
  const folders = vscode.workspace.workspaceFolders ?? [];
  type ScopeItem = vscode.QuickPickItem & { target: vscode.ConfigurationTarget | vscode.WorkspaceFolder };
  const items: ScopeItem[] = [];
  if (folders.length > 0) items.push({ label: 'Workspace', description: 'shared with everyone who opens this workspace', target: vscode.ConfigurationTarget.Workspace });
  if (folders.length > 1) {
    for (const f of folders) items.push({ label: `Folder: ${f.name}`, description: f.uri.fsPath, target: f });
  }
  items.push({ label: 'User', description: 'all your workspaces', target: vscode.ConfigurationTarget.Global });
  const pick = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { title: 'Save the target in', ignoreFocusOut: true });
  if (!pick) return undefined;
  if (typeof pick.target === 'object') {
    await vscode.workspace.getConfiguration(SECTION, pick.target.uri).update('target', target, vscode.ConfigurationTarget.WorkspaceFolder);
  } else {
    await cfg.update('target', target, pick.target);
  }
  host.log.info(`Target set to ${target || '(none)'} (${pick.label})`);
  void vscode.window.showInformationMessage(target ? `AR Migrate: images will be mirrored to ${target}.` : 'AR Migrate: target cleared.');
  return target;
}

export async function refreshPullCounts(host: ServerHost, status: StatusItem): Promise<RefreshPullCountsResult | undefined> {
  const client = await host.ready();
  const result = await withServerProgress(client, 'AR Migrate: refreshing pull counts', true, (token, workDoneToken) =>
    client.sendRequest<RefreshPullCountsResult>(RefreshPullCountsRequest, { workDoneToken } satisfies RefreshPullCountsParams, token),
  );
  status.refreshSoon();
  if (result.error) {
    host.log.error(`Pull counts: ${result.error}`);
    void vscode.window.showErrorMessage(`AR Migrate: ${result.error}`, 'Show log').then((c) => c && host.log.show(true));
  } else if (result.source.kind === 'none') {
    void vscode.window
      .showInformationMessage('AR Migrate: no pull-count source is configured.', 'Open settings')
      .then((c) => c && vscode.commands.executeCommand('workbench.action.openSettings', 'arMigrate.pullCounts'));
  } else {
    const msg = `AR Migrate: ${result.totalPulls.toLocaleString('en-US')} pulls of ${result.images} images from ${result.source.description}.`;
    host.log.info(msg);
    void vscode.window.showInformationMessage(msg);
  }
  return result;
}
