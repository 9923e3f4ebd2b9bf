/**
 * Rewriting image references to Google Artifact Registry.
 *
 * Target bases and the mapping of a source image under one live in
 * references/target.ts (re-exported here for existing importers).
 *
 * Edits replace only the characters of the reference (quotes, comments and the
 * rest of the line stay). Composite references (Helm `repository` + `tag`,
 * kustomize `newName` + `newTag`) get their name scalar rewritten, tag kept.
 */
import type { Finding, Range, RawReference } from '../model';
import {
  hasVariables,
  parseNormalizedTemplate,
  parseReference,
  validateDigest,
} from '../references/reference';
import { splitLines } from './ignore';

export {
  defaultTargetPath,
  hostPathComponent,
  parseTargetBase,
  targetName,
  targetReference,
  TARGET_FORMAT,
} from '../references/target';
export type { PathMapping, ReferenceTargetOptions, TargetBase, TargetBaseOptions, TargetOptions } from '../references/target';

export interface TextEdit {
  range: Range;
  newText: string;
}

// ---------------------------------------------------------------------------
// Edits

export type RewriteResult = { ok: true; edits: TextEdit[]; newText: string } | { ok: false; error: string };

/** What the reference should become: a target name, optionally with its own tag/digest. */
export interface RewriteTarget {
  /** Target repository name without tag, or a full reference (`name[:tag][@digest]`) whose tag/digest win. */
  target: string;
  /** Digest to pin (wins over everything). */
  digest?: string;
}

function splitTarget(target: string): { name: string; tag?: string; digest?: string } | undefined {
  const parsed = hasVariables(target) ? undefined : parseReference(target);
  if (parsed && parsed.ok) {
    const { domain, path, tag, digest } = parsed.value;
    return { name: domain ? `${domain}/${path}` : path, tag, digest };
  }
  if (parsed && !parsed.ok) return undefined;
  const at = target.indexOf('@');
  const beforeDigest = at >= 0 ? target.slice(0, at) : target;
  const colon = beforeDigest.lastIndexOf(':');
  const tagged = colon > beforeDigest.lastIndexOf('/');
  return {
    name: tagged ? beforeDigest.slice(0, colon) : beforeDigest,
    tag: tagged ? beforeDigest.slice(colon + 1) : undefined,
    digest: at >= 0 ? target.slice(at + 1) : undefined,
  };
}

/** Tag and digest of a reference as written (variables kept); undefined when it does not parse. */
function writtenParts(text: string): { tag?: string; digest?: string; domain: boolean } | undefined {
  const r = parseNormalizedTemplate(text);
  if (!r.ok) return undefined;
  const v = r.value;
  const slash = text.indexOf('/');
  const first = slash >= 0 ? text.slice(0, slash) : '';
  return { tag: v.implicitLatest ? undefined : v.tag, digest: v.digest, domain: first !== '' && /[.:]|^localhost$|[A-Z]/.test(first) };
}

function positionAt(start: Range['start'], text: string, offset: number): Range['start'] {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  if (nl < 0) return { line: start.line, character: start.character + offset };
  return { line: start.line + before.split('\n').length - 1, character: offset - nl - 1 };
}

function compose(name: string, tag?: string, digest?: string): string {
  return name + (tag !== undefined ? `:${tag}` : '') + (digest ? `@${digest}` : '');
}

function leadingKeyColumn(line: string): number {
  const m = /^(\s*(?:-\s+)*)/.exec(line)!;
  return m[1].length;
}

