import type { Finding, RawReference, ReferenceKind } from '../../../server/src/model';
import { parseNormalizedTemplate } from '../../../server/src/references/reference';

/** A RawReference for `text` found at its first occurrence in `doc` (or at `needle`'s). */
export function refIn(
  doc: string,
  text: string,
  kind: ReferenceKind,
  extra: Partial<RawReference> & { occurrence?: number } = {},
): RawReference {
  let idx = -1;
  for (let n = 0; n <= (extra.occurrence ?? 0); n++) idx = doc.indexOf(text, idx + 1);
  if (idx < 0) throw new Error(`"${text}" not in document`);
  const before = doc.slice(0, idx);
  const line = before.split('\n').length - 1;
  const character = idx - (before.lastIndexOf('\n') + 1);
  const resolved = extra.resolved ?? text;
  const parsed = parseNormalizedTemplate(resolved);
  const { occurrence: _o, ...rest } = extra;
  return {
    range: { start: { line, character }, end: { line, character: character + text.length } },
    text,
    resolved,
    kind,
    pulled: true,
    ...(parsed.ok ? { ref: parsed.value } : { error: parsed.error }),
    ...rest,
  };
}

export function asFinding(r: RawReference): Finding {
  return { ...r, normalized: r.ref?.normalized, registry: r.ref?.registry, thirdParty: true, ignored: false };
}
