/**
 * Code actions on image references:
 *   - "Rewrite to Artifact Registry: TARGET" (quickfix, text only: no image is copied)
 *     or, without a target, an action that explains how to set one;
 *   - "Ignore this image" (quickfix: `# ar-migrate: ignore` above the line);
 *   - "Rewrite all third-party images in this file" (source.arMigrate.rewriteAll).
 * Plug-ins add more (mirror and rewrite).
 */
import {
  CodeAction,
  CodeActionKind,
  CodeActionParams,
  Diagnostic,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver/node';
import { actionable } from '../analyze';
import { ignoreCommentEdit } from '../edits/ignore';
import { rewriteFile, rewriteReference } from '../edits/rewrite';
import type { Finding, Range } from '../model';
import type { ServerContext } from './context';
import { SOURCE } from './diagnostics';
import type { DocumentState } from './documents';
import { EffectiveSettings, HOW_TO_SET_TARGET } from './settings';

export const REWRITE_ALL_KIND = 'source.arMigrate.rewriteAll';
/** Client command (VS Code extension) that asks for the target; other editors: set the setting. */
export const CONFIGURE_TARGET_COMMAND = 'arMigrate.configureTarget';

function intersects(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function wanted(params: CodeActionParams, kind: string): boolean {
  const only = params.context.only;
  if (!only || only.length === 0) return true;
  return only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

export function workspaceEdit(ctx: ServerContext, state: DocumentState, edits: TextEdit[]): WorkspaceEdit {
  const caps = ctx.initializeParams()?.capabilities.workspace?.workspaceEdit;
  if (caps?.documentChanges) {
    return { documentChanges: [{ textDocument: { uri: state.uri, version: state.document.version }, edits }] };
  }
  return { changes: { [state.uri]: edits } };
}

function matchingDiagnostics(params: CodeActionParams, f: Finding): Diagnostic[] {
  return params.context.diagnostics.filter(
    (d) =>
      d.source === SOURCE &&
      d.range.start.line === f.range.start.line &&
      d.range.start.character === f.range.start.character &&
      d.range.end.line === f.range.end.line &&
      d.range.end.character === f.range.end.character,
  );
}

export function rewriteAction(ctx: ServerContext, state: DocumentState, settings: EffectiveSettings, f: Finding, params: CodeActionParams): CodeAction | undefined {
  const diagnostics = matchingDiagnostics(params, f);
  const name = settings.targetNameOf(f);
  if (!name) {
    const why = settings.target && !settings.target.ok ? settings.target.error : HOW_TO_SET_TARGET;
    return {
      title: 'Rewrite to Artifact Registry: set "arMigrate.target" first…',
      kind: CodeActionKind.QuickFix,
      diagnostics,
      command: { title: 'Configure the Artifact Registry target', command: CONFIGURE_TARGET_COMMAND, arguments: [{ reason: why, image: f.normalized }] },
      disabled: ctx.initializeParams()?.capabilities.textDocument?.codeAction?.disabledSupport ? { reason: why } : undefined,
    };
  }
  const r = rewriteReference(state.document.getText(), f, { target: name });
  if (!r.ok) {
    ctx.log.info(`no rewrite for ${f.text} at ${state.uri}:${f.range.start.line + 1}: ${r.error}`);
    return undefined;
  }
  return {
    title: `Rewrite to Artifact Registry: ${r.newText}`,
    kind: CodeActionKind.QuickFix,
    diagnostics,
    // Never preferred: a text-only rewrite of an image that is not mirrored yet breaks pulls.
    // "Mirror to Artifact Registry and rewrite" is the preferred fix where mirroring is possible.
    isPreferred: false,
    edit: workspaceEdit(ctx, state, r.edits),
  };
}

export async function codeActions(ctx: ServerContext, params: CodeActionParams): Promise<CodeAction[]> {
  const state = ctx.state(params.textDocument.uri);
  if (!state) return [];
  const settings = await ctx.settingsFor(state.uri);
  const analysis = state.analyze(settings);
  const inRange = analysis.findings.filter((f) => intersects(f.range, params.range) || (f.usedAt && intersects(f.usedAt, params.range)));
  const actions: CodeAction[] = [];
  const text = state.document.getText();

  for (const f of inRange) {
    if (f.ignored) continue;
    const invalid = Boolean(f.error || !f.ref);
    if (!invalid && !f.thirdParty) continue;
    if (!invalid && f.pulled && wanted(params, CodeActionKind.QuickFix)) {
      const a = rewriteAction(ctx, state, settings, f, params);
      if (a) actions.push(a);
    }
    if (wanted(params, CodeActionKind.QuickFix)) {
      actions.push({
        title: invalid ? 'Ignore this reference (add "# ar-migrate: ignore")' : `Ignore this image (add "# ar-migrate: ignore")`,
        kind: CodeActionKind.QuickFix,
        diagnostics: matchingDiagnostics(params, f),
        edit: workspaceEdit(ctx, state, [ignoreCommentEdit(text, f, analysis.fileKind)]),
      });
    }
  }

  if (wanted(params, REWRITE_ALL_KIND) && settings.base) {
    const candidates = actionable(analysis.findings);
    if (candidates.length > 0) {
      const r = rewriteFile(text, candidates, (f) => settings.targetNameOf(f));
      if (r.edits.length > 0) {
        actions.push({
          title: `Rewrite all ${r.rewritten.length} third-party image${r.rewritten.length === 1 ? '' : 's'} in this file to Artifact Registry`,
          kind: REWRITE_ALL_KIND,
          edit: workspaceEdit(ctx, state, r.edits),
        });
      }
    }
  }

  for (const p of ctx.plugins) {
    if (!p.codeActions) continue;
    try {
      const extra = await p.codeActions({ params, state, settings, findings: inRange });
      if (extra) actions.push(...extra);
    } catch (err) {
      ctx.log.warn(`plug-in ${p.name} code actions failed: ${(err as Error)?.message ?? err}`);
    }
  }
  return actions;
}

