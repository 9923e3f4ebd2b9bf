import * as assert from 'assert';
import { extractReferences } from '../../../server/src/extract';
import type { ExtractResult, Range, RawReference } from '../../../server/src/model';

/** The characters of `range` in `text` (UTF-16 columns, \n or \r\n line ends). */
export function sliceRange(text: string, range: Range): string {
  const lines = text.split('\n');
  const get = (l: number) => (lines[l] ?? '').replace(/\r$/, '');
  if (range.start.line === range.end.line) return get(range.start.line).slice(range.start.character, range.end.character);
  const parts = [get(range.start.line).slice(range.start.character)];
  for (let l = range.start.line + 1; l < range.end.line; l++) parts.push(get(l));
  parts.push(get(range.end.line).slice(0, range.end.character));
  return parts.join('\n');
}

export interface Brief {
  line: number;
  col: number;
  text: string;
  resolved: string;
  kind: string;
  pulled: boolean;
  normalized?: string;
  error?: string;
}

/** Extracts and checks the universal invariant: every range covers exactly `text`. */
export function extract(fileName: string, text: string): ExtractResult {
  const res = extractReferences(fileName, text);
  for (const r of res.references) {
    assert.strictEqual(sliceRange(text, r.range), r.text, `range of ${JSON.stringify(r.text)} covers ${JSON.stringify(sliceRange(text, r.range))}`);
    assert.ok((r.ref === undefined) !== (r.error === undefined), 'exactly one of ref / error');
  }
  return res;
}

export function brief(r: RawReference): Brief {
  const b: Brief = { line: r.range.start.line, col: r.range.start.character, text: r.text, resolved: r.resolved, kind: r.kind, pulled: r.pulled };
  if (r.ref) b.normalized = r.ref.normalized;
  if (r.error) b.error = r.error;
  return b;
}

export function refs(fileName: string, text: string): Brief[] {
  return extract(fileName, text).references.map(brief);
}

/** Only the valid references, as `line:col text -> normalized (kind)` strings. */
export function short(fileName: string, text: string): string[] {
  return extract(fileName, text)
    .references.filter((r) => r.ref)
    .map((r) => `${r.range.start.line}:${r.range.start.character} ${r.text} -> ${r.ref!.normalized} (${r.kind}${r.pulled ? '' : ', not pulled'})`);
}
