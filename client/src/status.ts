/**
 * Status bar item: how many third-party image references the server has
 * reported. Counts `ar-migrate` diagnostics (works with any server version) and
 * switches to the server's `arMigrate/findingsChanged` numbers once they arrive.
 */
import * as vscode from 'vscode';
import { ClientCommands, DIAGNOSTIC_SOURCE, DiagnosticCodes, FindingsChangedParams } from './protocol';
import type { ServerHost } from './extension';

export function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (c === undefined) return undefined;
  if (typeof c === 'object') return String(c.value);
  return String(c);
}

export function countThirdParty(): { references: number; files: number; images: number } {
  let references = 0;
  let files = 0;
  const images = new Set<string>();
  for (const [, diags] of vscode.languages.getDiagnostics()) {
    let inFile = 0;
    for (const d of diags) {
      if (d.source === DIAGNOSTIC_SOURCE && diagnosticCode(d) === DiagnosticCodes.thirdPartyImage) {
        inFile++;
        const m = /"([^"]+)"|'([^']+)'|`([^`]+)`/.exec(d.message);
        images.add(m ? (m[1] ?? m[2] ?? m[3]) : d.message);
      }
    }
    references += inFile;
    if (inFile) files++;
  }
  return { references, files, images: images.size };
}

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private fromServer: FindingsChangedParams | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: ServerHost) {
    this.item = vscode.window.createStatusBarItem('arMigrate.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'AR Migrate';
    this.item.command = ClientCommands.migrateWorkspace;
    this.disposables.push(
      this.item,
      vscode.languages.onDidChangeDiagnostics(() => this.refreshSoon()),
      host.onFindingsChanged((p) => {
        this.fromServer = p;
        this.refreshSoon();
      }),
      host.onReady(() => this.refreshSoon()),
    );
    this.refresh();
  }

  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 250);
  }

  refresh(): void {
    const target = vscode.workspace.getConfiguration('arMigrate').get<string>('target', '');
    const counted = countThirdParty();
    const refs = this.fromServer?.thirdParty ?? counted.references;
    const images = this.fromServer?.images ?? counted.images;
    if (refs === 0 && !this.host.current) {
      this.item.hide();
      return;
    }
    this.item.text = refs > 0 ? `$(package) ${refs} third-party` : '$(package) AR Migrate';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(
      refs > 0
        ? `**AR Migrate**: ${refs} third-party image reference${refs === 1 ? '' : 's'} (${images} image${images === 1 ? '' : 's'}) in the open files`
        : '**AR Migrate**: no third-party image references in the open files',
    );
    md.appendMarkdown(target ? `\n\nTarget: \`${target}\`` : '\n\nNo target set: run *AR Migrate: Configure target…*');
    md.appendMarkdown('\n\nClick to migrate the workspace.');
    this.item.tooltip = md;
    this.item.backgroundColor = refs > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
