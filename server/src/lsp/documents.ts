/**
 * Per-document state: the text (incremental sync via TextDocuments), one
 * DocumentExtractor per document (only changed YAML documents are re-parsed),
 * and the findings of the last analysis, computed lazily.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze } from '../analyze';
import { detectFileKind, DocumentExtractor } from '../extract';
import type { ExtractError, ExtractResult, FileKind, Finding } from '../model';
import { BINARY_PROBE_BYTES } from '../workspace/walk';
import type { EffectiveSettings } from './settings';

/** A file system path for a URI (file: URIs), or a name good enough to detect the file kind. */
export function uriToFileName(uri: string, languageId?: string): string {
  let name = uri;
  if (uri.startsWith('file:')) {
    try {
      name = fileURLToPath(uri);
    } catch {
      name = decodeURIComponent(uri.replace(/^file:\/\//, ''));
    }
  } else {
    try {
      name = decodeURIComponent(new URL(uri).pathname) || uri;
    } catch {
      /* keep the uri */
    }
  }
  if (detectFileKind(name) !== 'unknown' || !languageId) return name;
  if (languageId === 'dockerfile' || languageId === 'containerfile') return path.join(path.dirname(name), 'Dockerfile');
  if (/yaml|compose|helm|github-actions|workflow|kustomize/i.test(languageId)) return `${name}.yaml`;
  return name;
}

export interface Analysis {
  version: number;
  fileKind: FileKind;
  findings: Finding[];
  errors: ExtractError[];
  /** The text looks binary (see looksBinary): not scanned, like `ar-migrate scan` skips such files. */
  binary?: boolean;
}

/**
 * The CLI's binary test (workspace/walk.ts readTextFile) on editor text: a
 * NUL within the first BINARY_PROBE_BYTES bytes of the UTF-8 encoding (U+0000
 * is the only character encoded with a 0 byte), so a file the scan skips as
 * binary is skipped here too.
 */
export function looksBinary(text: string): boolean {
  const i = text.indexOf('\0');
  if (i < 0 || i >= BINARY_PROBE_BYTES) return false;
  return Buffer.byteLength(text.slice(0, i), 'utf8') < BINARY_PROBE_BYTES;
}

export class DocumentState {
  private readonly extractor = new DocumentExtractor();
  private extracted: { version: number; result: ExtractResult } | undefined;
  private analysis: { settings: EffectiveSettings; value: Analysis } | undefined;
  readonly fileName: string;

  constructor(public document: TextDocument) {
    this.fileName = uriToFileName(document.uri, document.languageId);
  }

  get uri(): string {
    return this.document.uri;
  }

  /** Extracts (when the text changed) and analyses (when text or settings changed). Never throws. */
  analyze(settings: EffectiveSettings): Analysis {
    const doc = this.document;
    if (this.analysis && this.analysis.value.version === doc.version && this.analysis.settings === settings) return this.analysis.value;
    if (!this.extracted || this.extracted.version !== doc.version) {
      let result: ExtractResult;
      const text = doc.getText();
      if (looksBinary(text)) {
        // never fed to the YAML/Dockerfile parsers: their errors on random bytes would be bogus
        const value: Analysis = { version: doc.version, fileKind: 'unknown', findings: [], errors: [], binary: true };
        this.extracted = undefined;
        this.analysis = { settings, value };
        return value;
      }
      try {
        result = this.extractor.update(this.fileName, text);
      } catch (err) {
        result = { fileKind: 'unknown', references: [], errors: [{ line: 0, message: `internal error: ${(err as Error)?.message ?? err}` }] };
      }
      this.extracted = { version: doc.version, result };
    }
    const r = this.extracted.result;
    let findings: Finding[] = [];
    try {
      findings = analyze(r.references, settings.policy, doc.getText(), r.fileKind);
    } catch (err) {
      r.errors.push({ line: 0, message: `internal error: ${(err as Error)?.message ?? err}` });
    }
    const value: Analysis = { version: doc.version, fileKind: r.fileKind, findings, errors: r.errors };
    this.analysis = { settings, value };
    return value;
  }
}
