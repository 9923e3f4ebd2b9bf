/**
 * Dockerfile / Containerfile -> image references, using dockerfile-ast for the
 * instruction structure (escape directive, line continuations, comments
 * inside continuations, heredocs, ONBUILD triggers).
 *
 * Reported:
 *  - FROM <image> (not `scratch`, not an earlier stage name), kind 'dockerfile-from';
 *    when the whole image is one ARG (`FROM $BASE`) whose default is declared before
 *    the first FROM, the reference is located at that ARG default (kind 'dockerfile-arg').
 *  - COPY --from=<image> and RUN --mount=…,from=<image> (not a stage name or index),
 *    including ONBUILD forms, kind 'dockerfile-copy-from'.
 *
 * Speed: most Dockerfiles are plain (no parser directive, heredoc, CR, escaped
 * whitespace, ONBUILD, RUN --mount, and no line continuation inside FROM, ARG
 * or the flags of COPY/ADD). For those, `fastInstructions` reads the few
 * instructions we need straight from the lines, giving exactly what
 * dockerfile-ast would (test/unit/workspace/fastDockerfile.test.ts checks this
 * on the corpus and on generated files); anything else goes to dockerfile-ast.
 */
import type { DockerfileParser, Instruction, Onbuild } from 'dockerfile-ast';

/** dockerfile-ast, loaded on first use: plain Dockerfiles take the fast line reader (fastInstructions). */
function parser(): typeof DockerfileParser {
  return (require('dockerfile-ast') as typeof import('dockerfile-ast')).DockerfileParser;
}
import type { ExtractError, ExtractResult, Range, RawReference } from '../model';
import { BUILTIN_ARGS, makeReference, substitute, VarLookup } from './common';

/** Largest Dockerfile we parse (characters). */
export const MAX_DOCKERFILE_CHARS = 512 * 1024;

interface ArgDecl {
  /** Value after resolution of earlier ARGs; undefined when declared without default. */
  value?: string;
  /** Value as written (quotes stripped) and where. */
  text?: string;
  range?: Range;
  unresolved?: boolean;
}

interface Located {
  text: string;
  range: Range;
}

function stripQuotes(value: string, range: Range): Located {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0] && range.start.line === range.end.line) {
    return {
      text: value.slice(1, -1),
      range: {
        start: { line: range.start.line, character: range.start.character + 1 },
        end: { line: range.end.line, character: range.end.character - 1 },
      },
    };
  }
  return { text: value, range };
}

/** The characters of `range` in `lines` (for tokens split over continuation lines). */
function rangeText(lines: string[], r: Range): string {
  if (r.start.line === r.end.line) return (lines[r.start.line] ?? '').slice(r.start.character, r.end.character);
  const parts = [(lines[r.start.line] ?? '').slice(r.start.character)];
  for (let l = r.start.line + 1; l < r.end.line; l++) parts.push(lines[l] ?? '');
  parts.push((lines[r.end.line] ?? '').slice(0, r.end.character));
  return parts.join('\n');
}


/** The parts of an instruction the extractor reads (from dockerfile-ast, or from `fastInstructions`). */
interface DockerArgument {
  value: string;
  range: Range;
}
interface DockerFlagOption {
  name: string;
  value: string | null;
  valueRange: Range | null;
}
interface DockerFlag extends DockerFlagOption {
  options(): DockerFlagOption[];
}
export interface DockerInstruction {
  /** Upper case. */
  keyword: string;
  range(): Range;
  /** Arguments after the flags (FROM, COPY, ADD, RUN) or all of them. */
  args(): DockerArgument[];
  flags(): DockerFlag[];
  /** ONBUILD's trigger instruction. */
  trigger(): DockerInstruction | null;
}

/** Every instruction, as dockerfile-ast reads it (the reference for `fastInstructions`). */
export function astInstructions(src: string): DockerInstruction[] {
  return parser().parse(src).getInstructions().map(astInstruction);
}

function astInstruction(ins: Instruction): DockerInstruction {
  return {
    keyword: ins.getKeyword(),
    range: () => ins.getRange(),
    args: () => ins.getArguments().map((a) => ({ value: a.getValue(), range: a.getRange() })),
    flags: () =>
      ((ins as unknown as { getFlags?: () => import('dockerfile-ast').Flag[] }).getFlags?.() ?? []).map((f) => ({
        name: f.getName(),
        value: f.getValue(),
        valueRange: f.getValueRange(),
        options: () => f.getOptions().map((o) => ({ name: o.getName(), value: o.getValue(), valueRange: o.getValueRange() })),
      })),
    trigger: () => {
      const t = ins.getKeyword() === 'ONBUILD' ? (ins as Onbuild).getTriggerInstruction() : null;
      return t ? astInstruction(t) : null;
    },
  };
}

