/**
 * Unified diffs (`--- a/file` / `+++ b/file`, `@@` hunks, 3 lines of context)
 * that `git apply` and `patch -p1` accept. Line terminators are part of the
 * lines, so CRLF files diff as CRLF; a last line without a newline gets the
 * `\ No newline at end of file` marker.
 */

/** Splits text into lines, each with its `\n` (a `\r` before it stays in the line). */
export function splitKeepEol(text: string): string[] {
  if (text === '') return [];
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) out.push(text.slice(start));
      return out;
    }
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Same line count (the usual rewrite: references change within lines): line by line, runs grouped. */
function diffSameLength(a: string[], b: string[]): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < a.length; ) {
    if (a[i] === b[i]) {
      ops.push({ kind: ' ', line: a[i++] });
      continue;
    }
    let j = i;
    while (j < a.length && a[j] !== b[j]) j++;
    for (let k = i; k < j; k++) ops.push({ kind: '-', line: a[k] });
    for (let k = i; k < j; k++) ops.push({ kind: '+', line: b[k] });
    i = j;
  }
  return ops;
}

/** Myers' O((N+M)D) shortest edit script over lines; falls back to replace-all past `maxD` (bounded memory). */
function diffLines(a: string[], b: string[], maxD = 1000): Op[] {
  if (a.length === b.length) return diffSameLength(a, b);
  // Common prefix and suffix first: rewrites change few lines of long files.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const mid = middle(A, B, maxD);
  return [
    ...a.slice(0, pre).map((line) => ({ kind: ' ' as const, line })),
    ...mid,
    ...a.slice(a.length - suf).map((line) => ({ kind: ' ' as const, line })),
  ];
}

function middle(A: string[], B: string[], maxD: number): Op[] {
  const n = A.length;
  const m = B.length;
  if (n === 0) return B.map((line) => ({ kind: '+' as const, line }));
  if (m === 0) return A.map((line) => ({ kind: '-' as const, line }));
  const max = Math.min(n + m, maxD);
  const off = max + 1;
  let v: Int32Array = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) return [...A.map((line) => ({ kind: '-' as const, line })), ...B.map((line) => ({ kind: '+' as const, line }))];
  // Backtrack.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    v = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? k + 1 : k - 1;
    const prevX = v[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: A[--x] });
      y--;
    }
    if (x === prevX) ops.push({ kind: '+', line: B[--y] });
    else ops.push({ kind: '-', line: A[--x] });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: ' ', line: A[--x] });
    y--;
  }
  return ops.reverse();
}

function emit(kind: string, line: string): string {
  if (line.endsWith('\n')) return kind + line;
  return `${kind}${line}\n\\ No newline at end of file\n`;
}

function range(start: number, count: number): string {
  // Empty side: the line before the hunk, count 0.
  if (count === 0) return `${start},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * The unified diff of one file ('' when the texts are equal). `file` is the
 * path shown after `a/` and `b/` (use `/` separators, relative to where the
 * patch will be applied).
 */
export function unifiedDiff(file: string, oldText: string, newText: string, context = 3): string {
  if (oldText === newText) return '';
  const a = splitKeepEol(oldText);
  const b = splitKeepEol(newText);
  const ops = diffLines(a, b);
  // Group changes into hunks with `context` lines around them.
  const changeIdx: number[] = [];
  ops.forEach((o, i) => {
    if (o.kind !== ' ') changeIdx.push(i);
  });
  if (changeIdx.length === 0) return '';
  const hunks: [number, number][] = [];
  let s = Math.max(0, changeIdx[0] - context);
  let e = Math.min(ops.length, changeIdx[0] + context + 1);
  for (const i of changeIdx.slice(1)) {
    if (i - context <= e) e = Math.min(ops.length, i + context + 1);
    else {
      hunks.push([s, e]);
      s = Math.max(0, i - context);
      e = Math.min(ops.length, i + context + 1);
    }
  }
  hunks.push([s, e]);
  // Line numbers at each op index.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let on = 1;
  let nn = 1;
  for (const o of ops) {
    oldAt.push(on);
    newAt.push(nn);
    if (o.kind !== '+') on++;
    if (o.kind !== '-') nn++;
  }
  const name = file.replace(/\\/g, '/');
  let out = `--- a/${name}\n+++ b/${name}\n`;
  for (const [hs, he] of hunks) {
    const slice = ops.slice(hs, he);
    const oldCount = slice.filter((o) => o.kind !== '+').length;
    const newCount = slice.filter((o) => o.kind !== '-').length;
    const oldStart = oldCount === 0 ? oldAt[hs] - 1 : oldAt[hs];
    const newStart = newCount === 0 ? newAt[hs] - 1 : newAt[hs];
    out += `@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@\n`;
    for (const o of slice) out += emit(o.kind, o.line);
  }
  return out;
}
