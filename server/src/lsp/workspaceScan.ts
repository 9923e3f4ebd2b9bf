/**
 * Workspace-wide requests (the VS Code client's bulk migration uses them):
 *
 *   arMigrate/scanWorkspace  (also command `arMigrate.server.scanWorkspace`)
 *     params { folders?, all?, includeIgnored?, includeAll?, withPulls?, workDoneToken? }
 *     result { findings: WorkspaceFinding[], errors, filesScanned, target?, targetError?, pullSource? }
 *
 *   arMigrate/rewriteEdits   (also command `arMigrate.server.rewriteEdits`)
 *     params { images?, target?, digests?, mapping?, uris?, folders?, apply? }
 *     result { edit: WorkspaceEdit, files, rewritten, skipped, applied?, error? }
 *     Without `mapping`, the chosen third-party references go to `target` (or the configured target).
 *
 * Files are walked with the CLI's walker; open documents are read from the
 * editor (unsaved changes included), others from disk.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CancellationToken, Range, TextEdit, WorkDoneProgressReporter, WorkspaceEdit } from 'vscode-languageserver/node';
import { actionable, findingCode, findingMessage } from '../analyze';
import { familiarName, formatReference, NormalizedReference } from '../references/reference';
import { rewriteFile } from '../edits/rewrite';
import { parseTargetBase, TargetBase, targetName } from '../references/target';
import type { Finding } from '../model';
import { findConfig } from '../workspace/config';
import { scanPaths } from '../workspace/scan';
import type * as ClientProtocol from '../../../client/src/protocol';
import type { ServerContext } from './context';
import type { EffectiveSettings } from './settings';

export const SCAN_WORKSPACE_REQUEST = 'arMigrate/scanWorkspace';
export const REWRITE_EDITS_REQUEST = 'arMigrate/rewriteEdits';
export const SCAN_WORKSPACE_COMMAND = 'arMigrate.scanWorkspace';
export const REWRITE_EDITS_COMMAND = 'arMigrate.rewriteEdits';

export interface ScanWorkspaceParams {
  /** Workspace folder URIs or paths; all folders when absent. */
  folders?: string[];
  /** Include first-party references too. */
  all?: boolean;
  /** Include references silenced by ignore comments / ignoredImages (with ignored: true). */
  includeIgnored?: boolean;
  /** Both of the above (the VS Code client's name). */
  includeAll?: boolean;
  /** Passed on to plug-ins (pull counts). */
  withPulls?: boolean;
}

export interface WorkspaceFinding {
  uri: string;
  /** Path relative to its workspace folder, `/` separators. */
  file: string;
  folder: string;
  range: Range;
  text: string;
  resolved: string;
  normalized?: string;
  registry?: string;
  /** Repository name without tag (docker.io/library/nginx). */
  name?: string;
  /** Same as name: registry/repository, the unit that gets mirrored. */
  repository?: string;
  /** Docker's short form with tag/digest as normalised (nginx:1.27). */
  familiar?: string;
  tag?: string;
  digest?: string;
  thirdParty: boolean;
  ignored: boolean;
  pulled: boolean;
  kind: string;
  composite?: boolean;
  usedAt?: Range;
  /** Diagnostic code (`third-party-image`, `invalid-image-reference`), absent for first-party. */
  code?: string;
  message: string;
  error?: string;
  /** Where a rewrite would point, when a valid target is configured. */
  target?: string;
  /** Same as target (the VS Code client's name). */
  rewriteTo?: string;
  /** Pulls in the configured window, when a plug-in knows them. */
  pulls?: number;
}

export interface WorkspaceError {
  uri: string;
  file: string;
  /** 0-based, absent for a whole-file problem. */
  line?: number;
  message: string;
}

export interface ScanWorkspaceResult {
  findings: WorkspaceFinding[];
  errors: WorkspaceError[];
  filesScanned: number;
  target?: string;
  targetError?: string;
  /** Set by the pull-count plug-in. */
  pullSource?: ClientProtocol.PullSourceInfo;
}

// Compile-time contract with the VS Code client: what the server returns is what it reads.
type Assignable<A, B> = A extends B ? true : false;
const scanResultFitsClient: Assignable<ScanWorkspaceResult, ClientProtocol.ScanWorkspaceResult> = true;
void scanResultFitsClient;

function toPath(folder: string): string {
  return folder.startsWith('file:') ? fileURLToPath(folder) : folder;
}

interface FileFindings {
  uri: string;
  file: string;
  folder: string;
  text: string;
  findings: Finding[];
  settings: EffectiveSettings;
}

