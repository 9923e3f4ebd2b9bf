// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, mapped
// back through the bundle's source map (dist/*.js.map) to file:function in the
// original TypeScript, plus self time per original source file.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const maps = new Map();
function sourceMapFor(url) {
  if (maps.has(url)) return maps.get(url);
  let sm;
  try {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    if (file && existsSync(`${file}.map`)) sm = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {
    sm = undefined;
  }
  maps.set(url, sm);
  return sm;
}

/** "server/src/extract/yaml.ts:120" or "node_modules/yaml/..." (relative to root). */
function locate(cf, root) {
  const url = cf.url || '';
  if (!url) return { file: cf.functionName ? '(native)' : '(vm)', line: 0 };
  const sm = sourceMapFor(url);
  if (sm) {
    const e = sm.findEntry(cf.lineNumber, cf.columnNumber);
    if (e && e.originalSource) {
      let src = e.originalSource;
      if (src.startsWith('file:')) src = fileURLToPath(src);
      src = src.replace(/^(\.\.\/)+/, '');
      return { file: src.startsWith('/') ? relative(root, src) : src, line: (e.originalLine ?? 0) + 1 };
    }
  }
  let f = url.startsWith('file:') ? fileURLToPath(url) : url;
  if (f.startsWith('/')) f = relative(root, f);
  return { file: f, line: cf.lineNumber + 1 };
}

/**
 * @param {string|string[]} profilePaths one profile, or several (main thread and workers) to add up
 * @param {{root:string, top?:number}} o
 * @returns {{totalMs:number, busyMs:number, inclusive:{name:string, where:string, totalMs:number, pct:number}[], functions:{name:string, where:string, selfMs:number, pct:number}[], files:{file:string, selfMs:number, pct:number}[]}}
 */
export function summarizeCpuProfile(profilePaths, { root, top = 15, ownPrefix = 'server/src/' }) {
  const fn = new Map();
  const files = new Map();
  const incl = new Map();
  let total = 0;
  // Several profiles (main thread + worker threads) add up.
  for (const profilePath of Array.isArray(profilePaths) ? profilePaths : [profilePaths]) {
  const prof = JSON.parse(readFileSync(profilePath, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> microseconds
  const { samples = [], timeDeltas = [] } = prof;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  total += [...self.values()].reduce((a, b) => a + b, 0);
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') {
      const k = cf.functionName;
      fn.set(k, { name: k, where: '', us: (fn.get(k)?.us ?? 0) + us });
      continue;
    }
    const loc = locate(cf, root);
    const name = cf.functionName || '(anonymous)';
    const key = `${loc.file}:${name}`;
    const cur = fn.get(key) ?? { name, where: `${loc.file}:${loc.line}`, us: 0 };
    cur.us += us;
    fn.set(key, cur);
    files.set(loc.file, (files.get(loc.file) ?? 0) + us);
  }
  // Inclusive time for functions of our own sources (server/src): walk each sampled stack once.
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const locCache = new Map();
  const keyOf = (id) => {
    if (locCache.has(id)) return locCache.get(id);
    const cf = byId.get(id).callFrame;
    const loc = cf.url ? locate(cf, root) : undefined;
    const k = loc && loc.file.startsWith(ownPrefix) ? { key: `${loc.file}:${cf.functionName || '(anonymous)'}`, where: `${loc.file}:${loc.line}`, name: cf.functionName || '(anonymous)' } : undefined;
    locCache.set(id, k);
    return k;
  };
  for (const [id, us] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(cur);
      if (!k || seen.has(k.key)) continue;
      seen.add(k.key);
      const e = incl.get(k.key) ?? { name: k.name, where: k.where, us: 0 };
      e.us += us;
      incl.set(k.key, e);
    }
  }
  }
  const busy = total - (fn.get('(idle)')?.us ?? 0);
  const pct = (us) => (busy > 0 ? (100 * us) / busy : 0);
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    functions: [...fn.values()]
      .filter((f) => f.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, pct: pct(f.us) })),
    inclusive: [...incl.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, totalMs: f.us / 1000, pct: pct(f.us) })),
    files: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, us]) => ({ file, selfMs: us / 1000, pct: pct(us) })),
  };
}
