/**
 * What feature modules see of the server, and the plug-in interface other
 * features (pull counts, mirroring) implement. Register a plug-in in
 * plugins.ts; the server calls it at the points below.
 */
import type {
  CodeAction,
  CodeActionParams,
  CancellationToken,
  Connection,
  Diagnostic,
  ExecuteCommandParams,
  InitializeParams,
  ServerCapabilities,
  TextDocuments,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding } from '../model';
import type { DocumentState } from './documents';
import type { ReportResult } from './report';
import type { EffectiveSettings } from './settings';
import type { ScanWorkspaceParams, ScanWorkspaceResult } from './workspaceScan';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ServerContext {
  readonly connection: Connection;
  readonly documents: TextDocuments<TextDocument>;
  readonly log: Logger;
  readonly initializeParams: () => InitializeParams | undefined;
  /** State of an open document. */
  state(uri: string): DocumentState | undefined;
  /** Effective settings for a document (or the workspace when uri is omitted). */
  settingsFor(uri?: string): Promise<EffectiveSettings>;
  /** Workspace folder paths (file system). */
  workspaceFolders(): string[];
  /** Recomputes and republishes diagnostics (all open documents when uri is omitted). */
  refreshDiagnostics(uri?: string): void;
  readonly plugins: readonly ServerPlugin[];
}

export interface HoverInput {
  finding: Finding;
  state: DocumentState;
  settings: EffectiveSettings;
}

export interface CodeActionInput {
  params: CodeActionParams;
  state: DocumentState;
  settings: EffectiveSettings;
  /** Findings whose range intersects the requested range. */
  findings: Finding[];
}

/** A feature plugged into the server. Every hook is optional and may be async; failures are logged, never fatal. */
export interface ServerPlugin {
  name: string;
  /** At initialize: add capabilities (e.g. inlayHintProvider) to the server's. */
  capabilities?(caps: ServerCapabilities, params: InitializeParams): void;
  /** After initialized: register handlers (connection.languages.inlayHint.on ...). */
  activate?(ctx: ServerContext): void | Promise<void>;
  /** Settings changed (all documents are re-validated afterwards). */
  settingsChanged?(ctx: ServerContext): void | Promise<void>;
  /** Markdown sections appended to an image's hover. */
  hover?(input: HoverInput): string | string[] | undefined | Promise<string | string[] | undefined>;
  /** Adjusts a third-party diagnostic (severity by pull count, message suffix ...); undefined drops it. */
  decorateDiagnostic?(diagnostic: Diagnostic, finding: Finding, settings: EffectiveSettings): Diagnostic | undefined;
  /** More code actions for the findings in range (e.g. "Mirror and rewrite"). */
  codeActions?(input: CodeActionInput): CodeAction[] | undefined | Promise<CodeAction[] | undefined>;
  /** workspace/executeCommand ids this plug-in handles (advertise them in `capabilities` if the client should list them). */
  commands?: readonly string[];
  /** Runs one of `commands`; the result is the executeCommand response. */
  executeCommand?(params: ExecuteCommandParams, token: CancellationToken, ctx: ServerContext): unknown | Promise<unknown>;
  /** Adds to a workspace scan result (pull counts per finding, pullSource). */
  enrichScan?(result: ScanWorkspaceResult, params: ScanWorkspaceParams, ctx: ServerContext): void | Promise<void>;
  /** Adds to the report (pulls, daily series per image). */
  enrichReport?(report: ReportResult, ctx: ServerContext): void | Promise<void>;
  dispose?(): void;
}