/** Walks the folders and analyses every candidate file (open documents from memory). */
async function collect(
  ctx: ServerContext,
  folders: string[] | undefined,
  token: CancellationToken | undefined,
  progress: WorkDoneProgressReporter | undefined,
  errors: WorkspaceError[],
): Promise<FileFindings[]> {
  // Requests come from any client: skip (and report) entries that are not a path or file: URI.
  const given: unknown[] = Array.isArray(folders) && folders.length ? folders : ctx.workspaceFolders();
  const roots: string[] = [];
  for (const f of given) {
    let p: string | undefined;
    try {
      p = typeof f === 'string' && f.trim() !== '' ? toPath(f) : undefined;
    } catch {
      p = undefined;
    }
    if (p) roots.push(p);
    else errors.push({ uri: '', file: String(f), message: `not a folder path or file: URI: ${JSON.stringify(f) ?? String(f)}` });
  }
  const controller = new AbortController();
  const sub = token?.onCancellationRequested(() => controller.abort());
  const out: FileFindings[] = [];
  try {
    for (const root of roots) {
      const folderUri = pathToFileURL(root).toString();
      let exclude: string[] = [];
      try {
        exclude = findConfig(root)?.config.exclude ?? [];
      } catch (err) {
        errors.push({ uri: folderUri, file: '.ar-migrate.json', message: (err as Error).message });
      }
      const settings = await ctx.settingsFor(folderUri);
      progress?.report(`scanning ${path.basename(root)}…`);
      const res = await scanPaths([root], {
        policy: settings.policy,
        exclude,
        signal: controller.signal,
        keepText: true,
        onProgress: (done, total) => {
          if (done % 25 === 0) progress?.report(Math.round((done / total) * 100), `${done}/${total} files`);
        },
        // Open documents count as the editor has them (unsaved changes included).
        override: (file) => {
          const open = ctx.state(pathToFileURL(file).toString());
          if (!open) return undefined;
          const a = open.analyze(settings);
          return { fileKind: a.fileKind, findings: a.findings, errors: a.errors, text: open.document.getText() };
        },
      });
      for (const e of res.errors) errors.push({ uri: pathToFileURL(e.path).toString(), file: rel(root, e.path), line: e.line, message: e.message });
      for (const f of res.files) {
        out.push({ uri: pathToFileURL(f.path).toString(), file: rel(root, f.path), folder: folderUri, text: f.text ?? '', findings: f.findings, settings });
      }
    }
  } finally {
    sub?.dispose();
  }
  return out;
}

function familiar(ref: NormalizedReference): string {
  return formatReference(familiarName(ref), ref.implicitLatest ? undefined : ref.tag, ref.digest);
}

function rel(root: string, p: string): string {
  return path.relative(root, p).split(path.sep).join('/') || path.basename(p);
}

export async function scanWorkspace(
  ctx: ServerContext,
  params: ScanWorkspaceParams | undefined,
  token?: CancellationToken,
  progress?: WorkDoneProgressReporter,
): Promise<ScanWorkspaceResult> {
  const errors: WorkspaceError[] = [];
  progress?.begin('AR Migrate: scanning the workspace', 0, undefined, true);
  try {
    const files = await collect(ctx, params?.folders, token, progress, errors);
    const findings: WorkspaceFinding[] = [];
    for (const file of files) {
      for (const f of file.findings) {
        const invalid = Boolean(f.error || !f.ref);
        if (f.ignored && !params?.includeIgnored && !params?.includeAll) continue;
        if (!invalid && !f.thirdParty && !params?.all && !params?.includeAll) continue;
        const target = f.thirdParty ? file.settings.targetOf(f) : undefined;
        findings.push({
          uri: file.uri,
          file: file.file,
          folder: file.folder,
          range: f.range,
          text: f.text,
          resolved: f.resolved,
          normalized: f.normalized,
          registry: f.registry,
          name: f.ref?.name,
          repository: f.ref?.name,
          familiar: f.ref ? familiar(f.ref) : undefined,
          tag: f.ref && !f.ref.implicitLatest ? f.ref.tag : undefined,
          digest: f.ref?.digest,
          thirdParty: f.thirdParty,
          ignored: f.ignored,
          pulled: f.pulled,
          kind: f.kind,
          composite: f.composite,
          usedAt: f.usedAt,
          code: findingCode(f),
          message: findingMessage(f),
          error: f.error,
          target,
          rewriteTo: target,
        });
      }
    }
    const ws = await ctx.settingsFor();
    const result: ScanWorkspaceResult = {
      findings,
      errors,
      filesScanned: files.length,
      target: ws.base?.base,
      targetError: ws.target && !ws.target.ok ? ws.target.error : undefined,
    };
    for (const p of ctx.plugins) {
      if (!p.enrichScan) continue;
      try {
        await p.enrichScan(result, params ?? {}, ctx);
      } catch (err) {
        ctx.log.warn(`plug-in ${p.name} enrichScan failed: ${(err as Error)?.message ?? err}`);
      }
    }
    return result;
  } finally {
    progress?.done();
  }
}