/**
 * Text the fast reader leaves to dockerfile-ast: CR, heredocs (`<<`), an escape
 * character followed by blanks (escaped whitespace) or starting a line.
 */
const FAST_UNSAFE_RE = /\r|<<|\\[ \t]|^[ \t]*\\/m;
/** A comment with `=` on the first line may be a parser directive (`# escape=`). */
const FIRST_LINE_DIRECTIVE_RE = /^[ \t]*#[^\n]*=/;

const isBlank = (c: string) => c === ' ' || c === '\t';

/** Whitespace-separated words of `line` from `from` (dockerfile-ast's argument split, without escapes). */
function words(line: string, lineNo: number, from: number): DockerArgument[] {
  const out: DockerArgument[] = [];
  let i = from;
  const n = line.length;
  while (i < n) {
    while (i < n && isBlank(line[i])) i++;
    if (i >= n) break;
    const s = i;
    while (i < n && !isBlank(line[i])) i++;
    out.push({ value: line.slice(s, i), range: { start: { line: lineNo, character: s }, end: { line: lineNo, character: i } } });
  }
  return out;
}

/**
 * dockerfile-ast's flag reading (ModifiableInstruction.getFlags) over words
 * without escapes: flags are the leading words holding `--`, stopping at the
 * first word without `--`. `complete` is false when the words ran out before
 * that stop (the flags may go on past a line continuation).
 */
function readFlags(ws: DockerArgument[]): { flags: DockerFlag[]; complete: boolean } | undefined {
  const flags: DockerFlag[] = [];
  for (const w of ws) {
    const v = w.value;
    if (v.includes('\\')) return undefined;
    if (v.indexOf('--') === -1) return { flags, complete: true };
    if (v.indexOf('--') !== 0) continue;
    const eq = v.indexOf('=');
    if (eq === -1) flags.push({ name: v.substring(2), value: null, valueRange: null, options: () => [] });
    else if (eq === v.length - 1) flags.push({ name: v.substring(2, eq), value: '', valueRange: { start: { ...w.range.end }, end: { ...w.range.end } }, options: () => [] });
    else
      flags.push({
        name: v.substring(2, eq),
        value: v.substring(eq + 1),
        valueRange: { start: { line: w.range.start.line, character: w.range.start.character + eq + 1 }, end: w.range.end },
        options: () => [],
      });
  }
  return { flags, complete: false };
}

const NONE = () => [];
const NO_TRIGGER = () => null;

/**
 * The instructions the extractor reads, straight from the lines, for plain
 * Dockerfiles; undefined when the text needs dockerfile-ast (see the module
 * comment). Only FROM, ARG before the first FROM, and the flags of COPY/ADD/RUN
 * are filled in: the extractor reads nothing else.
 */
export function fastInstructions(src: string, lines: string[]): DockerInstruction[] | undefined {
  if (FAST_UNSAFE_RE.test(src) || FIRST_LINE_DIRECTIVE_RE.test(src)) return undefined;
  const out: DockerInstruction[] = [];
  let sawFrom = false;
  const n = lines.length;
  for (let i = 0; i < n; i++) {
    const line = lines[i];
    let p = 0;
    while (p < line.length && isBlank(line[p])) p++;
    if (p === line.length || line[p] === '#') continue;
    let q = p;
    while (q < line.length && !isBlank(line[q])) q++;
    const word = line.slice(p, q);
    if (word.includes('\\')) return undefined;
    const keyword = word.toUpperCase();
    // Line continuation: the instruction runs on past blank and comment lines
    // to the next line that does not end with the escape character.
    const start = i;
    if (q < line.length && line.endsWith('\\')) {
      let j = i + 1;
      for (; j < n; j++) {
        const l = lines[j];
        let r = 0;
        while (r < l.length && isBlank(l[r])) r++;
        if (r === l.length || l[r] === '#') continue;
        if (!l.endsWith('\\')) break;
      }
      i = Math.min(j, n - 1);
    }
    const single = i === start;
    if (keyword === 'ONBUILD') return undefined;
    if (keyword === 'FROM' || (keyword === 'ARG' && !sawFrom)) {
      if (!single || line.includes('\\')) return undefined;
      const ws = words(line, start, q);
      let args = ws;
      if (keyword === 'FROM') {
        sawFrom = true;
        const f = readFlags(ws);
        if (!f) return undefined;
        args = ws.slice(f.flags.length);
      }
      const range: Range = { start: { line: start, character: p }, end: { line: start, character: line.length } };
      out.push({ keyword, range: () => range, args: () => args, flags: NONE, trigger: NO_TRIGGER });
    } else if (keyword === 'COPY' || keyword === 'ADD' || keyword === 'RUN') {
      const f = readFlags(words(line, start, q));
      if (!f || (!f.complete && !single)) return undefined;
      if (keyword === 'RUN' && f.flags.some((x) => x.name.toLowerCase() === 'mount')) return undefined;
      const flags = f.flags;
      out.push({ keyword, range: () => ({ start: { line: start, character: p }, end: { line: i, character: lines[i].length } }), args: NONE, flags: () => flags, trigger: NO_TRIGGER });
    }
  }
  return out;
}

