/**
 * A minimal LSP client for protocol tests: starts `node dist/server.js --stdio`
 * and speaks JSON-RPC with vscode-jsonrpc. Answers workspace/configuration
 * from `settings`, records diagnostics, log and show-message notifications.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

export const ROOT = path.resolve(__dirname, '../..');

export interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity?: number;
  code?: string | number;
  source?: string;
  message: string;
  data?: any;
  relatedInformation?: any[];
}

export interface ClientOptions {
  rootPath?: string;
  initializationOptions?: unknown;
  /** The `arMigrate` section returned for workspace/configuration. */
  settings?: Record<string, unknown>;
  /** Advertise workspace/configuration support (default true). */
  configuration?: boolean;
  /** Advertise documentChanges in WorkspaceEdit (default false). */
  documentChanges?: boolean;
  serverArgs?: string[];
  /** Bundled server to run (default dist/server.js; see buildServer). */
  serverPath?: string;
}

export class LspClient {
  readonly connection: MessageConnection;
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly logs: string[] = [];
  readonly messages: { type: number; message: string }[] = [];
  /** Other server notifications by method (e.g. arMigrate/findingsChanged). */
  readonly notifications: { method: string; params: any }[] = [];
  settings: Record<string, unknown>;
  private readonly child: ChildProcess;
  private readonly waiters: (() => void)[] = [];
  stderr = '';
  exitCode: number | null = null;

  constructor(private readonly options: ClientOptions = {}) {
    this.settings = options.settings ?? {};
    this.child = spawn(process.execPath, [options.serverPath ?? path.join(ROOT, 'dist/server.js'), ...(options.serverArgs ?? ['--stdio'])], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (d) => (this.stderr += d.toString()));
    this.child.on('exit', (code) => {
      this.exitCode = code;
      this.notify();
    });
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      this.diagnostics.set(p.uri, p.diagnostics);
      this.notify();
    });
    this.connection.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.connection.onNotification('window/showMessage', (p: { type: number; message: string }) => {
      this.messages.push(p);
      this.notify();
    });
    this.connection.onNotification((method: string, params: any) => {
      this.notifications.push({ method, params });
      this.notify();
    });
    this.connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map((i) => (i.section === 'arMigrate' ? this.settings : null)),
    );
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('window/showMessageRequest', (p: { type: number; message: string }) => {
      this.messages.push(p);
      this.notify();
      return null;
    });
    this.connection.onRequest('workspace/applyEdit', () => ({ applied: true }));
    this.connection.listen();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async initialize(): Promise<any> {
    const root = this.options.rootPath;
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: root ? uri(root) : null,
      workspaceFolders: root ? [{ uri: uri(root), name: path.basename(root) }] : null,
      initializationOptions: this.options.initializationOptions,
      capabilities: {
        workspace: {
          configuration: this.options.configuration ?? true,
          didChangeConfiguration: { dynamicRegistration: true },
          workspaceFolders: true,
          workspaceEdit: { documentChanges: this.options.documentChanges ?? false },
        },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          codeAction: {
            codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source'] } },
            isPreferredSupport: true,
            dataSupport: true,
          },
        },
        window: { workDoneProgress: true },
      },
    });
    await this.connection.sendNotification('initialized', {});
    return result;
  }

  open(uriStr: string, text: string, languageId = 'yaml', version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uriStr, languageId, version, text } });
  }

  change(uriStr: string, version: number, contentChanges: unknown[]): Promise<void> {
    return this.connection.sendNotification('textDocument/didChange', { textDocument: { uri: uriStr, version }, contentChanges });
  }

  close(uriStr: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didClose', { textDocument: { uri: uriStr } });
  }

  request<R = any>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** Waits until `predicate` holds for the diagnostics of `uriStr` (checked after each publish). */
  async waitForDiagnostics(uriStr: string, predicate: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 20000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.diagnostics.get(uriStr);
      if (d && predicate(d)) return d;
      if (this.exitCode !== null) throw new Error(`server exited (${this.exitCode}): ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for diagnostics of ${uriStr}; last: ${JSON.stringify(d)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for a notification `method` whose params satisfy `predicate`. */
  async waitForNotification(method: string, predicate: (p: any) => boolean = () => true, timeoutMs = 20000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = [...this.notifications].reverse().find((n) => n.method === method && predicate(n.params));
      if (hit) return hit.params;
      if (this.exitCode !== null) throw new Error(`server exited (${this.exitCode}): ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${method}; got ${JSON.stringify(this.notifications.filter((n) => n.method === method))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  get alive(): boolean {
    return this.exitCode === null;
  }

  async stop(): Promise<void> {
    if (this.exitCode === null) {
      try {
        await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
        await this.connection.sendNotification('exit');
      } catch {
        /* already gone */
      }
      await Promise.race([new Promise((r) => this.child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (this.exitCode === null) this.child.kill('SIGKILL');
    }
    this.connection.dispose();
  }
}

/**
 * Bundles the language server (server/src/lsp/main.ts) into `outDir` with the
 * same esbuild settings as scripts/build.mjs, so a test runs the current
 * source without racing other builds of dist/.
 */
export async function buildServer(outDir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = path.join(outDir, 'server.js');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'server/src/lsp/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'error',
    external: ['vscode'],
  });
  return outfile;
}

export function uri(p: string): string {
  return pathToFileURL(p).toString();
}

/** Applies LSP TextEdits to a string (for asserting code action results). */
export function applyTextEdits(text: string, edits: { range: Diagnostic['range']; newText: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => {
    let o = 0;
    for (let i = 0; i < p.line; i++) o += lines[i].length + 1;
    return o + p.character;
  };
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}