export interface RewriteEditsParams {
  /** Image -> target. Keys: normalised reference (docker.io/library/nginx:1.27) or name (docker.io/library/nginx); values: target name or full reference. */
  mapping?: Record<string, string>;
  /** Rewrite only references to these images (normalised references or names) to `target` (or the configured target). */
  images?: string[];
  /** Target base for `images` / the default (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY); the configured one when absent. */
  target?: string;
  /** Digests to pin: source image (normalised reference or name) -> sha256:... */
  digests?: Record<string, string>;
  /** Restrict to these documents. */
  uris?: string[];
  folders?: string[];
  /** Apply through workspace/applyEdit instead of only returning the edit. */
  apply?: boolean;
}

export interface RewriteEditsResult {
  /** `changes` map uri -> TextEdit[] (always); `documentChanges` too when the client supports them. */
  edit: WorkspaceEdit;
  files: number;
  rewritten: number;
  skipped: { uri: string; line: number; text: string; image: string; reason: string }[];
  applied?: boolean;
  error?: string;
}

export async function rewriteEdits(
  ctx: ServerContext,
  params: RewriteEditsParams | undefined,
  token?: CancellationToken,
  progress?: WorkDoneProgressReporter,
): Promise<RewriteEditsResult> {
  const errors: WorkspaceError[] = [];
  progress?.begin('AR Migrate: preparing rewrites', 0, undefined, true);
  let files: FileFindings[];
  try {
    files = await collect(ctx, params?.folders, token, progress, errors);
  } finally {
    progress?.done();
  }
  if (params?.uris?.length) {
    const wantedUris = new Set(params.uris);
    files = files.filter((f) => wantedUris.has(f.uri));
    // Open documents outside the workspace folders.
    for (const uri of wantedUris) {
      if (files.some((f) => f.uri === uri)) continue;
      const open = ctx.state(uri);
      if (!open) continue;
      const s = await ctx.settingsFor(uri);
      files.push({ uri, file: uri, folder: '', text: open.document.getText(), findings: open.analyze(s).findings, settings: s });
    }
  }
  const changes: Record<string, TextEdit[]> = {};
  const documentChanges: { textDocument: { uri: string; version: number | null }; edits: TextEdit[] }[] = [];
  const skipped: RewriteEditsResult['skipped'] = [];
  let rewritten = 0;
  let missingTarget: string | undefined;
  let explicitBase: TargetBase | undefined;
  if (params?.target) {
    const b = parseTargetBase(params.target);
    if (!b.ok) return { edit: { changes: {} }, files: 0, rewritten: 0, skipped: [], error: b.error };
    explicitBase = b.value;
  }
  const images = params?.images ? new Set(params.images) : undefined;
  const pick = <T>(table: Record<string, T> | undefined, f: Finding): T | undefined => {
    if (!table) return undefined;
    for (const k of [f.normalized, f.ref?.name, f.resolved, f.text]) if (k !== undefined && Object.prototype.hasOwnProperty.call(table, k)) return table[k];
    return undefined;
  };
  for (const file of files) {
    let candidates = actionable(file.findings);
    if (images) candidates = candidates.filter((f) => (f.normalized && images.has(f.normalized)) || (f.ref && images.has(f.ref.name)));
    if (candidates.length === 0) continue;
    const mapping = params?.mapping;
    const base = explicitBase ?? file.settings.base;
    if (!mapping && !base) {
      missingTarget = file.settings.target && !file.settings.target.ok ? file.settings.target.error : 'no target: set "arMigrate.target" or pass a target or mapping';
      continue;
    }
    const r = rewriteFile(file.text, candidates, (f) => {
      const digest = pick(params?.digests, f);
      const mapped = mapping ? pick(mapping, f) : undefined;
      // With a mapping only mapped images move; otherwise everything goes to the target base.
      const name = mapping ? mapped : base && f.ref ? targetName(f.ref, base, { pathMapping: file.settings.settings.pathMapping }) : undefined;
      return name === undefined ? undefined : { target: name, digest };
    });
    for (const s of r.skipped) skipped.push({ uri: file.uri, line: s.finding.range.start.line, text: s.finding.text, image: s.finding.normalized ?? s.finding.text, reason: s.reason });
    if (r.edits.length === 0) continue;
    rewritten += r.rewritten.length;
    changes[file.uri] = r.edits;
    const open = ctx.state(file.uri);
    documentChanges.push({ textDocument: { uri: file.uri, version: open ? open.document.version : null }, edits: r.edits });
  }
  const useDocChanges = Boolean(ctx.initializeParams()?.capabilities.workspace?.workspaceEdit?.documentChanges);
  const edit: WorkspaceEdit = useDocChanges ? { changes, documentChanges } : { changes };
  const result: RewriteEditsResult = { edit, files: Object.keys(changes).length, rewritten, skipped, error: rewritten === 0 ? missingTarget : undefined };
  if (params?.apply && result.files > 0) {
    const applied = await ctx.connection.workspace.applyEdit({ label: 'Rewrite images to Artifact Registry', edit });
    result.applied = applied.applied;
    if (!applied.applied && applied.failureReason) result.error = applied.failureReason;
  }
  return result;
}
