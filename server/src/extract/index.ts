/**
 * File -> image references. Chooses the extractor by file name and content.
 *
 *   detectFileKind(fileName, text?)     'dockerfile' | 'yaml' | 'unknown'
 *   extractReferences(fileName, text)   all references of a file (never throws)
 *   new DocumentExtractor().update(fileName, text)
 *                                       the same, caching per YAML document: only
 *                                       documents whose text changed are re-parsed
 *
 * Extraction is policy-free: `thirdParty` / `ignored` are decided later.
 */
import type { ExtractResult, FileKind } from '../model';
import { extractDockerfile } from './dockerfile';
import { YamlExtractor } from './yaml';

export { extractDockerfile, MAX_DOCKERFILE_CHARS } from './dockerfile';
export { YAML_LIMITS, splitYamlDocuments, maskTemplates, guardDocument, guardDocumentFully } from './yaml';

function baseName(fileName: string): string {
  return fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
}

/** True for Dockerfile / Containerfile names: `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `Containerfile*`. */
export function isDockerfileName(fileName: string): boolean {
  const b = baseName(fileName).toLowerCase();
  if (b.endsWith('.dockerignore') || b.endsWith('.containerignore')) return false;
  if (/\.ya?ml$/.test(b)) return false;
  return b === 'dockerfile' || b.startsWith('dockerfile.') || b.endsWith('.dockerfile') || b.startsWith('containerfile');
}

export function isYamlName(fileName: string): boolean {
  return /\.ya?ml$/i.test(baseName(fileName));
}

/** Extensions of files whose kind is decided by content (templates, examples, backups). */
const SNIFF_EXTENSIONS = new Set(['.tpl', '.tmpl', '.template', '.j2', '.jinja', '.jinja2', '.gotmpl', '.in', '.dist', '.sample', '.example', '.orig', '.bak', '.txt']);

const YAML_HINT_RE = /^(apiVersion|kind|services|steps|jobs|stages|images|image|runs|spec|metadata)[ \t]*:/m;

/** Looks at content: a Dockerfile starts (after comments) with FROM or ARG and has a FROM. */
function sniff(text: string): FileKind {
  const head = text.slice(0, 64 * 1024).replace(/^\uFEFF/, '');
  const lines = head.split(/\r?\n/);
  let first: string | undefined;
  for (const l of lines) {
    const t = l.trim();
    if (t === '' || t.startsWith('#')) continue;
    first = t;
    break;
  }
  if (first === undefined) return 'unknown';
  // Upper case only: prose that starts with "From …" is not a Dockerfile.
  if (/^(FROM|ARG)\s/.test(first) && /^[ \t]*FROM[ \t]+\S/m.test(head)) return 'dockerfile';
  if ((/^(---|%YAML)/.test(first) || /^[A-Za-z_][\w.-]*[ \t]*:(\s|$)/.test(first)) && YAML_HINT_RE.test(head)) return 'yaml';
  return 'unknown';
}

export function detectFileKind(fileName: string, text?: string): FileKind {
  if (isDockerfileName(fileName)) return 'dockerfile';
  if (isYamlName(fileName)) return 'yaml';
  const b = baseName(fileName).toLowerCase();
  if (text === undefined) return 'unknown';
  // Content is only consulted for names that say nothing (no extension, or a template suffix):
  // a README.md with YAML front matter is not a manifest.
  const dot = b.lastIndexOf('.');
  if (dot > 0 && !SNIFF_EXTENSIONS.has(b.slice(dot))) return 'unknown';
  try {
    return sniff(text);
  } catch {
    return 'unknown';
  }
}

/** All image references of a file. Never throws: problems become `errors`. */
export function extractReferences(fileName: string, text: string): ExtractResult {
  return new DocumentExtractor(true).update(fileName, text);
}

/**
 * Incremental extraction for an open document (language server): keep one
 * instance per document URI and call `update` with the full new text on every
 * change. YAML documents (split at `---` / `...` lines) whose text did not
 * change are not re-parsed; their references are shifted to the new lines.
 */
export class DocumentExtractor {
  private yaml: YamlExtractor | undefined;
  private fileName: string | undefined;
  /** @param oneShot used for one update only (extractReferences): nothing is kept for the next. */
  constructor(private readonly oneShot = false) {}
  /** YAML documents parsed by the last update (0 when nothing changed). */
  get lastParsedDocuments(): number {
    return this.yaml?.lastParsed ?? 0;
  }

  update(fileName: string, text: string): ExtractResult {
    let fileKind: FileKind = 'unknown';
    try {
      fileKind = detectFileKind(fileName, text);
      if (fileKind === 'dockerfile') {
        this.yaml = undefined;
        return extractDockerfile(text);
      }
      if (fileKind === 'yaml') {
        if (!this.yaml || this.fileName !== fileName) this.yaml = new YamlExtractor(fileName, this.oneShot);
        this.fileName = fileName;
        const r = this.yaml.update(text);
        return { fileKind, references: r.references, errors: r.errors };
      }
      return { fileKind, references: [], errors: [] };
    } catch (e) {
      this.yaml = undefined;
      return { fileKind, references: [], errors: [{ line: 0, message: `could not scan ${baseName(fileName)}: ${(e as Error)?.message ?? String(e)}` }] };
    }
  }
}

