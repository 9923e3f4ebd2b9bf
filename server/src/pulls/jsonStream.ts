/**
 * Streaming tokenizer for log exports: a top-level JSON array of entries
 * (`gcloud logging read --format=json`) or newline-delimited JSON. It never
 * holds more than one entry's text plus one chunk, and reports malformed or
 * truncated entries with their line instead of giving up.
 */

export interface TokenizerCallbacks {
  /** The text of one complete entry and the (1-based) line it starts on. */
  entry(text: string, line: number): void;
  /** A problem at a (1-based) line; reading continues. */
  error(line: number, message: string): void;
}

const NL = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const COMMA = 44;
const SPACE = 32;
const TAB = 9;
const CR = 13;

const STRING_STOP = /["\\\n]/g;
const STRUCT_STOP = /["{}[\]\n]/g;

function isWs(c: number): boolean {
  return c === SPACE || c === NL || c === TAB || c === CR || c === 0xfeff;
}

export type StreamFormat = 'unknown' | 'array' | 'ndjson';

export class JsonEntryTokenizer {
  format: StreamFormat = 'unknown';
  /** Current 1-based line. */
  line = 1;
  /** Entries delivered. */
  entries = 0;
  private inArray = false;
  private arrayClosed = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  private parts: string[] = [];
  private elemLine = 0;
  private elemSize = 0;
  /** Column of the first entry's opening brace (resynchronisation point after an error). */
  private entryColumn = -1;
  private resync = false;
  private atLineStart = true;
  private colBase = 0;
  /** NDJSON: the partial last line. */
  private pending = '';

  constructor(
    private readonly cb: TokenizerCallbacks,
    /** Entries larger than this are skipped with an error (protects memory). */
    private readonly maxEntryChars = 16 * 1024 * 1024,
  ) {}

  write(s: string): void {
    if (s.length === 0) return;
    if (this.format === 'unknown') {
      let i = 0;
      while (i < s.length && isWs(s.charCodeAt(i))) {
        if (s.charCodeAt(i) === NL) {
          this.line++;
          this.colBase = 0;
        } else this.colBase++;
        i++;
      }
      if (i === s.length) return;
      this.format = s.charCodeAt(i) === LBRACKET ? 'array' : 'ndjson';
      s = s.slice(i);
    }
    if (this.format === 'ndjson') this.writeLines(s);
    else this.writeArray(s);
  }

  end(): void {
    if (this.format === 'ndjson') {
      if (this.pending.trim()) this.emitLine(this.pending, true);
      this.pending = '';
      return;
    }
    if (this.format === 'array') {
      if (this.resync) {
        // The problem at the tail was already reported.
      } else if (this.depth > 0) {
        this.cb.error(this.line, `file ends inside the entry that starts at line ${this.elemLine} (truncated or still being written)`);
      } else if (this.inArray && !this.arrayClosed) {
        this.cb.error(this.line, 'file ends before the closing "]" of the JSON array (truncated or still being written)');
      }
      this.parts = [];
      this.depth = 0;
    }
  }

  // ---------------------------------------------------------------- NDJSON
  private skipLongLine = false;

  private writeLines(s: string): void {
    let start = 0;
    for (;;) {
      const nl = s.indexOf('\n', start);
      if (nl < 0) break;
      if (this.skipLongLine) {
        this.skipLongLine = false;
        this.pending = '';
      } else {
        const text = this.pending + s.slice(start, nl);
        this.pending = '';
        this.emitLine(text, false);
      }
      this.line++;
      start = nl + 1;
    }
    if (this.skipLongLine) return;
    const rest = s.slice(start);
    if (this.pending.length + rest.length > this.maxEntryChars) {
      this.cb.error(this.line, `line longer than ${this.maxEntryChars} characters skipped`);
      this.pending = '';
      this.skipLongLine = true;
      return;
    }
    this.pending += rest;
  }

  private emitLine(text: string, atEof: boolean): void {
    const t = text.trim();
    if (!t) return;
    if (t === '[' || t === ']' || t === ',') return;
    const body = t.endsWith(',') ? t.slice(0, -1) : t;
    if (!body.startsWith('{')) {
      this.cb.error(this.line, `not a JSON object: ${preview(body)}`);
      return;
    }
    // Validate by parsing in the consumer; an unterminated last line is a half-written entry.
    if (atEof && !looksComplete(body)) {
      this.cb.error(this.line, 'last line is incomplete (file truncated or still being written)');
      return;
    }
    this.entries++;
    this.cb.entry(body, this.line);
  }

  // ----------------------------------------------------------------- array
  private writeArray(s: string): void {
    const n = s.length;
    let lastNL = -1;
    let elemStart = this.depth > 0 ? 0 : -1;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          if (s.charCodeAt(i) === NL) {
            // handled below as a raw newline in a string
          } else {
            i++;
            continue;
          }
        }
        STRING_STOP.lastIndex = i;
        const m = STRING_STOP.exec(s);
        if (!m) {
          i = n;
          break;
        }
        i = m.index;
        const c = s.charCodeAt(i);
        if (c === QUOTE) {
          this.inString = false;
          i++;
          continue;
        }
        if (c === BACKSLASH) {
          this.escape = true;
          i++;
          continue;
        }
        // Raw newline inside a string: the entry is broken (a half-written line).
        this.inString = false;
        this.cb.error(this.line, `unterminated string in the entry that starts at line ${this.elemLine}; entry skipped`);
        this.abandon();
        elemStart = -1;
        this.resync = true;
        // fall through to newline handling
      }
      const c = s.charCodeAt(i);
      if (c === NL) {
        this.line++;
        lastNL = i;
        this.atLineStart = true;
        i++;
        continue;
      }
      if (this.resync) {
        if (this.atLineStart) {
          if (c === SPACE || c === TAB || c === CR) {
            i++;
            continue;
          }
          const col = lastNL >= 0 ? i - lastNL - 1 : this.colBase + i;
          if (c === LBRACE && (this.entryColumn < 0 || col <= this.entryColumn)) {
            this.resync = false;
            this.atLineStart = false;
            elemStart = i;
            this.beginEntry(col);
            i++;
            continue;
          }
          if (c === RBRACKET && (this.entryColumn < 0 || col < this.entryColumn)) {
            this.resync = false;
            this.inArray = false;
            this.arrayClosed = true;
          }
        }
        this.atLineStart = false;
        i++;
        continue;
      }
      this.atLineStart = false;
      if (this.depth > 0) {
        if (c !== QUOTE && c !== LBRACE && c !== RBRACE && c !== LBRACKET && c !== RBRACKET) {
          // Jump to the next character that matters inside an entry.
          STRUCT_STOP.lastIndex = i;
          const m = STRUCT_STOP.exec(s);
          i = m ? m.index : n;
          continue;
        }
        if (c === QUOTE) this.inString = true;
        else if (c === LBRACE || c === LBRACKET) this.depth++;
        else if (c === RBRACE || c === RBRACKET) {
          this.depth--;
          if (this.depth === 0) {
            this.parts.push(s.slice(elemStart < 0 ? 0 : elemStart, i + 1));
            elemStart = -1;
            this.finishEntry();
          }
        }
        i++;
        continue;
      }
      // Between entries.
      if (isWs(c) || c === COMMA) {
        i++;
        continue;
      }
      if (!this.inArray) {
        if (c === LBRACKET) {
          this.inArray = true;
          this.arrayClosed = false;
          i++;
          continue;
        }
      } else if (c === RBRACKET) {
        this.inArray = false;
        this.arrayClosed = true;
        i++;
        continue;
      }
      if (c === LBRACE) {
        const col = lastNL >= 0 ? i - lastNL - 1 : this.colBase + i;
        elemStart = i;
        this.beginEntry(col);
        i++;
        continue;
      }
      this.cb.error(this.line, `unexpected character "${String.fromCharCode(c)}" between entries; skipping to the next entry`);
      this.resync = true;
      i++;
    }
    if (this.depth > 0 && elemStart >= 0 && elemStart < n) {
      const piece = s.slice(elemStart);
      this.parts.push(piece);
      this.elemSize += piece.length;
      if (this.elemSize > this.maxEntryChars) {
        this.cb.error(this.elemLine, `entry longer than ${this.maxEntryChars} characters skipped`);
        this.abandon();
        this.resync = true;
      }
    }
    this.colBase = lastNL >= 0 ? n - lastNL - 1 : this.colBase + n;
  }

  private beginEntry(col: number): void {
    this.depth = 1;
    this.parts = [];
    this.elemSize = 0;
    this.elemLine = this.line;
    if (this.entryColumn < 0) this.entryColumn = col;
  }

  private abandon(): void {
    this.depth = 0;
    this.parts = [];
    this.elemSize = 0;
    this.escape = false;
  }

  private finishEntry(): void {
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    this.parts = [];
    this.elemSize = 0;
    this.entries++;
    this.cb.entry(text, this.elemLine);
  }
}

function preview(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Cheap check that a line holds a balanced object (used only for the last line of an NDJSON file). */
function looksComplete(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
