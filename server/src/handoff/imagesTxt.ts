/**
 * images.txt: the migration runbook's hand-off list for gcrane / `ar-migrate
 * mirror --from-file` — one normalised image reference a line, deduplicated,
 * sorted. formatImagesTxt accepts scan findings or plain reference strings.
 */
import type { Finding } from '../model';
import { parseNormalized } from '../references/reference';

/** Anything with a normalised reference: a scan Finding, a cluster RunningImage, or a plain string. */
export type ImagesTxtItem =
  | string
  | Pick<Finding, 'normalized'> & Partial<Pick<Finding, 'thirdParty' | 'ignored' | 'pulled' | 'error' | 'ref' | 'text'>>;

export interface ImagesTxtOptions {
  /** Keep only third-party images (items that say thirdParty: false are dropped). Default true. */
  thirdPartyOnly?: boolean;
  /** Keep build outputs (pulled: false). Default false. */
  includeNotPulled?: boolean;
  /** Keep ignored findings. Default false. */
  includeIgnored?: boolean;
}

export interface ImagesTxtSkip {
  /** The text of the item. */
  text: string;
  reason: string;
}

export interface CollectedImages {
  images: string[];
  skipped: ImagesTxtSkip[];
}

/** Normalises, filters, deduplicates and sorts; says why each dropped item was dropped. */
export function collectImages(items: Iterable<ImagesTxtItem>, options: ImagesTxtOptions = {}): CollectedImages {
  const thirdPartyOnly = options.thirdPartyOnly ?? true;
  const set = new Set<string>();
  const skipped: ImagesTxtSkip[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      const t = item.trim();
      if (!t || t.startsWith('#')) continue;
      const p = parseNormalized(t);
      if (!p.ok) skipped.push({ text: t, reason: p.error });
      else set.add(p.value.normalized);
      continue;
    }
    if (!item || typeof item !== 'object') continue;
    const text = item.text ?? item.normalized ?? '';
    if (item.error || !item.normalized) {
      skipped.push({ text, reason: item.error ?? 'not a valid image reference' });
      continue;
    }
    if (item.ref?.hasVariables || /\$/.test(item.normalized)) {
      skipped.push({ text, reason: 'contains unresolved variables' });
      continue;
    }
    if (item.ignored && !options.includeIgnored) continue;
    if (item.pulled === false && !options.includeNotPulled) continue;
    if (thirdPartyOnly && item.thirdParty === false) continue;
    const p = parseNormalized(item.normalized);
    if (!p.ok) {
      skipped.push({ text, reason: p.error });
      continue;
    }
    set.add(p.value.normalized);
  }
  return { images: [...set].sort(compareCodePoints), skipped };
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The images.txt text: one normalised reference a line, sorted, with a final newline ('' when empty). */
export function formatImagesTxt(items: Iterable<ImagesTxtItem>, options: ImagesTxtOptions = {}): string {
  const { images } = collectImages(items, options);
  return images.length ? images.join('\n') + '\n' : '';
}

export interface ParsedImagesTxt {
  images: string[];
  errors: { line: number; text: string; message: string }[];
}

/**
 * Reads an images.txt: blank lines and `#` comments skipped, the first column
 * of each line taken (a second column, a target, is allowed and ignored here).
 * Lines are 1-based in errors.
 */
export function parseImagesTxt(text: string): ParsedImagesTxt {
  const images: string[] = [];
  const errors: ParsedImagesTxt['errors'] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) return;
    const first = line.split(/\s+/)[0];
    const p = parseNormalized(first);
    if (!p.ok) errors.push({ line: i + 1, text: first, message: p.error });
    else images.push(p.value.normalized);
  });
  return { images, errors };
}