/** Finds a sibling scalar `key: value` of the mapping that holds `line` (YAML, block style). */
function findSiblingScalar(lines: string[], line: number, key: RegExp): { line: number; start: number; end: number; value: string } | undefined {
  const col = leadingKeyColumn(lines[line]);
  const check = (i: number) => {
    const l = lines[i];
    if (leadingKeyColumn(l) !== col) return undefined;
    const m = new RegExp(`^(\\s*(?:-\\s+)*)(?:${key.source})\\s*:[ \\t]*(["']?)([^"'#\\s]+)\\2`).exec(l);
    if (!m) return undefined;
    const start = m[0].length - m[3].length - m[2].length;
    return { line: i, start, end: start + m[3].length, value: m[3] };
  };
  const structural = (i: number) => !/^\s*(#.*)?$/.test(lines[i]);
  for (let i = line - 1; i >= 0; i--) {
    if (!structural(i)) continue;
    const c = leadingKeyColumn(lines[i]);
    if (c < col) break;
    const hit = check(i);
    if (hit) return hit;
    if (/^\s*-\s/.test(lines[i]) && c === col) break; // start of this list item
  }
  for (let i = line + 1; i < lines.length; i++) {
    if (!structural(i)) continue;
    const c = leadingKeyColumn(lines[i]);
    if (c < col || (/^\s*-\s/.test(lines[i]) && c <= col)) break;
    const hit = check(i);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The edits that rewrite one reference in `documentText` to `target`.
 * Keeps the tag and digest as written unless the target has its own.
 */
export function rewriteReference(
  documentText: string,
  finding: Pick<RawReference, 'range' | 'text' | 'resolved' | 'kind' | 'composite' | 'ref' | 'error'>,
  target: RewriteTarget,
): RewriteResult {
  if (finding.error || !finding.ref) return { ok: false, error: `"${finding.text}" is not a valid image reference: ${finding.error ?? 'unparsed'}` };
  const t = splitTarget(target.target.trim());
  if (!t || !t.name) return { ok: false, error: `invalid target "${target.target}"` };
  if (target.digest) {
    const err = validateDigest(target.digest);
    if (err) return { ok: false, error: err };
  }
  const { range, text, resolved } = finding;
  const lines = splitLines(documentText);

  // Where in `text` the image is written.
  let offset = 0;
  let written = text;
  let composite = Boolean(finding.composite);
  if (!composite && text !== resolved) {
    const idx = text.indexOf(resolved);
    if (idx >= 0 && text.indexOf(resolved, idx + 1) < 0) {
      offset = idx; // e.g. compose ${IMAGE:-nginx:1.27}: edit only the default
      written = resolved;
    } else {
      const own = writtenParts(text);
      const ownName = own ? parseNormalizedTemplate(text) : undefined;
      if (ownName && ownName.ok && ownName.value.name === finding.ref.name) composite = true; // e.g. ARG IMAGE=nginx + FROM $IMAGE:$TAG
      else return { ok: false, error: `"${text}" is assembled from variables (${resolved}); rewrite it by hand` };
    }
  }
  const own = writtenParts(written);
  if (!own) return { ok: false, error: `"${written}" is not a valid image reference` };

  const edits: TextEdit[] = [];
  let newText: string;
  if (composite) {
    // Name scalar only: keep whatever tag/digest it has itself; the sibling tag/digest scalars stay
    // (a tag or digest from a full target reference would end up doubled by the chart/kustomize).
    if (target.digest && !own.digest) {
      return { ok: false, error: `"${text}" takes its tag from a separate field; pin the digest there by hand (${target.digest})` };
    }
    newText = compose(t.name, own.tag, own.digest);
    const lineText = lines[range.start.line] ?? '';
    const before = lineText.slice(0, range.start.character);
    if (finding.kind === 'kustomize' && /(^|[\s{,-])name\s*:\s*["']?$/.test(before)) {
      // Only newTag/digest given: `name` is the match key, so add a newName instead of changing it.
      const existing = findSiblingScalar(lines, range.start.line, /newName/);
      if (existing) {
        edits.push({ range: { start: { line: existing.line, character: existing.start }, end: { line: existing.line, character: existing.end } }, newText });
      } else {
        const col = leadingKeyColumn(lineText);
        const eolText = documentText.includes('\r\n') ? '\r\n' : '\n';
        const endOfLine = { line: range.start.line, character: lineText.length };
        edits.push({ range: { start: endOfLine, end: endOfLine }, newText: `${eolText}${' '.repeat(col)}newName: ${newText}` });
      }
      return { ok: true, edits, newText };
    }
    if (finding.kind === 'helm-values' && !own.domain) {
      // The registry comes from a sibling `registry:` scalar (Bitnami style): rewrite both.
      const reg = findSiblingScalar(lines, range.start.line, /registry/);
      if (reg) {
        const slash = t.name.indexOf('/');
        const host = slash >= 0 ? t.name.slice(0, slash) : t.name;
        const path = slash >= 0 ? t.name.slice(slash + 1) : '';
        edits.push({ range: { start: { line: reg.line, character: reg.start }, end: { line: reg.line, character: reg.end } }, newText: host });
        newText = compose(path, own.tag, own.digest);
      } else if (finding.ref.registry !== 'docker.io') {
        return { ok: false, error: `the registry of "${text}" (${finding.ref.registry}) is set elsewhere (e.g. global.imageRegistry); rewrite it by hand` };
      }
    }
  } else {
    newText = compose(t.name, t.tag ?? own.tag, target.digest ?? t.digest ?? own.digest);
  }
  const start = positionAt(range.start, text, offset);
  const end = positionAt(range.start, text, offset + written.length);
  edits.push({ range: { start, end }, newText });
  edits.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { ok: true, edits, newText };
}

/** A mapping image -> target: a function, or an object keyed by normalised reference or name. */
export type ImageMapping =
  | ((finding: Finding) => string | RewriteTarget | undefined)
  | Record<string, string>
  | Map<string, string>;

function lookup(mapping: ImageMapping, f: Finding): RewriteTarget | undefined {
  let v: string | RewriteTarget | undefined;
  if (typeof mapping === 'function') v = mapping(f);
  else {
    const get = (k: string | undefined) =>
      k === undefined ? undefined : mapping instanceof Map ? mapping.get(k) : Object.prototype.hasOwnProperty.call(mapping, k) ? mapping[k] : undefined;
    v = get(f.normalized) ?? get(f.ref?.name) ?? get(f.resolved) ?? get(f.text);
  }
  if (v === undefined) return undefined;
  return typeof v === 'string' ? { target: v } : v;
}

export interface FileRewrite {
  edits: TextEdit[];
  /** The document after the edits. */
  text: string;
  rewritten: Finding[];
  skipped: { finding: Finding; reason: string }[];
}

/**
 * Edits for a whole file: every finding the mapping has a target for is
 * rewritten (findings without one are left alone; invalid or ambiguous ones are
 * reported in `skipped`). Overlapping edits are dropped with a reason.
 */
export function rewriteFile(documentText: string, findings: readonly Finding[], mapping: ImageMapping): FileRewrite {
  const edits: TextEdit[] = [];
  const rewritten: Finding[] = [];
  const skipped: { finding: Finding; reason: string }[] = [];
  for (const f of findings) {
    if (f.error || !f.ref) continue;
    const target = lookup(mapping, f);
    if (!target) continue;
    const r = rewriteReference(documentText, f, target);
    if (!r.ok) {
      skipped.push({ finding: f, reason: r.error });
      continue;
    }
    const clash = r.edits.find((e) => edits.some((o) => overlaps(o.range, e.range) && !(sameRange(o.range, e.range) && o.newText === e.newText)));
    if (clash) {
      skipped.push({ finding: f, reason: `overlaps another rewrite at line ${clash.range.start.line + 1}` });
      continue;
    }
    for (const e of r.edits) if (!edits.some((o) => sameRange(o.range, e.range))) edits.push(e);
    rewritten.push(f);
  }
  edits.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { edits, text: applyEdits(documentText, edits), rewritten, skipped };
}

function cmp(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}
function overlaps(a: Range, b: Range): boolean {
  return cmp(a.start, b.end) < 0 && cmp(b.start, a.end) < 0;
}
function sameRange(a: Range, b: Range): boolean {
  return cmp(a.start, b.start) === 0 && cmp(a.end, b.end) === 0;
}

/** Applies non-overlapping edits (positions are 0-based line/UTF-16 character). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) continue;
    if (c === 10 || c === 13) lineStarts.push(i + 1);
  }
  const offsetOf = (p: Range['start']) => {
    if (p.line >= lineStarts.length) return text.length;
    return Math.min(lineStarts[p.line] + p.character, text.length);
  };
  const sorted = [...edits].sort((a, b) => cmp(b.range.start, a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offsetOf(e.range.start)) + e.newText + out.slice(offsetOf(e.range.end));
  return out;
}
