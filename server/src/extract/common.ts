/**
 * Helpers shared by the Dockerfile and YAML extractors: building a RawReference
 * from located text, variable substitution, and limits.
 */
import type { Range, RawReference, ReferenceKind } from '../model';
import { hasVariables, parseNormalizedTemplate } from '../references/reference';

export interface RefInput {
  range: Range;
  text: string;
  resolved: string;
  kind: ReferenceKind;
  pulled: boolean;
  usedAt?: Range;
  composite?: boolean;
}

/**
 * Parses of image strings seen before (a tree names the same images again and
 * again). The parsed value is frozen: every reference with that text shares it.
 */
const parsedCache = new Map<string, ReturnType<typeof parseNormalizedTemplate>>();
const PARSED_CACHE_MAX = 20_000;

function parseCached(text: string): ReturnType<typeof parseNormalizedTemplate> {
  let r = parsedCache.get(text);
  if (r === undefined) {
    r = parseNormalizedTemplate(text);
    if (r.ok) Object.freeze(r.value);
    Object.freeze(r);
    if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
    parsedCache.set(text, r);
  }
  return r;
}

/**
 * Builds a RawReference, or returns undefined when the value is not worth
 * reporting at all: empty, a template (`{{ }}`, `${{ }}`), or a value whose
 * variables make it undecidable (variable registry host, variable repository).
 * A literal value that breaks the grammar is reported with `error`.
 */
export function makeReference(input: RefInput): RawReference | undefined {
  const resolved = input.resolved;
  if (!resolved || !resolved.trim()) return undefined;
  if (resolved.includes('{{') || resolved.includes('}}') || resolved.includes(TEMPLATE_MASK)) return undefined;
  const parsed = parseCached(resolved);
  const out: RawReference = {
    range: input.range,
    text: input.text,
    resolved,
    kind: input.kind,
    pulled: input.pulled,
  };
  if (input.usedAt) out.usedAt = input.usedAt;
  if (input.composite) out.composite = true;
  if (parsed.ok) {
    out.ref = parsed.value;
    return out;
  }
  // Values with unresolved variables are only reported when they parse: a
  // variable host or repository is not something we can judge.
  if (hasVariables(resolved)) return undefined;
  out.error = parsed.error;
  return out;
}

/** Character used to mask `{{ … }}` template spans in YAML before parsing. */
export const TEMPLATE_MASK = '\u00a7'; // '§'

/** Built-in BuildKit platform ARGs available in the global scope. */
export const BUILTIN_ARGS = new Set([
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
]);

export type VarLookup = (name: string) => { set: true; value: string } | { set: false };

export interface SubstituteResult {
  value: string;
  /** True when some variable had no value and was kept as written. */
  unresolved: boolean;
}

/**
 * Shell-style substitution as Docker and Compose do it: `$X`, `${X}`,
 * `${X:-d}`, `${X-d}`, `${X:+a}`, `${X+a}`, `${X:?e}`, `${X?e}`. A variable
 * with no value is kept verbatim (it may be supplied at build/run time).
 * `escape` followed by `$` and `$$` (when dollarEscape) are literal dollars.
 */
export function substitute(text: string, lookup: VarLookup, opts: { escape?: string; dollarEscape?: boolean } = {}): SubstituteResult {
  let out = '';
  let unresolved = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (opts.escape && c === opts.escape && text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (opts.dollarEscape && text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (text[i + 1] === '{') {
      // find matching close brace (nesting allowed in the word part)
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
        if (depth > 0) j++;
      }
      if (j >= n) {
        // unterminated: keep the rest verbatim
        out += text.slice(i);
        unresolved = true;
        break;
      }
      const body = text.slice(i + 2, j);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(body);
      if (!m) {
        out += text.slice(i, j + 1);
        unresolved = true;
        i = j + 1;
        continue;
      }
      const [, name, op, word = ''] = m;
      const v = lookup(name);
      const inner = () => {
        const r = substitute(word, lookup, opts);
        if (r.unresolved) unresolved = true;
        return r.value;
      };
      if (!op) {
        if (v.set) out += v.value;
        else {
          out += text.slice(i, j + 1);
          unresolved = true;
        }
      } else if (op === ':-') out += v.set && v.value !== '' ? v.value : inner();
      else if (op === '-') out += v.set ? v.value : inner();
      else if (op === ':+') out += v.set && v.value !== '' ? inner() : '';
      else if (op === '+') out += v.set ? inner() : '';
      else {
        // ${X:?err} / ${X?err}
        if (v.set && (op === '?' || v.value !== '')) out += v.value;
        else {
          out += text.slice(i, j + 1);
          unresolved = true;
        }
      }
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1, i + 65));
    if (!m) {
      out += '$';
      i++;
      continue;
    }
    // names longer than 64 chars: take the whole identifier
    let name = m[0];
    if (name.length === 64) name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))![0];
    const v = lookup(name);
    if (v.set) out += v.value;
    else {
      out += '$' + name;
      unresolved = true;
    }
    i += 1 + name.length;
  }
  return { value: out, unresolved };
}

/** Offsets of line starts in `text` ('\n' terminated; '\r' stays in the line). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  let i = text.indexOf('\n');
  while (i >= 0) {
    starts.push(i + 1);
    i = text.indexOf('\n', i + 1);
  }
  return starts;
}

/** Binary search: the 0-based line holding `offset`. */
export function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
