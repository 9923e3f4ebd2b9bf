/**
 * Language server wiring: documents, settings, and the feature modules
 * (diagnostics.ts, hover.ts, actions.ts, workspaceScan.ts) plus plug-ins
 * (context.ts, plugins.ts). Keep logic out of here.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  Connection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  InitializeParams,
  InitializeResult,
  ServerCapabilities,
  TextDocumentChangeEvent,
  TextDocuments,
  TextDocumentSyncKind,
  WorkspaceFolder,
  WorkspaceFoldersChangeEvent,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { actionable } from '../analyze';
import { CONFIG_FILE_NAME, findConfig } from '../workspace/config';
import { codeActions, REWRITE_ALL_KIND } from './actions';
import type { Logger, ServerContext, ServerPlugin } from './context';
import { computeDiagnostics } from './diagnostics';
import { DocumentState } from './documents';
import { hover } from './hover';
import { report, REPORT_REQUEST } from './report';
import type { Finding } from '../model';
import { defaultSettings, EffectiveSettings, mergeProjectConfig, mergeSettings, SECTION, Settings } from './settings';
import {
  REWRITE_EDITS_REQUEST,
  rewriteEdits,
  RewriteEditsParams,
  SCAN_WORKSPACE_REQUEST,
  scanWorkspace,
  ScanWorkspaceParams,
} from './workspaceScan';
import { redactLog } from '../redact';

/** executeCommand names (prefixed `arMigrate.server.` so they never clash with client-side commands). */
export const SERVER_COMMANDS = {
  scanWorkspace: 'arMigrate.server.scanWorkspace',
  rewriteEdits: 'arMigrate.server.rewriteEdits',
} as const;

/**
 * Delay between a change and re-validation. Extraction is incremental and fast,
 * so changes are validated right away (same-tick changes coalesce); when a
 * document's validation took long, later changes wait that long so a burst of
 * edits does not queue a validation per keystroke.
 */
const VALIDATE_DELAY_MS = 0;
const MAX_VALIDATE_DELAY_MS = 250;
const SLOW_VALIDATION_MS = 50;
const SUMMARY_DELAY_MS = 300;

/** Server -> client notification after diagnostics change (drives the VS Code status bar). */
export const FINDINGS_CHANGED_NOTIFICATION = 'arMigrate/findingsChanged';
export interface FindingsChangedParams {
  thirdParty: number;
  images: number;
  ignored: number;
  invalid: number;
  targetConfigured: boolean;
}

/** Strips credentials from log text (see ../redact.ts). */
export const redact = redactLog;

export interface ServerOptions {
  plugins?: readonly ServerPlugin[];
}

