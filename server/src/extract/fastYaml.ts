/**
 * A fast, strict parser for the common subset of block YAML found in
 * Kubernetes manifests and CI files: block mappings and sequences, plain and
 * single-line quoted scalars, `[a, "b"]` flow sequences of scalars, `{}`,
 * block scalars (`|`, `>`), comments. It builds `yaml` library nodes with the
 * same source ranges as the library would. Anything outside the subset
 * (anchors, aliases, tags, merge keys, multi-line flow or quoted scalars,
 * plain multi-line scalars, tabs as indentation, explicit keys, directives...)
 * makes it give up (return `undefined`) and the caller falls back to the full
 * `yaml` parser. The `yaml` library is about ten times slower on large
 * multi-document manifests; this keeps a 50k-line file well under a second.
 */
import type { Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';

type FNode = Scalar | YAMLMap | YAMLSeq;

// Lightweight nodes that the yaml library's identity checks (isScalar, isMap,
// isSeq, isPair) recognise: the type tag lives on the prototype. Building the
// library's own classes costs an Object.defineProperty per node, which was a
// third of the time on large manifests.
const NODE_TYPE = Symbol.for('yaml.node.type');
class LScalar {
  type?: string;
  /** Source offsets of the value (start, end); `range` is built from them when read. */
  r0 = 0;
  r1 = 0;
  constructor(public value: unknown) {}
}
class LMap {
  items: LPair[] = [];
  flow = false;
}
class LSeq {
  items: unknown[] = [];
  flow = false;
}
class LPair {
  constructor(
    public key: unknown,
    public value: unknown,
  ) {}
}
Object.defineProperty(LScalar.prototype, NODE_TYPE, { value: Symbol.for('yaml.scalar') });
// The yaml library's [start, value end, node end] (equal ends here: comments are not part of nodes),
// made on demand: most scalars (keys, other values) are never asked for it, and an array per
// scalar was a large share of the garbage on big manifests.
Object.defineProperty(LScalar.prototype, 'range', {
  get(this: LScalar) {
    return [this.r0, this.r1, this.r1];
  },
});

/** Sets a fast scalar's source range [start, end). */
function at(s: Scalar, start: number, end: number): void {
  const l = s as unknown as LScalar;
  l.r0 = start;
  l.r1 = end;
}
Object.defineProperty(LMap.prototype, NODE_TYPE, { value: Symbol.for('yaml.map') });
Object.defineProperty(LSeq.prototype, NODE_TYPE, { value: Symbol.for('yaml.seq') });
Object.defineProperty(LPair.prototype, NODE_TYPE, { value: Symbol.for('yaml.pair') });

const newScalar = (v: unknown) => new LScalar(v) as unknown as Scalar;
const newMap = () => new LMap() as unknown as YAMLMap;
const newSeq = () => new LSeq() as unknown as YAMLSeq;
const newPair = (k: unknown, v: unknown) => new LPair(k, v) as unknown as Pair;

class Bail extends Error {}
const BAIL = new Bail('unsupported');

/**
 * The content lines of the document being parsed, as parallel arrays (no
 * object per line): offset of the first non-space character, offset of the
 * end of the line (before \r\n / \n), indentation, and whether a tab follows
 * the indentation. Shared by every parse: parsing is synchronous and never
 * re-entered, and each thread has its own copy of this module.
 */
let lineStart = new Int32Array(256);
let lineEnd = new Int32Array(256);
let lineIndent = new Int32Array(256);
let lineTab = new Uint8Array(256);

function growLines(): void {
  const n = lineStart.length * 2;
  const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => {
    b.set(a);
    return b;
  };
  lineStart = grow(lineStart, new Int32Array(n));
  lineEnd = grow(lineEnd, new Int32Array(n));
  lineIndent = grow(lineIndent, new Int32Array(n));
  lineTab = grow(lineTab, new Uint8Array(n));
}

function isNull(raw: string): boolean {
  return raw === '~' || raw === 'null' || raw === 'Null' || raw === 'NULL';
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

export function fastParse(src: string): FNode | null | undefined {
  try {
    return new FastParser(src).parseDocument();
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
}

class FastParser {
  /** Content lines (see lineStart); the current one is `i`. */
  private n = 0;
  /** Set by tryKey: the offset just after the key's `:`. */
  private keyAfter = 0;
  private i = 0;

  constructor(private readonly src: string) {}

  parseDocument(): FNode | null {
    const src = this.src;
    const n = src.length;
    let pos = src.charCodeAt(0) === 0xfeff ? 1 : 0;
    let first = true;
    while (pos < n) {
      let nl = src.indexOf('\n', pos);
      if (nl < 0) nl = n;
      let end = nl;
      if (end > pos && src.charCodeAt(end - 1) === 13) end--;
      let p = pos;
      while (p < end && src.charCodeAt(p) === 32) p++;
      const tab = p < end && src.charCodeAt(p) === 9;
      let q = p;
      while (q < end && isSpace(src.charCodeAt(q))) q++;
      const c = src.charCodeAt(q);
      if (q < end && c !== 35 /* # */) {
        if (p === pos && (c === 45 || c === 46) && end - q >= 3) {
          const three = src.slice(q, q + 3);
          if ((three === '---' || three === '...') && (end - q === 3 || isSpace(src.charCodeAt(q + 3)))) {
            const rest = src.slice(q + 3, end).trim();
            if (rest && !rest.startsWith('#')) throw BAIL;
            if (three === '...') {
              // Only blank lines and comments may follow.
              if (src.slice(nl).split('\n').every((l) => /^[ \t\r]*(#.*)?$/.test(l))) break;
              throw BAIL;
            }
            if (!first || this.n > 0) throw BAIL;
            first = false;
            pos = nl + 1;
            continue;
          }
        }
        if (p === pos && c === 37 /* % */) throw BAIL;
        const k = this.n++;
        if (k === lineStart.length) growLines();
        lineStart[k] = q;
        lineEnd[k] = end;
        lineIndent[k] = p - pos;
        lineTab[k] = tab ? 1 : 0;
      }
      first = false;
      pos = nl + 1;
    }
    if (this.n === 0) return null;
    const root = this.parseBlock(lineIndent[0], -1);
    if (this.i < this.n) throw BAIL;
    return root;
  }

  /** Parses the node starting at line i whose indentation is `indent`. */
  private parseBlock(indent: number, parentCol: number): FNode {
    const k = this.i;
    if (lineTab[k]) throw BAIL;
    if (lineIndent[k] !== indent || indent <= parentCol) throw BAIL;
    if (this.isSeqItem(lineStart[k], lineEnd[k])) return this.parseSeq(indent);
    const key = this.tryKey(lineStart[k], lineEnd[k]);
    if (key) return this.parseMap(indent, key);
    // A bare scalar as a whole document: rare, let the full parser do it.
    throw BAIL;
  }

  private isSeqItem(p: number, end: number): boolean {
    return this.src.charCodeAt(p) === 45 && (p + 1 === end || isSpace(this.src.charCodeAt(p + 1)));
  }

  private parseSeq(col: number): YAMLSeq {
    const seq = newSeq();
    while (this.i < this.n) {
      const k = this.i;
      const indent = lineIndent[k];
      const start = lineStart[k];
      const end = lineEnd[k];
      if (indent < col) break;
      if (indent > col || lineTab[k]) throw BAIL;
      if (!this.isSeqItem(start, end)) break;
      let p = start + 1;
      while (p < end && isSpace(this.src.charCodeAt(p))) p++;
      if (p >= end || this.src.charCodeAt(p) === 35) {
        // `-` alone (or with a comment): the item is on the following lines, or null.
        this.i++;
        seq.items.push(this.nestedOrNull(col, false, end));
        continue;
      }
      if (this.isSeqItem(p, end)) throw BAIL; // `- - x`
      const itemCol = indent + (p - start);
      const key = this.tryKey(p, end);
      if (key) {
        seq.items.push(this.parseMap(itemCol, key));
        continue;
      }
      this.i++;
      seq.items.push(this.inlineValue(p, end, col));
    }
    return seq;
  }

  /**
   * Parses a mapping whose first key (already read) is on the current line at
   * column `col`; following entries are lines indented exactly `col`.
   */
  private parseMap(col: number, firstKey: Scalar): YAMLMap {
    const map = newMap();
    let key: Scalar | undefined = firstKey;
    let end = lineEnd[this.i];
    for (;;) {
      this.i++;
      const value = this.valueAfterColon(this.keyAfter, end, col);
      map.items.push(newPair(key, value));
      const k = this.i;
      if (k >= this.n) break;
      const indent = lineIndent[k];
      if (indent < col) break;
      if (indent > col || lineTab[k]) throw BAIL;
      if (this.isSeqItem(lineStart[k], lineEnd[k])) break; // the parent (compact sequence) decides
      key = this.tryKey(lineStart[k], lineEnd[k]);
      if (!key) throw BAIL;
      end = lineEnd[k];
    }
    return map;
  }

  /** The value after `key:` starting at `p` (line already consumed). */
  private valueAfterColon(p: number, end: number, col: number): FNode | Scalar {
    while (p < end && isSpace(this.src.charCodeAt(p))) p++;
    if (p >= end || this.src.charCodeAt(p) === 35) return this.nestedOrNull(col, true, p);
    return this.inlineValue(p, end, col);
  }

  /** Value on following lines (deeper, or a compact sequence at the same column for map values), else null. */
  private nestedOrNull(col: number, allowCompactSeq: boolean, pos: number): FNode | Scalar {
    if (this.i < this.n) {
      const k = this.i;
      const indent = lineIndent[k];
      if (indent > col) return this.parseBlock(indent, col);
      if (allowCompactSeq && indent === col && !lineTab[k] && this.isSeqItem(lineStart[k], lineEnd[k])) return this.parseSeq(col);
    }
    const s = newScalar(null);
    at(s, pos, pos);
    return s;
  }

  /** A value written on the current line at `p`; the following lines must not continue it. */
  private inlineValue(p: number, end: number, col: number): FNode | Scalar {
    const src = this.src;
    const c = src.charCodeAt(p);
    let node: FNode | Scalar;
    if (c === 34 || c === 39) {
      const q = this.quoted(p, end);
      node = q.node;
      this.expectEndOfLine(q.next, end);
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      const r = this.flow(p, end, 0);
      node = r.node;
      this.expectEndOfLine(r.next, end);
    } else if (c === 124 || c === 62 /* | > */) {
      const header = src.slice(p, end);
      if (!/^[|>][+-]?[ \t]*(#.*)?$/.test(header)) throw BAIL;
      // Content: the first non-blank line sets the indentation (it must be deeper than the
      // parent column); the scalar ends before the first non-blank line indented less.
      const n = src.length;
      let pos = src.indexOf('\n', end);
      pos = pos < 0 ? n : pos + 1;
      let contentIndent = -1;
      let last = end;
      while (pos < n) {
        let nl = src.indexOf('\n', pos);
        if (nl < 0) nl = n;
        let e = nl;
        if (e > pos && src.charCodeAt(e - 1) === 13) e--;
        let q = pos;
        while (q < e && src.charCodeAt(q) === 32) q++;
        if (q < e) {
          const ind = q - pos;
          if (contentIndent < 0) {
            if (ind <= col) break;
            contentIndent = ind;
          } else if (ind < contentIndent) break;
          last = e;
        } else if (contentIndent >= 0 && q - pos > contentIndent) {
          last = e;
        }
        pos = nl + 1;
      }
      let j = this.i;
      while (j < this.n && lineStart[j] < last) j++;
      this.i = j;
      if (j < this.n && lineIndent[j] > col) throw BAIL;
      const s = newScalar('');
      s.type = c === 124 ? 'BLOCK_LITERAL' : 'BLOCK_FOLDED';
      at(s, p, last);
      return s;
    } else {
      node = this.plain(p, end, false);
    }
    // A deeper line after a complete inline value would continue it (multi-line scalar) or be an error.
    if (this.i < this.n && lineIndent[this.i] > col) throw BAIL;
    return node;
  }

  private expectEndOfLine(p: number, end: number): void {
    const src = this.src;
    while (p < end && isSpace(src.charCodeAt(p))) p++;
    if (p < end && src.charCodeAt(p) !== 35) throw BAIL;
  }

  private quoted(p: number, end: number): { node: Scalar; next: number } {
    const src = this.src;
    const q = src.charCodeAt(p);
    let j = p + 1;
    for (;;) {
      if (j >= end) throw BAIL; // multi-line quoted scalar
      const c = src.charCodeAt(j);
      if (q === 34 && c === 92) throw BAIL; // escapes: leave to the full parser
      if (c === q) {
        if (q === 39 && src.charCodeAt(j + 1) === 39) {
          j += 2;
          continue;
        }
        break;
      }
      j++;
    }
    const inner = src.slice(p + 1, j);
    const s = newScalar(q === 39 ? inner.replace(/''/g, "'") : inner);
    s.type = q === 39 ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
    at(s, p, j + 1);
    return { node: s, next: j + 1 };
  }

  /** A flow collection on one line: `[a, "b", {k: v}]`, `{k: v, k2: [x]}`. */
  private flow(p: number, end: number, depth: number): { node: YAMLSeq | YAMLMap; next: number } {
    if (depth > 64) throw BAIL;
    const src = this.src;
    const isSeq = src.charCodeAt(p) === 91;
    const close = isSeq ? 93 : 125;
    const coll = isSeq ? newSeq() : newMap();
    coll.flow = true;
    let j = p + 1;
    const skip = () => {
      while (j < end && isSpace(src.charCodeAt(j))) j++;
    };
    const item = (): Scalar | YAMLSeq | YAMLMap => {
      skip();
      if (j >= end) throw BAIL;
      const c = src.charCodeAt(j);
      if (c === 34 || c === 39) {
        const q = this.quoted(j, end);
        j = q.next;
        return q.node;
      }
      if (c === 91 || c === 123) {
        const f = this.flow(j, end, depth + 1);
        j = f.next;
        return f.node;
      }
      const sc = this.plain(j, end, true);
      j = (sc as unknown as LScalar).r1;
      return sc;
    };
    skip();
    if (src.charCodeAt(j) === close) return { node: coll, next: j + 1 };
    for (;;) {
      if (isSeq) {
        (coll as YAMLSeq).items.push(item());
      } else {
        skip();
        const key = this.flowKey(j, end);
        j = key.after;
        (coll as YAMLMap).items.push(newPair(key.key, item()));
      }
      skip();
      const d = src.charCodeAt(j);
      if (d === 44) {
        j++;
        skip();
        if (src.charCodeAt(j) === close) return { node: coll, next: j + 1 }; // trailing comma
        continue;
      }
      if (d === close) return { node: coll, next: j + 1 };
      throw BAIL;
    }
  }

  /** `key: ` inside a flow mapping (the value must follow on the same line). */
  private flowKey(p: number, end: number): { key: Scalar; after: number } {
    const src = this.src;
    const c = src.charCodeAt(p);
    let key: Scalar;
    let j: number;
    if (c === 34 || c === 39) {
      const q = this.quoted(p, end);
      key = q.node;
      j = q.next;
      while (j < end && isSpace(src.charCodeAt(j))) j++;
    } else {
      if ('&*!%@`#,[]{}|>?\'"-:'.includes(src[p])) throw BAIL;
      j = p;
      while (j < end) {
        const d = src.charCodeAt(j);
        if (d === 58 && isSpace(src.charCodeAt(j + 1))) break;
        if (d === 44 || d === 91 || d === 93 || d === 123 || d === 125 || d === 35) throw BAIL;
        j++;
      }
      if (j >= end) throw BAIL;
      let k = j;
      while (k > p && isSpace(src.charCodeAt(k - 1))) k--;
      const raw = src.slice(p, k);
      if (raw === '<<' || raw.includes(':')) throw BAIL;
      key = newScalar(isNull(raw) ? null : raw);
      key.type = 'PLAIN';
      at(key, p, k);
    }
    if (src.charCodeAt(j) !== 58 || !isSpace(src.charCodeAt(j + 1))) throw BAIL;
    j++;
    while (j < end && isSpace(src.charCodeAt(j))) j++;
    const d = src.charCodeAt(j);
    if (j >= end || d === 44 || d === 125) throw BAIL; // empty value
    return { key, after: j };
  }

  /** A plain scalar starting at p; in flow context it stops at `,` `]`. */
  private plain(p: number, end: number, flow: boolean): Scalar {
    const src = this.src;
    const c = src.charCodeAt(p);
    const next = src.charCodeAt(p + 1);
    // Indicators that cannot start a plain scalar (or that we leave to the full parser).
    if ('&*!%@`#,[]{}|>\'"'.includes(src[p])) throw BAIL;
    if ((c === 45 || c === 63 || c === 58) && (p + 1 >= end || isSpace(next) || (flow && (next === 44 || next === 93 || next === 125)))) throw BAIL;
    let j = p;
    let last = p; // end of the last non-space character
    while (j < end) {
      const d = src.charCodeAt(j);
      if (d === 35 && j > p && isSpace(src.charCodeAt(j - 1))) break; // comment
      if (d === 58) {
        const e = src.charCodeAt(j + 1);
        if (j + 1 >= end || isSpace(e) || (flow && (e === 44 || e === 93 || e === 91 || e === 123 || e === 125))) throw BAIL; // a mapping
      }
      if (flow && (d === 44 || d === 93 || d === 125)) break;
      if (flow && (d === 91 || d === 123)) throw BAIL;
      if (!isSpace(d)) last = j + 1;
      j++;
    }
    if (last === p) throw BAIL;
    const raw = src.slice(p, last);
    const s = newScalar(isNull(raw) ? null : raw);
    s.type = 'PLAIN';
    at(s, p, last);
    return s;
  }

  /** `key:` at p; returns the key scalar and the offset after the colon. */
  /** The key at `p` (its `:` is before `end`), or undefined; the offset after the `:` goes to keyAfter. */
  private tryKey(p: number, end: number): Scalar | undefined {
    const src = this.src;
    const c = src.charCodeAt(p);
    if (c === 91 || c === 123) return undefined; // a flow collection (as a key it would be rejected later)
    if (c === 34 || c === 39) {
      let q;
      try {
        q = this.quoted(p, end);
      } catch {
        return undefined;
      }
      let j = q.next;
      while (j < end && isSpace(src.charCodeAt(j))) j++;
      if (src.charCodeAt(j) === 58 && (j + 1 >= end || isSpace(src.charCodeAt(j + 1)))) {
        this.keyAfter = j + 1;
        return q.node;
      }
      return undefined;
    }
    // Find `:` followed by space or end of line, before any comment; note flow
    // indicators on the way (`[ ] { } ,` in a key are beyond this parser).
    let j = p;
    let flowChar = false;
    while (j < end) {
      const d = src.charCodeAt(j);
      if (d === 35 && j > p && isSpace(src.charCodeAt(j - 1))) return undefined;
      if (d === 58 && (j + 1 >= end || isSpace(src.charCodeAt(j + 1)))) break;
      if (d === 91 || d === 93 || d === 123 || d === 125 || d === 44) flowChar = true;
      j++;
    }
    if (j >= end) return undefined;
    let k = j;
    while (k > p && isSpace(src.charCodeAt(k - 1))) k--;
    if (k === p) throw BAIL; // `: value` (empty key)
    const raw = src.slice(p, k);
    if (raw === '<<') throw BAIL; // merge key
    // Indicators that cannot start a plain key: & * ! % @ ` # , [ ] { } | > ? (and `- `).
    if (c === 38 || c === 42 || c === 33 || c === 37 || c === 64 || c === 96 || c === 35 || c === 44 || c === 93 || c === 125 || c === 124 || c === 62 || c === 63) throw BAIL;
    if (c === 45 && (raw.length === 1 || isSpace(raw.charCodeAt(1)))) throw BAIL;
    if (flowChar) {
      // Only those before the trailing spaces count (the key is src[p, k)).
      for (let q = p; q < k; q++) {
        const d = src.charCodeAt(q);
        if (d === 91 || d === 93 || d === 123 || d === 125 || d === 44) throw BAIL;
      }
    }
    const s = newScalar(isNull(raw) ? null : raw);
    s.type = 'PLAIN';
    at(s, p, k);
    this.keyAfter = j + 1;
    return s;
  }
}
