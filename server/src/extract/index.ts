/**
 * File -> image references. Chooses the extractor by file name and content.
 * (Interface owned by the extraction module; see dockerfile.ts and yaml.ts.)
 */
import type { ExtractResult, FileKind } from '../model';

export function detectFileKind(fileName: string, text?: string): FileKind {
  void fileName;
  void text;
  throw new Error('not implemented yet');
}

export function extractReferences(fileName: string, text: string): ExtractResult {
  void fileName;
  void text;
  throw new Error('not implemented yet');
}
