/**
 * YAML files -> image references, one document at a time.
 *
 * The file is split into documents at `---` / `...` lines (a document marker
 * at column 0 ends a document even inside a block scalar, so the split is
 * exact). Each document is guarded (size, indentation depth, flow nesting
 * depth), Helm/Go `{{ … }}` spans are masked with same-length filler so that
 * templates parse and their values are recognisable, and it is parsed with the
 * `yaml` library keeping source offsets. References are computed relative to
 * the document's first line, which lets `YamlExtractor` cache per document and
 * re-parse only documents whose text changed.
 */
import type { ExtractError, RawReference } from '../model';
import { lineOf, lineStarts, TEMPLATE_MASK } from './common';
import { fastParse } from './fastYaml';
import { extractFromDocument, YamlFileContext, yamlFileContext } from './yamlKinds';

/**
 * The yaml library, loaded on first use: the fast parser (fastYaml.ts) takes the
 * plain block subset that most files are, so many scans never need it.
 */
function yamlLibrary(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}

/** Limits applied before the yaml parser sees a document (it can hang or die on pathological input). */
export const YAML_LIMITS = {
  /** Whole file, characters. */
  maxFileChars: 20_000_000,
  /** One document, characters. */
  maxDocumentChars: 3_000_000,
  /** Leading whitespace of a content line, characters. */
  maxIndent: 1_000,
  /** Nesting of flow collections `[ {`. */
  maxFlowDepth: 500,
  /** Lines in one document. */
  maxDocumentLines: 200_000,
};

export interface YamlChunk {
  /** 0-based line of the document's first line in the file. */
  startLine: number;
  /** Offset of that line in the file. */
  startOffset: number;
  text: string;
}

const DOC_MARKER_RE = /^(---|\.\.\.)(?=[ \t\r\n]|$)/;

/** Splits a YAML stream into documents at `---` (starts a document) and `...` (ends one) lines. */
export function splitYamlDocuments(text: string): YamlChunk[] {
  const chunks: YamlChunk[] = [];
  let chunkStart = 0;
  let chunkLine = 0;
  let line = 0;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    const nl = text.indexOf('\n', pos);
    const next = nl < 0 ? n : nl + 1;
    const c = text.charCodeAt(pos);
    // fast path: only lines starting with '-' or '.' can be markers
    if (c === 45 /* - */ || c === 46 /* . */ || (c === 0xfeff && pos === 0)) {
      const lineText = text.slice(c === 0xfeff ? pos + 1 : pos, Math.min(next, pos + 5));
      const m = DOC_MARKER_RE.exec(lineText);
      if (m) {
        if (m[1] === '---') {
          if (pos > chunkStart) {
            chunks.push({ startLine: chunkLine, startOffset: chunkStart, text: text.slice(chunkStart, pos) });
            chunkStart = pos;
            chunkLine = line;
          }
        } else {
          chunks.push({ startLine: chunkLine, startOffset: chunkStart, text: text.slice(chunkStart, next) });
          chunkStart = next;
          chunkLine = line + 1;
        }
      }
    }
    pos = next;
    line++;
  }
  if (chunkStart < n || chunks.length === 0) {
    chunks.push({ startLine: chunkLine, startOffset: chunkStart, text: text.slice(chunkStart) });
  }
  return chunks;
}

/**
 * Replaces `{{ … }}` template spans: a line that holds only template actions
 * becomes blank, a span inside content becomes `§` filler of the same length.
 * Lengths and line breaks are kept, so offsets are unchanged.
 */
export function maskTemplates(text: string): string {
  if (!text.includes('{{')) return text;
  // Whitespace inside a span is kept so that continuation lines keep their indentation.
  // Linear scan (a regex with a bounded lazy span is quadratic on many unclosed `{{`).
  const parts: string[] = [];
  let from = 0;
  let close = -1;
  let i = text.indexOf('{{');
  while (i >= 0) {
    if (close < i + 2) close = text.indexOf('}}', i + 2);
    if (close < 0) break;
    if (close - i <= 4000) {
      parts.push(text.slice(from, i), text.slice(i, close + 2).replace(/[^\s]/g, TEMPLATE_MASK));
      from = close + 2;
      i = text.indexOf('{{', from);
    } else {
      i = text.indexOf('{{', i + 2);
    }
  }
  parts.push(text.slice(from));
  const masked = parts.join('');
  // Lines left with only filler and whitespace are template actions: blank them (linear scan per line).
  const lines = masked.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    if (!line.includes(TEMPLATE_MASK)) continue;
    const body = line.endsWith('\r') ? line.slice(0, -1) : line;
    let onlyFiller = true;
    for (let k = 0; k < body.length; k++) {
      const ch = body[k];
      if (ch !== ' ' && ch !== '\t' && ch !== TEMPLATE_MASK) {
        onlyFiller = false;
        break;
      }
    }
    if (onlyFiller) lines[l] = ' '.repeat(body.length) + line.slice(body.length);
  }
  return lines.join('\n');
}

