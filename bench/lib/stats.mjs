// Small statistics helpers (nearest-rank percentiles on sorted copies).

/** @param {number[]} xs @param {number} p 0..100 */
export function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}
export const median = (xs) => percentile(xs, 50);
export const min = (xs) => (xs.length ? Math.min(...xs) : NaN);
export const max = (xs) => (xs.length ? Math.max(...xs) : NaN);
export const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export function fmtMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return 'n/a';
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}
export function fmtMiB(kb) {
  if (kb == null || !Number.isFinite(kb)) return 'n/a';
  return `${(kb / 1024).toFixed(0)} MiB`;
}
export function fmtRatio(r) {
  if (r == null || !Number.isFinite(r)) return 'n/a';
  if (r < 0.01) return `${r.toFixed(4)}x`;
  if (r < 0.1) return `${r.toFixed(3)}x`;
  return `${r.toFixed(2)}x`;
}
