// One language-server measurement: start a fresh server process over stdio,
// initialize with a temp workspace folder, open a document, time the first
// publishDiagnostics, then time didChange -> next publishDiagnostics for a
// series of image-tag edits spread over the document. Peak RSS from /proc.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { LspClient, sleep } from '../lib/lsp-client.mjs';
import { startRssSampler } from '../lib/rss.mjs';

/**
 * @param {import('./servers.mjs').ServerDef} server
 * @param {{fileName:string, languageId:string, text:string, images:any[]}} fixture
 * @param {object} o
 * @param {number} [o.edits] measured edits (0 = first diagnostics only)
 * @param {number} [o.warmupEdits] edits sent before measuring (not counted)
 * @param {number} [o.firstTimeoutMs]
 * @param {number} [o.editTimeoutMs]
 * @param {number} [o.editBudgetMs] stop the edit loop after this long (reported)
 * @param {number} [o.settleMs] quiet time after each answer before the next edit
 * @param {string[]} [o.nodeArgs] extra node flags for the server process (e.g. --cpu-prof)
 * @param {(s:string)=>void} [o.log]
 */
export async function runLspScenario(server, fixture, o = {}) {
  const {
    edits = 0,
    warmupEdits = 0,
    firstTimeoutMs = 120000,
    editTimeoutMs = 30000,
    editBudgetMs = 120000,
    settleMs = 100,
    log = () => {},
  } = o;
  const dir = mkdtempSync(join(tmpdir(), `arm-bench-${server.id}-`));
  const file = join(dir, fixture.fileName);
  writeFileSync(file, fixture.text);
  const uri = pathToFileURL(file).href;
  const result = {
    server: server.id,
    initializeMs: NaN,
    firstMs: NaN,
    firstAnyMs: NaN,
    firstCount: 0,
    editLatencies: [],
    editsFresh: 0,
    editsAttempted: 0,
    extraPublishes: 0,
    peakRssKb: NaN,
    hwmKb: NaN,
    openHwmKb: NaN,
    error: undefined,
    serverRequests: {},
  };
  let client;
  let sampler;
  try {
    client = await LspClient.start({ command: process.execPath, args: [...(o.nodeArgs ?? []), ...server.args], cwd: dir, name: server.label });
    sampler = startRssSampler(client.pid, 50);
    await client.initialize({ rootDir: dir, settings: server.settings });
    result.initializeMs = client.initializeMs;
    // Let the server pull its configuration before the document arrives (as an editor does).
    await sleep(100);

    const t0 = client.didOpen(uri, fixture.languageId, fixture.text, 1);
    const firstAny = await client.waitForDiagnostics(uri, { after: t0, timeoutMs: firstTimeoutMs });
    result.firstAnyMs = firstAny.t - t0;
    const first = await client.waitForDiagnostics(uri, { after: t0, accept: server.acceptFirst, timeoutMs: firstTimeoutMs });
    result.firstMs = first.t - t0;
    result.firstCount = first.diagnostics.length;
    log(`${server.label}: first diagnostics ${result.firstMs.toFixed(1)} ms (${first.diagnostics.length} diagnostics)`);
    await client.settle(uri, 300, 10000);
    const afterOpen = sampler.peek();
    result.openHwmKb = afterOpen?.hwmKb ?? NaN;

    // ---- edits: change an image tag, documents spread over the file ----
    const targets = [...pickTargets(fixture.images, warmupEdits), ...pickTargets(fixture.images, edits)];
    const currentTag = new Map();
    const lines = fixture.text.split('\n');
    let version = 1;
    const loopStart = performance.now();
    for (let k = 0; k < targets.length; k++) {
      if (performance.now() - loopStart > editBudgetMs) {
        log(`${server.label}: edit budget of ${editBudgetMs} ms used up after ${k} edits`);
        break;
      }
      const img = targets[k];
      const oldTag = currentTag.get(img) ?? lines[img.line].slice(img.tagStart, img.tagEnd);
      const newTag = `${oldTag.replace(/-e\d+$/, '')}-e${k}`;
      currentTag.set(img, newTag);
      const range = {
        start: { line: img.line, character: img.tagStart },
        end: { line: img.line, character: img.tagStart + oldTag.length },
      };
      lines[img.line] = lines[img.line].slice(0, img.tagStart) + newTag + lines[img.line].slice(img.tagStart + oldTag.length);
      version++;
      const beforeSeq = client.lastSeq;
      const fullText = client.syncKind === 2 ? undefined : lines.join('\n');
      const t = client.didChange(uri, version, [{ range, text: newTag }], fullText);
      const v = version;
      const d = await client.waitForDiagnostics(uri, {
        after: t,
        // A server that reports versions must answer for this version; others: the next publish.
        accept: (x) => x.version === undefined || x.version === null || x.version >= v,
        timeoutMs: editTimeoutMs,
      });
      const ms = d.t - t;
      await client.settle(uri, settleMs, 5000);
      const publishesForEdit = client.diagnostics.filter((x) => x.seq > beforeSeq && x.uri === uri).length;
      result.extraPublishes += Math.max(0, publishesForEdit - 1);
      if (k >= warmupEdits) {
        result.editsAttempted++;
        result.editLatencies.push(ms);
        if (d.diagnostics.some((x) => x.range?.start?.line === img.line && JSON.stringify(x).includes(newTag))) result.editsFresh++;
      }
      // a short pause, like a user between keystroke bursts
      await sleep(20);
    }
    const s = sampler.stop();
    sampler = undefined;
    result.peakRssKb = Math.max(s.peakRssKb, s.hwmKb ?? 0);
    result.hwmKb = s.hwmKb;
    result.serverRequests = Object.fromEntries(client.serverRequests);
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    log(`${server.label}: ERROR ${result.error}`);
  } finally {
    if (sampler) {
      const s = sampler.stop();
      result.peakRssKb = Math.max(s.peakRssKb, s.hwmKb ?? 0);
      result.hwmKb = s.hwmKb;
    }
    if (client) await client.stop().catch(() => client.kill());
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** n image positions (tagged images only, third-party first) spread evenly over the document. */
export function pickTargets(images, n) {
  if (n <= 0) return [];
  let pool = images.filter((i) => i.tagStart !== undefined && i.thirdParty);
  if (pool.length === 0) pool = images.filter((i) => i.tagStart !== undefined);
  if (pool.length === 0) return [];
  pool = [...pool].sort((a, b) => a.line - b.line);
  const out = [];
  // Stride through the file; wrap around with an offset when n > pool size.
  for (let k = 0; k < n; k++) {
    const round = Math.floor(k / pool.length);
    const idx = (Math.floor(((k % pool.length) + 0.5) * (pool.length / Math.min(n, pool.length))) + round) % pool.length;
    out.push(pool[idx]);
  }
  return out;
}