/**
 * True when `text` cannot break any limit of guardDocument, decided with a few
 * native string searches instead of a pass in JavaScript:
 * - lines over the limit need more newlines than that, so a longer text;
 * - an indentation over maxIndent, or compact nesting (`- - -`) whose levels plus
 *   half the indentation pass maxFlowDepth, needs a line opening with more than
 *   2 x maxFlowDepth (>= maxIndent) characters of blanks and `-?:`;
 * - flow nesting over maxFlowDepth needs more `[`/`{` than that.
 */
function clearlyWithinLimits(text: string): boolean {
  const L = YAML_LIMITS;
  if (text.length > L.maxDocumentChars || text.length > L.maxDocumentLines) return false;
  const prefix = Math.min(L.maxIndent, 2 * L.maxFlowDepth);
  if (text.length > prefix && linePrefixRe(prefix).test(text)) return false;
  let brackets = 0;
  for (const ch of ['[', '{']) {
    for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) if (++brackets > L.maxFlowDepth) return false;
  }
  return true;
}

let prefixRe: { n: number; re: RegExp } | undefined;
function linePrefixRe(n: number): RegExp {
  if (prefixRe?.n !== n) prefixRe = { n, re: new RegExp(`(?:^|\n)[ \t?:-]{${n}}`) };
  return prefixRe.re;
}

/** Returns a reason when the document must not be given to the parser. */
export function guardDocument(text: string): { line: number; message: string } | undefined {
  if (clearlyWithinLimits(text)) return undefined;
  return guardDocumentFully(text);
}

/** guardDocument without the shortcut (exported for the test that they agree). */
export function guardDocumentFully(text: string): { line: number; message: string } | undefined {
  if (text.length > YAML_LIMITS.maxDocumentChars) {
    return { line: 0, message: `YAML document too large to scan (${text.length} characters, limit ${YAML_LIMITS.maxDocumentChars})` };
  }
  let line = 0;
  let atLineStart = true;
  let indent = 0;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      if (line > YAML_LIMITS.maxDocumentLines) {
        return { line: 0, message: `YAML document too long to scan (more than ${YAML_LIMITS.maxDocumentLines} lines)` };
      }
      atLineStart = true;
      indent = 0;
      continue;
    }
    if (atLineStart) {
      if (c === 32 || c === 9) {
        indent++;
        if (indent > YAML_LIMITS.maxIndent) {
          // only a problem when content follows; scan ahead cheaply
          let j = i;
          while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
          const cj = text.charCodeAt(j);
          if (j < n && cj !== 10 && cj !== 13) {
            return { line, message: `YAML nesting too deep to scan (indentation over ${YAML_LIMITS.maxIndent} columns)` };
          }
          i = j - 1;
        }
        continue;
      }
      atLineStart = false;
      // Compact nesting on one line (`- - - x`, `? ? x`) nests as deeply as indentation does.
      if ((c === 45 || c === 63 || c === 58) && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 9)) {
        let j = i;
        let levels = 0;
        for (;;) {
          const cj = text.charCodeAt(j);
          if (!((cj === 45 || cj === 63 || cj === 58) && (text.charCodeAt(j + 1) === 32 || text.charCodeAt(j + 1) === 9))) break;
          levels++;
          j += 2;
          while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
          if (levels + indent / 2 > YAML_LIMITS.maxFlowDepth) {
            return { line, message: `YAML nesting too deep to scan (over ${YAML_LIMITS.maxFlowDepth} levels)` };
          }
        }
      }
    }
    // Brackets are counted everywhere (inside quotes and comments too): a
    // conservative over-count is harmless, an under-count could let a bomb through.
    if (c === 91 || c === 123) {
      depth++;
      if (depth > YAML_LIMITS.maxFlowDepth) {
        return { line, message: `YAML nesting too deep to scan (flow collections nested over ${YAML_LIMITS.maxFlowDepth} levels)` };
      }
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return undefined;
}

/** References and errors of one document, lines relative to the document's first line. */
export interface ChunkResult {
  references: RawReference[];
  errors: ExtractError[];
}

