/**
 * Code actions of the mirror plug-in. Listing is instant: everything comes from
 * the document's findings and the settings, nothing touches the network.
 *   - "Mirror to Artifact Registry and rewrite" per third-party reference
 *     (quickfix, preferred; command arMigrate.mirrorAndRewrite { uri, range, image });
 *   - "Mirror all third-party images in this file" (quickfix next to a finding when the
 *     file has more than one reference, and source.arMigrate.mirrorAll on request);
 *   - without a (valid) target: one action that opens the client's target setup
 *     (VS Code) or explains how to set it (other editors).
 * Nothing is offered in an untrusted workspace.
 */
import { CodeAction, CodeActionKind, CodeActionParams, Diagnostic } from 'vscode-languageserver/node';
import type { Finding } from '../../model';
import type { CodeActionInput, ServerContext } from '../context';
import { HOW_TO_SET_TARGET } from '../settings';
import { isMirrorable } from './edits';
import { serverOptions } from './engine';
import {
  CONFIGURE_TARGET_COMMAND,
  MIRROR_ALL_KIND,
  MIRROR_AND_REWRITE_COMMAND,
  MIRROR_AND_REWRITE_TITLE,
  MIRROR_FILE_COMMAND,
  MIRROR_FILE_TITLE,
  MirrorAndRewriteArgs,
  MirrorFileArgs,
} from './protocol';

const SOURCE = 'ar-migrate';

function wanted(params: CodeActionParams, kind: string): boolean {
  const only = params.context.only;
  if (!only || only.length === 0) return true;
  return only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

function explicitlyWanted(params: CodeActionParams, kind: string): boolean {
  return (params.context.only ?? []).some((o) => kind === o || kind.startsWith(`${o}.`));
}

function matchingDiagnostics(params: CodeActionParams, f: Finding): Diagnostic[] {
  const r = f.range;
  return params.context.diagnostics.filter(
    (d) =>
      d.source === SOURCE &&
      d.range.start.line === r.start.line &&
      d.range.start.character === r.start.character &&
      d.range.end.line === r.end.line &&
      d.range.end.character === r.end.character,
  );
}

export function mirrorCodeActions(ctx: ServerContext, input: CodeActionInput): CodeAction[] {
  const opts = serverOptions(ctx);
  if (!opts.trusted) return [];
  const { params, state, settings } = input;
  const uri = state.uri;
  const inRange = input.findings.filter(isMirrorable);
  const actions: CodeAction[] = [];
  const quickfix = wanted(params, CodeActionKind.QuickFix);

  if (!settings.base) {
    if (!quickfix || inRange.length === 0) return [];
    const why = settings.target && !settings.target.ok ? settings.target.error : HOW_TO_SET_TARGET;
    const f = inRange[0];
    const action: CodeAction = {
      title: `${MIRROR_AND_REWRITE_TITLE}: set "arMigrate.target" first…`,
      kind: CodeActionKind.QuickFix,
      diagnostics: matchingDiagnostics(params, f),
    };
    if (opts.vscodeClient) {
      action.command = { title: 'Configure the Artifact Registry target', command: CONFIGURE_TARGET_COMMAND, arguments: [{ reason: why, image: f.normalized }] };
    } else if (ctx.initializeParams()?.capabilities.textDocument?.codeAction?.disabledSupport) {
      action.disabled = { reason: why };
    } else {
      // Other editors: running it explains how to set the target (the server answers the command).
      const arg: MirrorAndRewriteArgs = { uri, range: f.range, image: f.normalized!, normalized: f.normalized };
      action.command = { title: MIRROR_AND_REWRITE_TITLE, command: MIRROR_AND_REWRITE_COMMAND, arguments: [arg] };
    }
    return [action];
  }

  if (quickfix) {
    for (const f of inRange) {
      const arg: MirrorAndRewriteArgs = { uri, range: f.range, image: f.normalized!, normalized: f.normalized, target: settings.targetOf(f) };
      actions.push({
        title: MIRROR_AND_REWRITE_TITLE,
        kind: CodeActionKind.QuickFix,
        isPreferred: true,
        diagnostics: matchingDiagnostics(params, f),
        command: { title: MIRROR_AND_REWRITE_TITLE, command: MIRROR_AND_REWRITE_COMMAND, arguments: [arg] },
      });
    }
  }

  const all = state.analyze(settings).findings.filter(isMirrorable);
  const fileArg: MirrorFileArgs = { uri };
  const fileCommand = { title: MIRROR_FILE_TITLE, command: MIRROR_FILE_COMMAND, arguments: [fileArg] };
  if (explicitlyWanted(params, MIRROR_ALL_KIND) && all.length > 0) {
    actions.push({ title: MIRROR_FILE_TITLE, kind: MIRROR_ALL_KIND, command: fileCommand });
  } else if (quickfix && inRange.length > 0 && all.length > 1) {
    actions.push({ title: MIRROR_FILE_TITLE, kind: CodeActionKind.QuickFix, command: fileCommand });
  }
  return actions;
}
