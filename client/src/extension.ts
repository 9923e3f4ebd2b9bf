/**
 * The VS Code client of ar-migrate: starts the language server (dist/server.js)
 * over IPC, forwards the `arMigrate` settings, tracks workspace trust and
 * registers the commands. All analysis lives in the server; this file speaks
 * only LSP plus the custom requests in ./protocol.
 */
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { ClientCommands, FindingsChangedNotification, FindingsChangedParams, InitializationOptions } from './protocol';
import { ALL_NAME_GLOBS, anyFolderGlob, documentSelector } from './selectors';
import { registerCommands } from './commands';
import { registerRunbookCommands } from './runbook';
import { StatusItem, StatusSnapshot } from './status';

export const SECTION = 'arMigrate';
export const CLIENT_ID = 'arMigrate';

/**
 * Settings the server reads only at start (passed in initializationOptions): a
 * change restarts it. Everything else reaches the running server through
 * workspace/didChangeConfiguration.
 */
export const RESTART_SETTINGS = ['arMigrate.insecureRegistries', 'arMigrate.server.execArgv'] as const;

export class ServerHost implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private clientDisposables: vscode.Disposable[] = [];
  private readonly readyEmitter = new vscode.EventEmitter<LanguageClient>();
  /** Fires each time a (re)started client is ready. */
  readonly onReady = this.readyEmitter.event;
  private readonly findingsEmitter = new vscode.EventEmitter<FindingsChangedParams>();
  readonly onFindingsChanged = this.findingsEmitter.event;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(this.readyEmitter, this.findingsEmitter);
  }

  get current(): LanguageClient | undefined {
    return this.client;
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  /** The running client, starting it when needed. Throws with a clear message when the server cannot start. */
  async ready(): Promise<LanguageClient> {
    if (!this.client || this.client.state === State.Stopped) await this.start();
    else if (this.starting) await this.starting;
    const c = this.client;
    if (c && c.state === State.Starting) {
      // Restarting after a crash (vscode-languageclient does that by itself): wait for it.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (sub.dispose(), resolve()), 30_000);
        const sub = c.onDidChangeState((e: { newState: State }) => {
          if (e.newState !== State.Starting) {
            clearTimeout(timer);
            sub.dispose();
            resolve();
          }
        });
      });
    }
    if (!this.client || this.client.state !== State.Running) {
      throw new Error('The ar-migrate language server is not running. See "AR Migrate: Show log".');
    }
    return this.client;
  }

  start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const module = this.context.asAbsolutePath('dist/server.js');
    const execArgv = vscode.workspace.getConfiguration(SECTION).get<string[]>('server.execArgv', []) ?? [];
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc, options: { execArgv } },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019', ...execArgv] } },
    };
    const watcher = vscode.workspace.createFileSystemWatcher(anyFolderGlob(ALL_NAME_GLOBS));
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(),
      outputChannel: this.log,
      traceOutputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => this.initializationOptions(),
      synchronize: { configurationSection: SECTION, fileEvents: watcher },
      diagnosticCollectionName: 'ar-migrate',
      markdown: { isTrusted: false, supportHtml: false },
      // Restart the server after a crash a few times, then give up and say so.
      connectionOptions: { maxRestartCount: 4 },
    };
    const client = new LanguageClient(CLIENT_ID, 'AR Migrate', serverOptions, clientOptions);
    this.guardCommands(client);
    this.client = client;
    this.clientDisposables.push(
      watcher,
      client.onNotification(FindingsChangedNotification, (p: FindingsChangedParams) => this.findingsEmitter.fire(p)),
    );
    this.log.info(`Starting the language server (${module}), workspace ${vscode.workspace.isTrusted ? 'trusted' : 'NOT trusted: diagnostics and hovers only'}`);
    try {
      await client.start();
    } catch (e) {
      this.log.error(`The language server failed to start: ${errorMessage(e)}`);
      void vscode.window
        .showErrorMessage(`AR Migrate: the language server failed to start: ${errorMessage(e)}`, 'Show log')
        .then((c) => c && this.log.show());
      throw e;
    }
    this.log.info('Language server ready');
    this.readyEmitter.fire(client);
  }

  /**
   * The client registers some commands itself (e.g. arMigrate.mirrorAndRewrite, with
   * its own progress UI). A server that also advertises them in executeCommandProvider
   * (for other editors) must not make the registration fail: drop those ids.
   */
  private guardCommands(client: LanguageClient): void {
    const own = new Set<string>(Object.values(ClientCommands));
    const feature = client.getFeature(ExecuteCommandRequest.method) as unknown as {
      register(data: { id: string; registerOptions: { commands?: string[] } }): void;
    };
    const register = feature.register.bind(feature);
    feature.register = (data) => {
      const commands = data.registerOptions?.commands ?? [];
      const kept = commands.filter((c) => !own.has(c));
      if (kept.length !== commands.length) this.log.debug(`Server commands handled by the client: ${commands.filter((c) => own.has(c)).join(', ')}`);
      register({ ...data, registerOptions: { ...data.registerOptions, commands: kept } });
    };
  }

  initializationOptions(): InitializationOptions {
    const cfg = vscode.workspace.getConfiguration(SECTION);
    // Machine-scoped: only the user's own settings count, never a workspace's.
    const insecure = cfg.inspect<string[]>('insecureRegistries');
    return {
      trusted: vscode.workspace.isTrusted,
      insecureRegistries: insecure?.globalValue ?? insecure?.defaultValue ?? [],
      storagePath: this.context.globalStorageUri.fsPath,
      client: `${vscode.env.appName} ${vscode.version}`,
      extensionVersion: String(this.context.extension.packageJSON.version ?? ''),
    };
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables.splice(0)) d.dispose();
    if (client && client.state !== State.Stopped) {
      try {
        await client.stop(5000);
      } catch (e) {
        this.log.warn(`Stopping the language server: ${errorMessage(e)}`);
      }
    }
    try {
      await client?.dispose(2000);
    } catch {
      // already stopped
    }
  }

  async restart(reason: string): Promise<void> {
    this.log.info(`Restarting the language server: ${reason}`);
    if (this.starting) await this.starting.catch(() => undefined);
    await this.stop();
    await this.start();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

let host: ServerHost | undefined;

/** What activate() returns: used by the integration tests and by other extensions. */
export interface ArMigrateApi {
  /** Resolves once the language server answers; the client object for custom requests. */
  ready(): Promise<LanguageClient>;
  readonly log: vscode.LogOutputChannel;
  restart(reason?: string): Promise<void>;
  /** What the server is (re)started with: trust state, machine-scoped settings. */
  initializationOptions(): InitializationOptions;
  /** What the status bar item shows (text, tooltip, workspace-wide count). */
  status(): StatusSnapshot;
}

export async function activate(context: vscode.ExtensionContext): Promise<ArMigrateApi> {
  const log = vscode.window.createOutputChannel('ar-migrate', { log: true });
  context.subscriptions.push(log);
  const h = new ServerHost(context, log);
  host = h;
  context.subscriptions.push(h);

  const status = new StatusItem(h);
  context.subscriptions.push(status);
  registerCommands(context, h, status);
  registerRunbookCommands(context, h, log);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
        void h.restart('settings changed').catch((err) => log.error(errorMessage(err)));
      } else if (e.affectsConfiguration(SECTION)) {
        status.refreshSoon();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void h.restart('workspace trusted: enabling mirroring and pull counts').catch((err) => log.error(errorMessage(err)));
    }),
  );

  // Start without holding up activation; commands await ready().
  h.start().catch(() => undefined);
  return {
    ready: () => h.ready(),
    log,
    restart: (reason = 'requested') => h.restart(reason),
    initializationOptions: () => h.initializationOptions(),
    status: () => status.snapshot(),
  };
}

export async function deactivate(): Promise<void> {
  const h = host;
  host = undefined;
  await h?.stop();
}

export { ClientCommands };
