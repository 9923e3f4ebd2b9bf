/**
 * Rewrite edits computed from the CURRENT state of a document (after a copy,
 * which may take minutes while the user keeps typing): the open document's
 * text, or the file on disk when it is not open.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import { isActionable } from '../../analyze';
import { rewriteFile, rewriteReference } from '../../edits/rewrite';
import type { Finding, Range } from '../../model';
import type { ServerContext } from '../context';
import { DocumentState } from '../documents';
import type { EffectiveSettings } from '../settings';

export interface CurrentDocument {
  state: DocumentState;
  /** Open in the editor (version known), or read from disk. */
  open: boolean;
}

export async function currentDocument(ctx: ServerContext, uri: string): Promise<CurrentDocument | undefined> {
  const open = ctx.state(uri);
  if (open) return { state: open, open: true };
  if (!uri.startsWith('file:')) return undefined;
  try {
    const text = await readFile(fileURLToPath(uri), 'utf8');
    return { state: new DocumentState(TextDocument.create(uri, '', 0, text)), open: false };
  } catch {
    return undefined;
  }
}

/** Mirrorable: actionable, and no unresolved variables (the tag or name would be unknown). */
export function isMirrorable(f: Finding): boolean {
  return isActionable(f) && !f.ref!.hasVariables && Boolean(f.normalized);
}

function distance(a: Range, b: Range): number {
  return Math.abs(a.start.line - b.start.line) * 10_000 + Math.abs(a.start.character - b.start.character);
}

/**
 * The finding for `image` in the document now: the one at `range` if it is
 * still there, otherwise the nearest reference to the same image (the text
 * above it may have changed).
 */
export function findReference(findings: readonly Finding[], image: string, range: Range | undefined): Finding | undefined {
  const same = findings.filter((f) => isActionable(f) && (f.normalized === image || f.ref?.normalized === image));
  if (same.length === 0) return undefined;
  if (!range) return same[0];
  return [...same].sort((a, b) => distance(a.range, range) - distance(b.range, range))[0];
}

export function toWorkspaceEdit(ctx: ServerContext, doc: CurrentDocument, edits: TextEdit[]): WorkspaceEdit {
  const caps = ctx.initializeParams()?.capabilities.workspace?.workspaceEdit;
  if (caps?.documentChanges && doc.open) {
    return { documentChanges: [{ textDocument: { uri: doc.state.uri, version: doc.state.document.version }, edits }] };
  }
  return { changes: { [doc.state.uri]: edits } };
}

export type EditPlan = { ok: true; edits: TextEdit[]; rewritten: Finding[]; skipped: { line: number; image: string; reason: string }[] } | { ok: false; reason: string };

/** Edits for one reference to `image` (near `range`) in the document as it is now. */
/** The repository name (no tag) a finding is rewritten to. */
export type NameFor = (f: Finding) => string | undefined;

export function planOne(doc: CurrentDocument, settings: EffectiveSettings, nameFor: NameFor, image: string, range: Range | undefined): EditPlan {
  const findings = doc.state.analyze(settings).findings;
  const f = findReference(findings, image, range);
  if (!f) return { ok: false, reason: `the reference to ${image} is no longer in the document` };
  const name = nameFor(f);
  if (!name) return { ok: false, reason: `no target for ${image}` };
  const r = rewriteReference(doc.state.document.getText(), f, { target: name });
  if (!r.ok) return { ok: false, reason: r.error };
  return { ok: true, edits: r.edits, rewritten: [f], skipped: [] };
}

/** Edits for every reference to one of `images` in the document as it is now. */
export function planFile(doc: CurrentDocument, settings: EffectiveSettings, nameFor: NameFor, images: ReadonlySet<string>): EditPlan {
  const findings = doc.state.analyze(settings).findings.filter((f) => isActionable(f) && f.normalized !== undefined && images.has(f.normalized));
  if (findings.length === 0) return { ok: false, reason: 'the mirrored references are no longer in the document' };
  const r = rewriteFile(doc.state.document.getText(), findings, nameFor);
  const skipped = r.skipped.map((s) => ({ line: s.finding.range.start.line, image: s.finding.normalized ?? s.finding.text, reason: s.reason }));
  if (r.edits.length === 0) return { ok: false, reason: skipped[0]?.reason ?? 'nothing to rewrite' };
  return { ok: true, edits: r.edits, rewritten: r.rewritten, skipped };
}