export function extractChunk(chunkText: string, ctx: YamlFileContext): ChunkResult {
  const references: RawReference[] = [];
  const errors: ExtractError[] = [];
  if (!/\S/.test(chunkText)) return { references, errors };
  const guard = guardDocument(chunkText);
  if (guard) {
    errors.push(guard);
    return { references, errors };
  }
  const hadTemplates = chunkText.includes('{{');
  const masked = maskTemplates(chunkText);
  // Fast path for the plain block-YAML subset; anything else goes to the yaml library.
  let fast;
  try {
    fast = fastParse(masked);
  } catch {
    fast = undefined;
  }
  if (fast !== undefined) {
    try {
      extractFromDocument(undefined, fast, chunkText, ctx, references);
    } catch (e) {
      errors.push({ line: 0, message: `could not scan YAML document: ${(e as Error).message}` });
    }
    references.sort(byPosition);
    return { references, errors };
  }
  let doc;
  try {
    doc = yamlLibrary().parseDocument(masked, { uniqueKeys: false, merge: true, prettyErrors: false, strict: false });
  } catch (e) {
    errors.push({ line: 0, message: `could not parse YAML: ${(e as Error).message}` });
    return { references, errors };
  }
  if (doc.errors.length > 0) {
    if (!hadTemplates && !ctx.helmTemplate) {
      const err = doc.errors[0];
      const starts = lineStarts(chunkText);
      const line = lineOf(starts, err.pos?.[0] ?? 0);
      const msg = err.message.split('\n')[0];
      errors.push({ line, message: `invalid YAML, document skipped: ${msg}` });
    }
    return { references, errors };
  }
  try {
    extractFromDocument(doc, doc.contents, chunkText, ctx, references);
  } catch (e) {
    errors.push({ line: 0, message: `could not scan YAML document: ${(e as Error).message}` });
  }
  references.sort(byPosition);
  return { references, errors };
}

function byPosition(a: RawReference, b: RawReference): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

/** A copy moved down by `dl` lines (always a copy: cached results must not be shared with callers). */
function shiftRef(r: RawReference, dl: number): RawReference {
  const out: RawReference = {
    ...r,
    range: {
      start: { line: r.range.start.line + dl, character: r.range.start.character },
      end: { line: r.range.end.line + dl, character: r.range.end.character },
    },
  };
  return out;
}

/**
 * Incremental YAML extraction for one file: results are cached per document
 * text; `update` re-parses only documents whose text is new.
 */
export class YamlExtractor {
  private cache = new Map<string, ChunkResult>();
  private ctx: YamlFileContext;
  /** Documents parsed by the last update (for tests and tracing). */
  lastParsed = 0;
  private updates = 0;

  /**
   * @param oneShot a single update (a scan of a file on disk): no cache to keep,
   *   so results are shifted in place instead of copied.
   */
  constructor(
    private fileName: string,
    private readonly oneShot = false,
  ) {
    this.ctx = yamlFileContext(fileName);
  }

  setFileName(fileName: string): void {
    if (fileName !== this.fileName) {
      this.fileName = fileName;
      this.ctx = yamlFileContext(fileName);
      this.cache.clear();
    }
  }

  update(text: string): ChunkResult {
    const references: RawReference[] = [];
    const errors: ExtractError[] = [];
    this.lastParsed = 0;
    if (text.length > YAML_LIMITS.maxFileChars) {
      errors.push({ line: 0, message: `file too large to scan (${text.length} characters, limit ${YAML_LIMITS.maxFileChars})` });
      this.cache.clear();
      return { references, errors };
    }
    const chunks = splitYamlDocuments(text);
    if (this.oneShot) {
      for (const ch of chunks) {
        const res = extractChunk(ch.text, this.ctx);
        this.lastParsed++;
        for (const r of res.references) {
          // fresh objects of this call alone (every reference has its own range and positions)
          r.range.start.line += ch.startLine;
          r.range.end.line += ch.startLine;
          references.push(r);
        }
        for (const e of res.errors) errors.push({ line: e.line + ch.startLine, message: e.message });
      }
      return { references, errors };
    }
    const next = new Map<string, ChunkResult>();
    for (const ch of chunks) {
      let res = next.get(ch.text) ?? this.cache.get(ch.text);
      if (!res) {
        // After the first update, parse a copy of the document's text: the strings of its
        // references are slices of what was parsed, and a slice of the whole file would keep
        // that whole version of the file alive for as long as this document stays unchanged
        // (in an editor, one more version of a large file per edit).
        res = extractChunk(this.updates > 0 ? ownCopy(ch.text) : ch.text, this.ctx);
        this.lastParsed++;
      }
      next.set(ch.text, res);
      for (const r of res.references) references.push(shiftRef(r, ch.startLine));
      for (const e of res.errors) errors.push({ line: e.line + ch.startLine, message: e.message });
    }
    this.cache = next;
    this.updates++;
    return { references, errors };
  }
}

/** A string with its own storage (not a slice of a larger one). */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

export function extractYaml(fileName: string, text: string): ChunkResult {
  return new YamlExtractor(fileName).update(text);
}
