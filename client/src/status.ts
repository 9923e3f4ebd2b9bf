/**
 * Status bar item: how many third-party image references the WORKSPACE holds
 * (files that are not open included), from the server's `arMigrate/scanWorkspace`.
 *
 * The workspace is scanned when the server is ready, then (debounced) after the
 * server's `arMigrate/findingsChanged`, after Dockerfiles/YAML files are created,
 * changed or deleted on disk, after saves and after settings changes. One scan
 * runs at a time: a trigger during a scan cancels it and scans again once it has
 * settled. Until the first scan answers (or when it fails) the item shows the
 * count from the open files' diagnostics and says so in its tooltip.
 *
 * Scanning is text analysis, so it works in an untrusted workspace too.
 */
import * as vscode from 'vscode';
import {
  ClientCommands,
  DIAGNOSTIC_SOURCE,
  DiagnosticCodes,
  ScanWorkspaceParams,
  ScanWorkspaceRequest,
  ScanWorkspaceResult,
} from './protocol';
import { ALL_NAME_GLOBS, anyFolderGlob } from './selectors';
import type { ServerHost } from './extension';

/** Debounce between a change and the workspace scan it triggers. */
export const SCAN_DEBOUNCE_MS = 1500;

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

/** Workspace-wide counts, from a scan result. */
export interface WorkspaceCounts {
  references: number;
  files: number;
  images: number;
  /** Third-party references per registry host, most first. */
  registries: [string, number][];
  /** Invalid references (not counted in `references`). */
  invalid: number;
  filesScanned: number;
  /** Files the server could not read or parse. */
  errors: number;
}

export function summariseScan(res: ScanWorkspaceResult): WorkspaceCounts {
  let references = 0;
  let invalid = 0;
  const files = new Set<string>();
  const images = new Set<string>();
  const registries = new Map<string, number>();
  for (const f of res.findings ?? []) {
    if (f.ignored) continue;
    if (f.error || !f.normalized) {
      invalid++;
      continue;
    }
    if (!f.thirdParty) continue;
    references++;
    files.add(f.uri);
    images.add(f.normalized);
    const reg = f.registry ?? 'docker.io';
    registries.set(reg, (registries.get(reg) ?? 0) + 1);
  }
  return {
    references,
    files: files.size,
    images: images.size,
    registries: [...registries].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    invalid,
    filesScanned: res.filesScanned ?? 0,
    errors: res.errors?.length ?? 0,
  };
}

/** What the item shows (for tests and other extensions). */
export interface StatusSnapshot {
  visible: boolean;
  text: string;
  tooltip: string;
  /** 'workspace' once a workspace scan answered, 'open files' before (or when scanning fails). */
  scope: 'workspace' | 'open files';
  references: number;
  /** Completed workspace scans so far. */
  scans: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private renderTimer: NodeJS.Timeout | undefined;
  private workspace: WorkspaceCounts | undefined;
  private scanError: string | undefined;
  private running: Promise<void> | undefined;
  private cancel: vscode.CancellationTokenSource | undefined;
  private again = false;
  private scans = 0;
  private snap: StatusSnapshot = { visible: false, text: '', tooltip: '', scope: 'open files', references: 0, scans: 0 };