const WHOLE_VAR_RE = /^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\})$/;

export interface DockerfileExtractOptions {
  /** `dockerfile-ast` always parses (the reference the fast reader is tested against); default: the fast reader when it applies. */
  parser?: 'auto' | 'dockerfile-ast';
}

export function extractDockerfile(text: string, options: DockerfileExtractOptions = {}): ExtractResult {
  const references: RawReference[] = [];
  const errors: ExtractError[] = [];
  if (text.length > MAX_DOCKERFILE_CHARS) {
    errors.push({ line: 0, message: `Dockerfile too large to scan (${text.length} characters, limit ${MAX_DOCKERFILE_CHARS})` });
    return { fileKind: 'dockerfile', references, errors };
  }
  // A BOM would glue itself to the first keyword; a space keeps every column.
  const src = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text;
  const lines = src.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  let escape = '\\';
  let instructions = options.parser === 'dockerfile-ast' ? undefined : fastInstructions(src, lines);
  if (!instructions) {
    let df;
    try {
      df = parser().parse(src);
    } catch (e) {
      errors.push({ line: 0, message: `could not parse Dockerfile: ${(e as Error).message}` });
      return { fileKind: 'dockerfile', references, errors };
    }
    escape = df.getEscapeCharacter();
    instructions = df.getInstructions().map(astInstruction);
  }

  // Stage names (lowercased) in order of declaration.
  const allStages = new Set<string>();
  for (const ins of instructions) {
    if (ins.keyword !== 'FROM') continue;
    const args = ins.args();
    const asIdx = args.findIndex((a, i) => i > 0 && a.value.toLowerCase() === 'as');
    if (asIdx > 0 && args[asIdx + 1]) allStages.add(args[asIdx + 1].value.toLowerCase());
  }

  const globalArgs = new Map<string, ArgDecl>();
  const lookup: VarLookup = (name) => {
    const d = globalArgs.get(name);
    if (d && d.value !== undefined) return { set: true, value: d.value };
    return { set: false };
  };
  const isKnownVar = (name: string) => globalArgs.has(name) || BUILTIN_ARGS.has(name);

  const earlierStages = new Set<string>();
  const seenArgRefs = new Set<string>();
  let sawFrom = false;

  const imageSource = (value: string, stages: Set<string>): boolean => {
    const v = value.toLowerCase();
    if (v === 'scratch') return false;
    if (stages.has(v)) return false;
    return true;
  };

  const handleCopyLike = (ins: DockerInstruction) => {
    const kw = ins.keyword;
    const flags = ins.flags();
    if (kw === 'COPY' || kw === 'ADD') {
      for (const f of flags) {
        if (f.name.toLowerCase() !== 'from') continue;
        const value = f.value;
        const vr = f.valueRange;
        if (!value || !vr) continue;
        emitSourceImage(stripQuotes(value, vr));
      }
    } else if (kw === 'RUN') {
      for (const f of flags) {
        if (f.name.toLowerCase() !== 'mount') continue;
        for (const o of f.options()) {
          if (o.name.toLowerCase() !== 'from') continue;
          const value = o.value;
          const vr = o.valueRange;
          if (!value || !vr) continue;
          emitSourceImage(stripQuotes(value, vr));
        }
      }
    }
  };

  const emitSourceImage = (loc: Located) => {
    if (/^\d+$/.test(loc.text)) return; // stage index
    const sub = substitute(loc.text, lookup, { escape });
    const resolved = sub.value;
    if (!resolved || !imageSource(resolved, allStages)) return;
    if (WHOLE_VAR_RE.test(loc.text) && sub.unresolved) return;
    const r = makeReference({ range: loc.range, text: rangeText(lines, loc.range), resolved, kind: 'dockerfile-copy-from', pulled: true });
    if (r) references.push(r);
  };

  for (const ins of instructions) {
    const kw = ins.keyword;
    if (kw === 'ARG' && !sawFrom) {
      for (const a of ins.args()) {
        const raw = a.value;
        const eq = raw.indexOf('=');
        const name = eq >= 0 ? raw.slice(0, eq) : raw;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        if (eq < 0) {
          globalArgs.set(name, {});
          continue;
        }
        const ar = a.range;
        // Value range: after `name=` (arguments may span continuation lines; the value is on the end line
        // unless the argument itself is split, which we do not try to locate).
        const valueRaw = raw.slice(eq + 1);
        let vRange: Range | undefined;
        if (ar.start.line === ar.end.line) {
          vRange = { start: { line: ar.start.line, character: ar.start.character + eq + 1 }, end: ar.end };
        }
        let written = valueRaw;
        let singleQuoted = false;
        if (vRange) {
          const s = stripQuotes(valueRaw, vRange);
          singleQuoted = valueRaw.startsWith("'") && s.text !== valueRaw;
          written = s.text;
          vRange = s.range;
        } else if (/^(["']).*\1$/.test(valueRaw)) {
          singleQuoted = valueRaw.startsWith("'");
          written = valueRaw.slice(1, -1);
        }
        const sub = singleQuoted ? { value: written, unresolved: false } : substitute(written, lookup, { escape });
        globalArgs.set(name, { value: sub.value, text: written, range: vRange, unresolved: sub.unresolved });
      }
      continue;
    }
    if (kw === 'FROM') {
      sawFrom = true;
      const args = ins.args();
      if (args.length === 0) continue;
      const first = args[0];
      const loc = stripQuotes(first.value, first.range);
      const asIdx = args.findIndex((a, i) => i > 0 && a.value.toLowerCase() === 'as');
      const stageName = asIdx > 0 && args[asIdx + 1] ? args[asIdx + 1].value.toLowerCase() : undefined;
      emitFrom(loc, ins);
      if (stageName) earlierStages.add(stageName);
      continue;
    }
    if (kw === 'ONBUILD') {
      const trig = ins.trigger();
      if (trig) handleCopyLike(trig);
      continue;
    }
    if (kw === 'COPY' || kw === 'ADD' || kw === 'RUN') handleCopyLike(ins);
  }

  function emitFrom(loc: Located, ins: DockerInstruction) {
    const whole = WHOLE_VAR_RE.exec(loc.text);
    if (whole) {
      const name = whole[1] ?? whole[2];
      const decl = globalArgs.get(name);
      const sub = substitute(loc.text, lookup, { escape });
      if (decl && decl.value !== undefined && decl.value !== '' && decl.range && sub.value === decl.value) {
        // The whole image comes from the ARG default: report it there.
        if (!imageSource(decl.value, earlierStages)) return;
        const key = `${decl.range.start.line}:${decl.range.start.character}`;
        if (seenArgRefs.has(key)) return;
        seenArgRefs.add(key);
        const r = makeReference({
          range: decl.range,
          text: rangeText(lines, decl.range),
          resolved: decl.value,
          kind: 'dockerfile-arg',
          pulled: true,
          usedAt: ins.range(),
        });
        if (r) references.push(r);
        return;
      }
      // ${X:-default} with X unset, etc.: located on the FROM line.
      if (sub.unresolved || !sub.value) return;
      if (!imageSource(sub.value, earlierStages)) return;
      const r = makeReference({ range: loc.range, text: rangeText(lines, loc.range), resolved: sub.value, kind: 'dockerfile-from', pulled: true });
      if (r) references.push(r);
      return;
    }
    // Literal or partially variable text.
    const sub = substitute(loc.text, (n) => (isKnownVar(n) ? lookup(n) : { set: false }), { escape });
    if (!imageSource(sub.value, earlierStages)) return;
    const r = makeReference({ range: loc.range, text: rangeText(lines, loc.range), resolved: sub.value, kind: 'dockerfile-from', pulled: true });
    if (r) references.push(r);
  }

  references.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { fileKind: 'dockerfile', references, errors };
}