export function startServer(connection: Connection, options: ServerOptions = {}): ServerContext {
  const plugins = options.plugins ?? [];
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocumentState>();
  const timers = new Map<string, NodeJS.Timeout>();
  let initParams: InitializeParams | undefined;
  let folders: string[] = [];
  let hasConfiguration = false;
  let baseSettings: Settings = defaultSettings();
  let pushed: unknown;
  let settingsCache = new Map<string, Promise<EffectiveSettings>>();
  const reportedTargetErrors = new Set<string>();
  const published = new Map<string, Finding[]>();
  let summaryTimer: NodeJS.Timeout | undefined;
  let lastSummary = '';

  const log: Logger = {
    info: (m) => connection.console.info(redact(m)),
    warn: (m) => connection.console.warn(redact(m)),
    error: (m) => connection.console.error(redact(m)),
  };

  const folderOf = (uri: string | undefined): string | undefined => {
    if (!uri) return folders[0];
    let p: string;
    try {
      p = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    } catch {
      return folders[0];
    }
    let best: string | undefined;
    for (const f of folders) {
      if ((p === f || p.startsWith(f.endsWith(path.sep) ? f : f + path.sep)) && (!best || f.length > best.length)) best = f;
    }
    return best;
  };

  async function computeSettings(folder: string | undefined): Promise<EffectiveSettings> {
    let s = baseSettings;
    if (folder) {
      try {
        s = mergeProjectConfig(s, findConfig(folder)?.config);
      } catch (err) {
        log.warn(`${(err as Error).message}`);
        connection.window.showWarningMessage(redact(`AR Migrate: ${(err as Error).message}`));
      }
    }
    if (hasConfiguration) {
      try {
        const scopeUri = folder ? pathToFileURL(folder).toString() : undefined;
        const section = await connection.workspace.getConfiguration({ scopeUri, section: SECTION });
        s = mergeSettings(s, section);
      } catch (err) {
        log.warn(`could not read the "${SECTION}" settings: ${(err as Error)?.message ?? err}`);
      }
    }
    if (pushed !== undefined) s = mergeSettings(s, pushed);
    const eff = new EffectiveSettings(s);
    if (eff.target && !eff.target.ok && !reportedTargetErrors.has(eff.target.error)) {
      reportedTargetErrors.add(eff.target.error);
      log.warn(eff.target.error);
      connection.window.showWarningMessage(redact(`AR Migrate: ${eff.target.error}`));
    }
    return eff;
  }

  const settingsFor = (uri?: string): Promise<EffectiveSettings> => {
    const folder = folderOf(uri);
    const key = folder ?? '';
    let p = settingsCache.get(key);
    if (!p) {
      p = computeSettings(folder);
      settingsCache.set(key, p);
    }
    return p;
  };

  const validate = async (uri: string) => {
    const state = states.get(uri);
    if (!state) return;
    try {
      const settings = await settingsFor(uri);
      if (states.get(uri) !== state) return; // closed meanwhile
      const version = state.document.version;
      const started = Date.now();
      const analysis = state.analyze(settings);
      const diagnostics = computeDiagnostics(analysis, settings, state, plugins, (m) => log.warn(m));
      lastDuration.set(uri, Date.now() - started);
      if (state.document.version !== version) return; // a newer change will publish
      await connection.sendDiagnostics({ uri, version, diagnostics });
      published.set(uri, analysis.findings);
      scheduleSummary();
    } catch (err) {
      log.error(`diagnostics failed for ${uri}: ${(err as Error)?.stack ?? err}`);
    }
  };

  /** arMigrate/findingsChanged over the open documents, sent when the numbers change. */
  const scheduleSummary = () => {
    if (summaryTimer) clearTimeout(summaryTimer);
    summaryTimer = setTimeout(async () => {
      summaryTimer = undefined;
      try {
        const all = [...published.values()].flat();
        const active = actionable(all);
        const params: FindingsChangedParams = {
          thirdParty: active.length,
          images: new Set(active.map((f) => f.ref!.name)).size,
          ignored: all.filter((f) => f.ignored).length,
          invalid: all.filter((f) => (f.error || !f.ref) && !f.ignored).length,
          targetConfigured: Boolean((await settingsFor()).base),
        };
        const key = JSON.stringify(params);
        if (key === lastSummary) return;
        lastSummary = key;
        await connection.sendNotification(FINDINGS_CHANGED_NOTIFICATION, params);
      } catch (err) {
        log.warn(`findingsChanged failed: ${(err as Error)?.message ?? err}`);
      }
    }, SUMMARY_DELAY_MS);
  };

  const lastDuration = new Map<string, number>();
  /** Right away, unless the document's last validation was slow: then wait about as long. */
  const delayFor = (uri: string) => {
    const last = lastDuration.get(uri) ?? 0;
    return last > SLOW_VALIDATION_MS ? Math.min(MAX_VALIDATE_DELAY_MS, last) : VALIDATE_DELAY_MS;
  };
  const schedule = (uri: string, delay = delayFor(uri)) => {
    const t = timers.get(uri);
    if (t) clearTimeout(t);
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        void validate(uri);
      }, delay),
    );
  };

  const refreshDiagnostics = (uri?: string) => {
    if (uri) schedule(uri, 0);
    else for (const u of states.keys()) schedule(u, 0);
  };

  const settingsChanged = async () => {
    settingsCache = new Map();
    for (const p of plugins) {
      try {
        await p.settingsChanged?.(ctx);
      } catch (err) {
        log.warn(`plug-in ${p.name} settingsChanged failed: ${(err as Error)?.message ?? err}`);
      }
    }
    refreshDiagnostics();
  };

  const ctx: ServerContext = {
    connection,
    documents,
    log,
    initializeParams: () => initParams,
    state: (uri) => states.get(uri),
    settingsFor,
    workspaceFolders: () => [...folders],
    refreshDiagnostics,
    plugins,
  };

  /** Runs a handler; on failure logs and returns the fallback (the server never dies on bad input). */
  function safe<P, R>(name: string, fallback: R, fn: (params: P, ...rest: any[]) => Promise<R> | R) {
    return async (params: P, ...rest: any[]): Promise<R> => {
      try {
        return await fn(params, ...rest);
      } catch (err) {
        if ((err as Error)?.message === 'cancelled') throw err;
        log.error(`${name} failed: ${(err as Error)?.stack ?? err}`);
        return fallback;
      }
    };
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    initParams = params;
    hasConfiguration = Boolean(params.capabilities.workspace?.configuration);
    folders = (params.workspaceFolders ?? []).map((f: WorkspaceFolder) => safePath(f.uri)).filter((p): p is string => Boolean(p));
    if (folders.length === 0 && params.rootUri) {
      const p = safePath(params.rootUri);
      if (p) folders = [p];
    }
    if (folders.length === 0 && params.rootPath) folders = [params.rootPath];
    baseSettings = mergeSettings(defaultSettings(), params.initializationOptions);
    const capabilities: ServerCapabilities = {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, REWRITE_ALL_KIND], resolveProvider: false },
      executeCommandProvider: { commands: Object.values(SERVER_COMMANDS) },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    };
    for (const p of plugins) {
      try {
        p.capabilities?.(capabilities, params);
      } catch (err) {
        log.warn(`plug-in ${p.name} capabilities failed: ${(err as Error)?.message ?? err}`);
      }
    }
    return { capabilities, serverInfo: { name: 'ar-migrate-language-server', version: serverVersion() } };
  });

  connection.onInitialized(async () => {
    const caps = initParams?.capabilities;
    // Plug-ins first: their request handlers must exist before the client's first request
    // (the registrations below wait for client round trips).
    const activations = plugins.map(async (p) => {
      try {
        await p.activate?.(ctx);
      } catch (err) {
        log.error(`plug-in ${p.name} failed to start: ${(err as Error)?.message ?? err}`);
      }
    });
    try {
      if (caps?.workspace?.didChangeConfiguration?.dynamicRegistration) {
        await connection.client.register(DidChangeConfigurationNotification.type, { section: SECTION });
      }
      if (caps?.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
        await connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: `**/${CONFIG_FILE_NAME}` }] });
      }
      if (caps?.workspace?.workspaceFolders) {
        connection.workspace.onDidChangeWorkspaceFolders((e: WorkspaceFoldersChangeEvent) => {
          const removed = new Set(e.removed.map((f) => safePath(f.uri)));
          folders = folders.filter((f) => !removed.has(f));
          for (const f of e.added) {
            const p = safePath(f.uri);
            if (p && !folders.includes(p)) folders.push(p);
          }
          void settingsChanged();
        });
      }
    } catch (err) {
      log.warn(`registration failed: ${(err as Error)?.message ?? err}`);
    }
    await Promise.all(activations);
    // Warm the settings cache so the first document does not wait for workspace/configuration.
    for (const f of folders.length ? folders : [undefined]) void settingsFor(f ? pathToFileURL(f).toString() : undefined);
    log.info(`ar-migrate language server ${serverVersion()} ready (${folders.length} workspace folder${folders.length === 1 ? '' : 's'})`);
  });

  connection.onDidChangeConfiguration(
    safe('didChangeConfiguration', undefined, async (params: { settings?: unknown }) => {
      const s = params?.settings as Record<string, unknown> | undefined;
      // Push-model clients send the settings; pull-model clients (VS Code) send null and answer workspace/configuration.
      if (s && typeof s === 'object' && (SECTION in s || !hasConfiguration)) pushed = s;
      await settingsChanged();
    }),
  );

  connection.onDidChangeWatchedFiles(
    safe('didChangeWatchedFiles', undefined, async (params: { changes: { uri: string }[] }) => {
      if (params.changes.some((c) => c.uri.endsWith(CONFIG_FILE_NAME))) await settingsChanged();
    }),
  );

  documents.onDidOpen((e: TextDocumentChangeEvent<TextDocument>) => {
    states.set(e.document.uri, new DocumentState(e.document));
  });
  documents.onDidChangeContent((e: TextDocumentChangeEvent<TextDocument>) => {
    const state = states.get(e.document.uri);
    if (state) state.document = e.document;
    else states.set(e.document.uri, new DocumentState(e.document));
    schedule(e.document.uri);
  });
  documents.onDidClose((e: TextDocumentChangeEvent<TextDocument>) => {
    const t = timers.get(e.document.uri);
    if (t) clearTimeout(t);
    timers.delete(e.document.uri);
    states.delete(e.document.uri);
    published.delete(e.document.uri);
    lastDuration.delete(e.document.uri);
    scheduleSummary();
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onHover(safe('hover', null, (params) => hover(ctx, params)));
  connection.onCodeAction(safe('codeAction', [], (params) => codeActions(ctx, params)));

  connection.onRequest(
    SCAN_WORKSPACE_REQUEST,
    safe('scanWorkspace', { findings: [], errors: [], filesScanned: 0 }, async (params: ScanWorkspaceParams, token) => {
      const progress = await workDone(params);
      return scanWorkspace(ctx, params, token, progress);
    }),
  );
  connection.onRequest(
    REWRITE_EDITS_REQUEST,
    safe('rewriteEdits', { edit: {}, files: 0, rewritten: 0, skipped: [] }, async (params: RewriteEditsParams, token) => {
      const progress = await workDone(params);
      return rewriteEdits(ctx, params, token, progress);
    }),
  );
  connection.onRequest(
    REPORT_REQUEST,
    safe('report', undefined as unknown, async (params: { workDoneToken?: string | number }, token) => {
      const progress = await workDone(params);
      return report(ctx, token, progress);
    }),
  );
  connection.onExecuteCommand(
    safe('executeCommand', null as unknown, async (params, token) => {
      const arg = params.arguments?.[0];
      if (params.command === SERVER_COMMANDS.scanWorkspace) return scanWorkspace(ctx, arg, token);
      if (params.command === SERVER_COMMANDS.rewriteEdits) return rewriteEdits(ctx, arg, token);
      const owner = plugins.find((p) => p.executeCommand && p.commands?.includes(params.command));
      if (owner) return owner.executeCommand!(params, token, ctx);
      log.warn(`unknown command ${params.command}`);
      return null;
    }),
  );

  async function workDone(params: unknown) {
    const token = (params as { workDoneToken?: string | number } | undefined)?.workDoneToken;
    if (token === undefined) return undefined;
    try {
      return connection.window.attachWorkDoneProgress(token);
    } catch {
      return undefined;
    }
  }

  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    if (summaryTimer) clearTimeout(summaryTimer);
    for (const p of plugins) {
      try {
        p.dispose?.();
      } catch {
        /* shutting down */
      }
    }
  });

  documents.listen(connection);
  return ctx;
}

function safePath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

function serverVersion(): string {
  try {
    return require('../../../package.json').version;
  } catch {
    return 'dev';
  }
}
