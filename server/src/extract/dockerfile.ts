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
 */
import { DockerfileParser, Instruction, Onbuild } from 'dockerfile-ast';
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

const WHOLE_VAR_RE = /^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\})$/;

export function extractDockerfile(text: string): ExtractResult {
  const references: RawReference[] = [];
  const errors: ExtractError[] = [];
  if (text.length > MAX_DOCKERFILE_CHARS) {
    errors.push({ line: 0, message: `Dockerfile too large to scan (${text.length} characters, limit ${MAX_DOCKERFILE_CHARS})` });
    return { fileKind: 'dockerfile', references, errors };
  }
  // A BOM would glue itself to the first keyword; a space keeps every column.
  const src = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text;
  let df;
  try {
    df = DockerfileParser.parse(src);
  } catch (e) {
    errors.push({ line: 0, message: `could not parse Dockerfile: ${(e as Error).message}` });
    return { fileKind: 'dockerfile', references, errors };
  }
  const lines = src.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const escape = df.getEscapeCharacter();
  const instructions = df.getInstructions();

  // Stage names (lowercased) in order of declaration.
  const allStages = new Set<string>();
  for (const ins of instructions) {
    if (ins.getKeyword() !== 'FROM') continue;
    const args = ins.getArguments();
    const asIdx = args.findIndex((a, i) => i > 0 && a.getValue().toLowerCase() === 'as');
    if (asIdx > 0 && args[asIdx + 1]) allStages.add(args[asIdx + 1].getValue().toLowerCase());
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

  const handleCopyLike = (ins: Instruction) => {
    const kw = ins.getKeyword();
    const flags = (ins as unknown as { getFlags?: () => import('dockerfile-ast').Flag[] }).getFlags?.() ?? [];
    if (kw === 'COPY' || kw === 'ADD') {
      for (const f of flags) {
        if (f.getName().toLowerCase() !== 'from') continue;
        const value = f.getValue();
        const vr = f.getValueRange();
        if (!value || !vr) continue;
        emitSourceImage(stripQuotes(value, vr));
      }
    } else if (kw === 'RUN') {
      for (const f of flags) {
        if (f.getName().toLowerCase() !== 'mount') continue;
        for (const o of f.getOptions()) {
          if (o.getName().toLowerCase() !== 'from') continue;
          const value = o.getValue();
          const vr = o.getValueRange();
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
    const kw = ins.getKeyword();
    if (kw === 'ARG' && !sawFrom) {
      for (const a of ins.getArguments()) {
        const raw = a.getValue();
        const eq = raw.indexOf('=');
        const name = eq >= 0 ? raw.slice(0, eq) : raw;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        if (eq < 0) {
          globalArgs.set(name, {});
          continue;
        }
        const ar = a.getRange();
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
      const args = ins.getArguments();
      if (args.length === 0) continue;
      const first = args[0];
      const loc = stripQuotes(first.getValue(), first.getRange());
      const asIdx = args.findIndex((a, i) => i > 0 && a.getValue().toLowerCase() === 'as');
      const stageName = asIdx > 0 && args[asIdx + 1] ? args[asIdx + 1].getValue().toLowerCase() : undefined;
      emitFrom(loc, ins);
      if (stageName) earlierStages.add(stageName);
      continue;
    }
    if (kw === 'ONBUILD') {
      const trig = (ins as Onbuild).getTriggerInstruction();
      if (trig) handleCopyLike(trig);
      continue;
    }
    if (kw === 'COPY' || kw === 'ADD' || kw === 'RUN') handleCopyLike(ins);
  }

  function emitFrom(loc: Located, ins: Instruction) {
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
          usedAt: ins.getRange(),
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
