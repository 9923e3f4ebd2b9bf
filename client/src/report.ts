/**
 * "Show migration report": a webview with the workspace's images, references
 * and pulls (bar chart). Data comes from the server's `arMigrate/report`;
 * the page (media/report.js, media/report.css) renders it under a strict CSP
 * (scripts only with the nonce, no inline styles, no remote content).
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { ReportParams, ReportRequest, ReportResult } from './protocol';
import { ServerHost, errorMessage } from './extension';
import { withServerProgress } from './migrate';

let panel: vscode.WebviewPanel | undefined;
/** The last message for the page: re-sent when the page (re)loads and says "ready". */
let lastMessage: unknown;

export function reportHtml(webview: vscode.Webview, extensionUri: vscode.Uri, nonce: string): string {
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>AR Migrate report</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading the migration report…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

export async function showReport(context: vscode.ExtensionContext, host: ServerHost): Promise<void> {
  const client = await host.ready();
  const post = (msg: unknown) => {
    lastMessage = msg;
    return panel?.webview.postMessage(msg);
  };
  async function load(): Promise<void> {
    try {
      const data = await withServerProgress(client, 'AR Migrate: building the report', true, (token, workDoneToken) =>
        client.sendRequest<ReportResult>(ReportRequest, { workDoneToken } satisfies ReportParams, token),
      );
      host.log.info(`Report: ${data.totals.images} images, ${data.totals.thirdParty} third-party, ${data.totals.references} references`);
      await post({ type: 'report', data });
    } catch (e) {
      await post({ type: 'error', message: errorMessage(e) });
      throw e;
    }
  }
  if (!panel) {
    panel = vscode.window.createWebviewPanel('arMigrate.report', 'AR Migrate report', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media')],
    });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    panel.onDidDispose(() => {
      panel = undefined;
      lastMessage = undefined;
    });
    panel.webview.onDidReceiveMessage(async (msg: { type?: string; uri?: string; line?: number }) => {
      try {
        if (msg?.type === 'ready') {
          if (lastMessage) await panel?.webview.postMessage(lastMessage);
        } else if (msg?.type === 'refresh') await load();
        else if (msg?.type === 'open' && typeof msg.uri === 'string') {
          const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(msg.uri));
          const line = typeof msg.line === 'number' ? msg.line : 0;
          await vscode.window.showTextDocument(doc, { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.Beside });
        } else if (msg?.type === 'migrate') await vscode.commands.executeCommand('arMigrate.migrateWorkspace');
      } catch (e) {
        host.log.error(`Report: ${errorMessage(e)}`);
      }
    });
    panel.webview.html = reportHtml(panel.webview, context.extensionUri, randomBytes(16).toString('base64'));
  } else panel.reveal();
  await load();
}
