// Deterministic pseudo-random numbers for the generators (mulberry32).
// Same seed -> same files on every machine, so runs are comparable.

/** @param {number} seed */
export function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** integer in [lo, hi] */
    int(lo, hi) {
      return lo + Math.floor(next() * (hi - lo + 1));
    },
    /** @template T @param {T[]} arr @returns {T} */
    pick(arr) {
      return arr[Math.floor(next() * arr.length)];
    },
    chance(p) {
      return next() < p;
    },
    hex(n) {
      let s = '';
      for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(next() * 16)];
      return s;
    },
    word(n = 6) {
      let s = '';
      for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz'[Math.floor(next() * 26)];
      return s;
    },
  };
}