  constructor(private readonly host: ServerHost) {
    this.item = vscode.window.createStatusBarItem('arMigrate.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'AR Migrate';
    this.item.command = ClientCommands.migrateWorkspace;
    const watcher = vscode.workspace.createFileSystemWatcher(anyFolderGlob(ALL_NAME_GLOBS));
    // Deleting a folder reports the folder only, which the name globs do not match.
    const deletions = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    const onFile = () => this.scanSoon();
    this.disposables.push(
      this.item,
      watcher,
      deletions,
      deletions.onDidDelete(onFile),
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      vscode.workspace.onDidSaveTextDocument(onFile),
      vscode.workspace.onDidChangeWorkspaceFolders(onFile),
      // Before the first workspace scan (or without one) the open files' diagnostics are shown.
      vscode.languages.onDidChangeDiagnostics(() => {
        if (!this.workspace) this.renderSoon();
      }),
      host.onFindingsChanged(() => this.scanSoon()),
      host.onReady(() => this.scanSoon(0)),
    );
    this.render();
  }

  /** Re-scans the workspace soon (settings changed, pull counts refreshed...). */
  refreshSoon(): void {
    this.renderSoon();
    this.scanSoon();
  }

  /** What the item shows now. */
  snapshot(): StatusSnapshot {
    return { ...this.snap };
  }

  scanSoon(delay = SCAN_DEBOUNCE_MS): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.scan();
    }, delay);
  }

  private renderSoon(): void {
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(() => this.render(), 250);
  }

  /** Runs one workspace scan; a call during a scan cancels it and scans again after it settles. */
  private async scan(): Promise<void> {
    if (this.running) {
      this.again = true;
      this.cancel?.cancel();
      return;
    }
    const client = this.host.current;
    if (!client || !this.host.running) return; // host.onReady scans when it is up
    const cts = new vscode.CancellationTokenSource();
    this.cancel = cts;
    this.running = (async () => {
      try {
        const params: ScanWorkspaceParams = { withPulls: false };
        const res = await client.sendRequest<ScanWorkspaceResult>(ScanWorkspaceRequest, params, cts.token);
        if (!cts.token.isCancellationRequested && res) {
          this.workspace = summariseScan(res);
          this.scanError = undefined;
          this.scans++;
        }
      } catch (e) {
        if (!cts.token.isCancellationRequested) {
          this.scanError = e instanceof Error ? e.message : String(e);
          this.host.log.debug(`Status bar: workspace scan failed: ${this.scanError}`);
        }
      } finally {
        cts.dispose();
        this.cancel = undefined;
        this.running = undefined;
      }
    })();
    await this.running;
    this.render();
    if (this.again) {
      this.again = false;
      void this.scan();
    }
  }

  render(): void {
    const target = vscode.workspace.getConfiguration('arMigrate').get<string>('target', '');
    const ws = this.scanError ? undefined : this.workspace;
    const open = ws ? undefined : countThirdParty();
    const refs = ws ? ws.references : open!.references;
    const images = ws ? ws.images : open!.images;
    const files = ws ? ws.files : open!.files;
    const scope = ws ? 'workspace' : 'open files';
    if (!ws && refs === 0 && !this.host.current) {
      this.item.hide();
      this.snap = { visible: false, text: '', tooltip: '', scope, references: 0, scans: this.scans };
      return;
    }
    const where = ws ? 'in the workspace' : 'in the open files';
    this.item.text = refs > 0 ? `$(package) ${refs} third-party` : '$(check) No third-party images';
    const lines: string[] = [];
    lines.push(
      refs > 0
        ? `**AR Migrate**: ${plural(refs, 'third-party image reference')} (${plural(images, 'image')}, ${plural(files, 'file')}) ${where}`
        : `**AR Migrate**: no third-party image references ${where}`,
    );
    if (ws && ws.registries.length) lines.push(ws.registries.map(([r, n]) => `- \`${r}\`: ${n}`).join('\n'));
    if (ws && ws.invalid) lines.push(`${plural(ws.invalid, 'invalid reference')} (see Problems)`);
    if (ws && ws.errors) lines.push(`${plural(ws.errors, 'file')} could not be read or parsed (see "AR Migrate: Show log")`);
    if (!ws) {
      lines.push(
        this.scanError
          ? `The workspace scan failed (${this.scanError}): counting the open files only.`
          : 'Scanning the workspace…',
      );
    }
    lines.push(target ? `Target: \`${target}\`` : 'No target set: run *AR Migrate: Configure target…*');
    lines.push(refs > 0 ? 'Click to migrate.' : 'Click to open the migration.');
    const md = new vscode.MarkdownString(lines.join('\n\n'), true);
    this.item.tooltip = md;
    this.item.backgroundColor = refs > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    this.snap = { visible: true, text: this.item.text, tooltip: md.value, scope, references: refs, scans: this.scans };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.cancel?.cancel();
    for (const d of this.disposables) d.dispose();
  }
}
