/**
 * Findings and extraction errors -> LSP diagnostics. Source `ar-migrate`,
 * stable codes (analyze.CODES), range = exactly the reference characters,
 * severity per code from settings, `data` with what quick fixes need.
 */
import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver/node';
import { CODES, errorCode, findingCode, findingMessage } from '../analyze';
import type { Finding } from '../model';
import type { ServerPlugin } from './context';
import type { Analysis, DocumentState } from './documents';
import { EffectiveSettings, toLspSeverity } from './settings';

export const SOURCE = 'ar-migrate';

/** `Diagnostic.data` of image diagnostics. */
export interface ImageDiagnosticData {
  normalized?: string;
  registry?: string;
  /** Repository name without tag, e.g. docker.io/library/nginx. */
  name?: string;
  /** Where a rewrite would point (full reference), when arMigrate.target is set and valid. */
  target?: string;
  /** The characters as written. */
  text: string;
  resolved: string;
  kind: string;
  pulled: boolean;
}

export function imageDiagnostic(f: Finding, settings: EffectiveSettings, state: DocumentState, plugins: readonly ServerPlugin[], log?: (m: string) => void): Diagnostic | undefined {
  if (f.ignored) return undefined;
  const code = findingCode(f);
  if (!code) return undefined;
  if (code === CODES.thirdParty && !f.pulled) return undefined; // a build output's name: nothing is pulled
  const severity = toLspSeverity(settings.settings.severity[code]);
  if (severity === undefined) return undefined;
  const data: ImageDiagnosticData = {
    normalized: f.normalized,
    registry: f.registry,
    name: f.ref?.name,
    target: settings.targetOf(f),
    text: f.text,
    resolved: f.resolved,
    kind: f.kind,
    pulled: f.pulled,
  };
  let d: Diagnostic | undefined = { range: f.range, severity, source: SOURCE, code, message: findingMessage(f), data };
  if (f.usedAt) {
    d.relatedInformation = [{ location: { uri: state.uri, range: f.usedAt }, message: 'used by this FROM' }];
  }
  for (const p of plugins) {
    if (!d || !p.decorateDiagnostic) continue;
    try {
      d = p.decorateDiagnostic(d, f, settings);
    } catch (err) {
      log?.(`plug-in ${p.name} failed on a diagnostic: ${(err as Error)?.message ?? err}`);
    }
  }
  return d;
}

/** Code of the one Information diagnostic on a document that looks binary. */
export const BINARY_FILE_CODE = 'binary-file';
export const BINARY_FILE_MESSAGE =
  'This file looks binary (a NUL byte near the start), so it is not scanned for image references; `ar-migrate scan` skips it too ("skipped: binary file").';

export function computeDiagnostics(analysis: Analysis, settings: EffectiveSettings, state: DocumentState, plugins: readonly ServerPlugin[], log?: (m: string) => void): Diagnostic[] {
  if (analysis.binary) {
    return [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Information, source: SOURCE, code: BINARY_FILE_CODE, message: BINARY_FILE_MESSAGE }];
  }
  const out: Diagnostic[] = [];
  for (const f of analysis.findings) {
    const d = imageDiagnostic(f, settings, state, plugins, log);
    if (d) out.push(d);
  }
  const doc = state.document;
  for (const e of analysis.errors) {
    const code = errorCode(e as { message: string; code?: string }, analysis.fileKind);
    const severity = toLspSeverity(settings.settings.severity[code]);
    if (severity === undefined) continue;
    const line = Math.max(0, Math.min(e.line, doc.lineCount - 1));
    const lineText = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
    out.push({
      range: { start: { line, character: 0 }, end: { line, character: lineText.length } },
      severity,
      source: SOURCE,
      code,
      message: e.message,
    });
  }
  return out;
}
