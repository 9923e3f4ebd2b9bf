/**
 * `# ar-migrate: ignore` comments: whether a reference is silenced by one, and
 * the edit that adds one. The comment silences a reference when it is
 *   - at the end of the reference's own line (`FROM nginx # ar-migrate: ignore`), or
 *   - alone on the line above the reference (YAML), or above the instruction
 *     that holds it (Dockerfile, continuation lines included).
 * Works the same in Dockerfiles and YAML (both use `#` comments).
 */
import type { FileKind, Range, RawReference } from '../model';

export const IGNORE_COMMENT = '# ar-migrate: ignore';
const TRAILING_RE = /(?:^|\s)#\s*ar-migrate:\s*ignore\b/i;
const LINE_RE = /^\s*#\s*ar-migrate:\s*ignore\b/i;

/** Splits text into lines without their terminators (`\n`, `\r\n` or `\r`). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** The line terminator the document mostly uses. */
export function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

export function isDockerfileReference(ref: Pick<RawReference, 'kind'>): boolean {
  return ref.kind.startsWith('dockerfile');
}

/** The Dockerfile escape character (`# escape=` parser directive), `\` by default. */
function dockerfileEscape(lines: string[]): string {
  for (const line of lines) {
    const m = /^\s*#\s*([a-z]+)\s*=\s*(\S*)\s*$/i.exec(line);
    if (!m) break; // directives only at the very top
    if (m[1].toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) return m[2];
  }
  return '\\';
}

/** First line of the Dockerfile instruction that contains `line` (follows continuation lines back). */
export function instructionStart(lines: string[], line: number): number {
  const esc = dockerfileEscape(lines);
  let start = Math.min(line, lines.length - 1);
  for (;;) {
    let k = start - 1;
    // Comment and blank lines inside a continuation are skipped by Docker.
    while (k >= 0 && /^\s*(#.*)?$/.test(lines[k]) && k > 0 && lines[k - 1].trimEnd().endsWith(esc)) k--;
    if (k >= 0 && lines[k].trimEnd().endsWith(esc) && !/^\s*#/.test(lines[k])) start = k;
    else return start;
  }
}

/** The line a `# ar-migrate: ignore` comment goes above, for a reference at `range`. */
export function anchorLine(lines: string[], range: Range, dockerfile: boolean): number {
  return dockerfile ? instructionStart(lines, range.start.line) : range.start.line;
}

function silencedAt(lines: string[], range: Range, dockerfile: boolean): boolean {
  const own = lines[range.end.line];
  if (own !== undefined && TRAILING_RE.test(own.slice(range.end.character))) return true;
  const anchor = anchorLine(lines, range, dockerfile);
  if (anchor > 0 && LINE_RE.test(lines[anchor - 1])) return true;
  // A comment on the line right above the reference also counts in a multi-line instruction.
  return range.start.line > 0 && range.start.line !== anchor && LINE_RE.test(lines[range.start.line - 1]);
}

/** Whether an ignore comment silences this reference (at its own range, or the FROM that uses an ARG). */
export function hasIgnoreComment(lines: string[], ref: Pick<RawReference, 'range' | 'usedAt' | 'kind'>, fileKind?: FileKind): boolean {
  const dockerfile = fileKind ? fileKind === 'dockerfile' : isDockerfileReference(ref);
  if (silencedAt(lines, ref.range, dockerfile)) return true;
  return ref.usedAt !== undefined && silencedAt(lines, ref.usedAt, dockerfile);
}

export interface InsertEdit {
  range: Range;
  newText: string;
}

/**
 * The edit that silences a reference: `# ar-migrate: ignore` on its own line
 * above it, indented like the line it annotates.
 */
export function ignoreCommentEdit(text: string, ref: Pick<RawReference, 'range' | 'kind'>, fileKind?: FileKind): InsertEdit {
  const lines = splitLines(text);
  const dockerfile = fileKind ? fileKind === 'dockerfile' : isDockerfileReference(ref);
  const line = anchorLine(lines, ref.range, dockerfile);
  const indent = /^[ \t]*/.exec(lines[line] ?? '')![0];
  return {
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    newText: `${indent}${IGNORE_COMMENT}${eol(text)}`,
  };
}
