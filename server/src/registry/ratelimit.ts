/**
 * Registry pull rate limits. Docker Hub answers manifest requests with
 *   ratelimit-limit: 100;w=21600
 *   ratelimit-remaining: 76;w=21600
 *   docker-ratelimit-source: 203.0.113.7
 * (HEAD requests report them too, without counting as a pull).
 */

export interface RateLimit {
  limit: number;
  remaining: number;
  /** Window in seconds (`w=`), when given. */
  window?: number;
  /** What the limit applies to (an IP or an account id), when given. */
  source?: string;
}

type HeaderValue = string | string[] | undefined;

function first(v: HeaderValue): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseQuota(v: string | undefined): { n: number; w?: number } | undefined {
  if (!v) return undefined;
  // "100;w=21600" or "100, 100;w=21600" (IETF draft lists policies after the first value)
  const head = v.split(',')[0].trim();
  const [num, ...params] = head.split(';');
  const n = Number(num.trim());
  if (!Number.isFinite(n) || num.trim() === '') return undefined;
  let w: number | undefined;
  for (const p of params) {
    const m = /^\s*w\s*=\s*(\d+)\s*$/.exec(p);
    if (m) w = Number(m[1]);
  }
  if (w === undefined) {
    const m = /;\s*w\s*=\s*(\d+)/.exec(v);
    if (m) w = Number(m[1]);
  }
  return { n, w };
}

export function parseRateLimit(headers: Record<string, HeaderValue>): RateLimit | undefined {
  const limit = parseQuota(first(headers['ratelimit-limit']) ?? first(headers['x-ratelimit-limit']));
  const remaining = parseQuota(first(headers['ratelimit-remaining']) ?? first(headers['x-ratelimit-remaining']));
  if (!limit || !remaining) return undefined;
  const out: RateLimit = { limit: limit.n, remaining: remaining.n };
  const w = remaining.w ?? limit.w;
  if (w !== undefined) out.window = w;
  const source = first(headers['docker-ratelimit-source']);
  if (source) out.source = source;
  return out;
}

/** "76 of 100 pulls left per 6h" */
export function describeRateLimit(r: RateLimit): string {
  const win = r.window ? ` per ${r.window % 3600 === 0 ? `${r.window / 3600}h` : `${r.window}s`}` : '';
  return `${r.remaining} of ${r.limit} pulls left${win}`;
}
