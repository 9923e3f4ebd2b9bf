#!/usr/bin/env node
// ar-migrate benchmarks (see docs/bench.md): language server vs yaml-language-server
// and docker-langserver, and `ar-migrate scan` vs a runbook grep pipeline, in one run.
//
//   npm run bench                       build, then everything (~3-5 min on 2 cores)
//   node bench/run.mjs --only=k8s,docker,scan --edits=40 --runs=3 --json=out.json --strict
//
// Options: --only=LIST (k8s, docker, scan), --edits=N measured edits per server (default 40),
// --warmup-edits=N (5), --runs=N fresh server processes per server for first diagnostics (3),
// --deployments=N (2000), --flow-rate=R share of documents using flow mappings (0.1), --dockerfile-lines=N (300), --scan-files=N (20000), --scan-runs=N (3),
// --json=FILE write all raw figures, --strict exit 1 when a target is missed or recall < 1,
// --profile one extra run of our server per LSP scenario under node --cpu-prof, hotspots printed.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { summarizeCpuProfile } from './lib/cpuprofile.mjs';
import { generateDockerfile } from './lib/gen/dockerfile.mjs';
import { generateK8sManifest } from './lib/gen/k8s.mjs';
import { fmtMiB, fmtMs, fmtRatio, max, median, percentile } from './lib/stats.mjs';
import { probeOurs } from './lsp/probe.mjs';
import { runLspScenario } from './lsp/scenario.mjs';
import { serverDefs } from './lsp/servers.mjs';
import { GREP_PIPELINE, runScanBench } from './scan/scan-bench.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    return m ? [m[1], m[2] ?? 'true'] : [a, 'true'];
  }),
);
const num = (k, d) => (args[k] !== undefined ? Number(args[k]) : d);
const only = new Set((args.only ?? 'k8s,docker,scan').split(','));
const EDITS = num('edits', 40);
const WARMUP_EDITS = num('warmup-edits', 5);
const RUNS = Math.max(1, num('runs', 3));

const started = performance.now();
const log = (s) => process.stderr.write(`[bench +${((performance.now() - started) / 1000).toFixed(1)}s] ${s}\n`);

/** rows: [metric, ours, peer, ratio, target, verdict] */
const tables = [];
const notes = [];
const profiles = [];
let failures = 0;
const raw = { machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() }, started: new Date().toISOString() };

function verdict(ratio, target) {
  if (!Number.isFinite(ratio)) return 'N/A';
  const ok = ratio <= target;
  if (!ok) failures++;
  return ok ? 'PASS' : 'FAIL';
}

/** Runs `runs` fresh processes per server, alternating order; edits in the last round. */
async function compareServers(title, fixture, peer, targets) {
  const defs = serverDefs(ROOT);
  const oursDef = defs.ours;
  const peerDef = defs[peer];
  log(`${title}: ${fixture.description}`);
  if (!peerDef.available) {
    notes.push(`${title}: skipped: ${peerDef.label} is not installed (${peerDef.args[0]}); run npm ci`);
    return;
  }
  const probe = await probeOurs(oursDef, fixture, log);
  const servers = probe.ready ? [oursDef, peerDef] : [peerDef];
  if (!probe.ready) notes.push(`${title}: ar-migrate server not measured: ${probe.reason}`);
  const results = Object.fromEntries(servers.map((s) => [s.id, []]));
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    const lastRound = r === RUNS - 1;
    for (const s of order) {
      const res = await runLspScenario(s, fixture, {
        edits: lastRound ? EDITS : 0,
        warmupEdits: lastRound ? WARMUP_EDITS : 0,
        editBudgetMs: s.id === 'ours' ? 60000 : 130000,
        log,
      });
      results[s.id].push(res);
      log(`${title}: ${s.label} run ${r + 1}/${RUNS}: first ${fmtMs(res.firstMs)}` + (res.editLatencies.length ? `, edit p50 ${fmtMs(median(res.editLatencies))} p95 ${fmtMs(percentile(res.editLatencies, 95))}` : '') + `, peak RSS ${fmtMiB(res.peakRssKb)}${res.error ? `, ERROR ${res.error}` : ''}`);
    }
  }
  const sum = (id) => {
    const rs = results[id] ?? [];
    const ok = rs.filter((x) => !x.error);
    const edits = rs.flatMap((x) => x.editLatencies);
    return {
      label: defs[id].label,
      firstMs: median(ok.map((x) => x.firstMs)),
      firstAll: rs.map((x) => x.firstMs),
      initializeMs: median(ok.map((x) => x.initializeMs)),
      diagCount: ok.length ? ok[ok.length - 1].firstCount : NaN,
      editP50: median(edits),
      editP95: percentile(edits, 95),
      editMax: max(edits),
      edits: edits.length,
      fresh: rs.reduce((a, x) => a + x.editsFresh, 0),
      extraPublishes: rs.reduce((a, x) => a + x.extraPublishes, 0),
      rssKb: max(rs.map((x) => x.peakRssKb).filter(Number.isFinite)),
      openRssKb: median(rs.map((x) => x.openHwmKb).filter(Number.isFinite)),
      errors: rs.map((x) => x.error).filter(Boolean),
    };
  };
  const o = probe.ready ? sum('ours') : undefined;
  const p = sum(peer);
  raw[title] = { fixture: fixture.description, probe, results, summary: { ours: o, peer: p } };
  const ratio = (a, b) => (a !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
  const rows = [];
  const row = (metric, ov, pv, fmt, target) => {
    const r = ratio(ov, pv);
    rows.push([metric, o ? fmt(ov) : 'not ready', fmt(pv), fmtRatio(r), target === undefined ? '(report)' : `<= ${target}x`, target === undefined ? '' : o ? verdict(r, target) : 'N/A']);
  };
  row(`first diagnostics (median of ${RUNS})`, o?.firstMs, p.firstMs, fmtMs, targets.first);
  row(`edit->diagnostics p50 (n=${o ? o.edits : '-'}/${p.edits})`, o?.editP50, p.editP50, fmtMs, undefined);
  row(`edit->diagnostics p95`, o?.editP95, p.editP95, fmtMs, targets.editP95);
  row(`peak RSS, whole session (open + edits)`, o?.rssKb, p.rssKb, fmtMiB, targets.rss);
  row(`peak RSS after open (median)`, o?.openRssKb, p.openRssKb, fmtMiB, undefined);
  row('initialize round trip', o?.initializeMs, p.initializeMs, fmtMs, undefined);
  rows.push(['diagnostics on open', o ? String(o.diagCount) : 'not ready', String(p.diagCount), '', o ? `expect ${fixture.expectedOurs} (3rd-party refs)` : '', '']);
  tables.push({ title: `${title} — ${fixture.description}`, head: ['metric', 'ar-migrate', p.label, 'ratio', 'target', 'result'], rows });
  if (o) {
    if (o.edits && o.fresh < o.edits) notes.push(`${title}: ${o.edits - o.fresh}/${o.edits} ar-migrate edit answers did not mention the new tag on the edited line (stale or differently worded diagnostics).`);
    if (o.extraPublishes) notes.push(`${title}: ar-migrate sent ${o.extraPublishes} extra publishDiagnostics after edits (more than one per change).`);
    if (o.errors.length) notes.push(`${title}: ar-migrate errors: ${o.errors.join(' | ')}`);
    if (o.edits < EDITS) notes.push(`${title}: ar-migrate measured ${o.edits}/${EDITS} edits.`);
  }
  notes.push(`${title}: first diagnostics per run — ar-migrate ${o ? o.firstAll.map(fmtMs).join(', ') : 'n/a'}; ${p.label} ${p.firstAll.map(fmtMs).join(', ')}; edit max — ar-migrate ${o ? fmtMs(o.editMax) : 'n/a'}, ${p.label} ${fmtMs(p.editMax)}.`);
  if (p.errors.length) notes.push(`${title}: ${p.label} errors: ${p.errors.join(' | ')}`);
  if (args.profile && probe.ready) await profileOurs(title, oursDef, fixture);
  if (p.edits < EDITS) notes.push(`${title}: ${p.label} measured ${p.edits}/${EDITS} edits (time budget).`);
  if (peerDef.note) notes.push(peerDef.note);
}

/** One extra run of our server under node --cpu-prof (same edits); prints where the time goes. */
async function profileOurs(title, def, fixture) {
  const dir = mkdtempSync(join(os.tmpdir(), 'arm-bench-prof-'));
  try {
    const res = await runLspScenario(def, fixture, {
      edits: EDITS,
      warmupEdits: 0,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'],
      log,
    });
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    if (!files.length) {
      notes.push(`${title}: --profile produced no .cpuprofile (server did not exit normally?)`);
      return;
    }
    const s = summarizeCpuProfile(files.map((f) => join(dir, f)), { root: ROOT, top: 15 });
    raw[title].profile = s;
    profiles.push(formatProfile(`${title}: CPU profile of ar-migrate (first diagnostics ${fmtMs(res.firstMs)} + ${res.editLatencies.length} edits) under --cpu-prof`, s));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function formatProfile(head, s) {
  const lines = [`${head}; busy ${fmtMs(s.busyMs)}:`];
  lines.push('  inclusive time, server/src functions:');
  for (const f of s.inclusive) lines.push(`    ${fmtMs(f.totalMs).padStart(8)} ${f.pct.toFixed(1).padStart(5)}%  ${f.where} ${f.name}`);
  lines.push('  self time, all functions:');
  for (const f of s.functions) lines.push(`    ${fmtMs(f.selfMs).padStart(8)} ${f.pct.toFixed(1).padStart(5)}%  ${f.where} ${f.name}`);
  lines.push('  self time by file:');
  for (const f of s.files.slice(0, 8)) lines.push(`    ${fmtMs(f.selfMs).padStart(8)} ${f.pct.toFixed(1).padStart(5)}%  ${f.file}`);
  return lines.join('\n');
}

async function scanBench() {
  const res = await runScanBench({ root: ROOT, files: num('scan-files', 20000), runs: num('scan-runs', 3), profile: !!args.profile, log });
  raw.scan = res;
  const rows = [];
  if (res.error) {
    notes.push(`scan: harness error: ${res.error}`);
    failures++;
  }
  const o = res.ours ?? {};
  const g = res.grep ?? {};
  const r = o.bestMs / g.bestMs;
  const ready = Number.isFinite(o.bestMs) && !o.error;
  rows.push([`wall time, best of ${num('scan-runs', 3)}`, ready ? fmtMs(o.bestMs) : 'not ready', fmtMs(g.bestMs), ready ? fmtRatio(r) : 'n/a', '<= 5x', ready ? verdict(r, 5) : 'N/A']);
  rows.push(['wall time, median', ready ? fmtMs(o.medianMs) : 'not ready', fmtMs(g.medianMs), ready ? fmtRatio(o.medianMs / g.medianMs) : 'n/a', '(report)', '']);
  rows.push(['CPU time (user+sys), best', ready ? fmtMs(o.cpuBestMs) : 'not ready', fmtMs(g.cpuBestMs), ready ? fmtRatio(o.cpuBestMs / g.cpuBestMs) : 'n/a', '(report)', '']);
  const tp = o.thirdParty ?? {};
  const al = o.all ?? {};
  const gate = (ok) => {
    if (!ready) return 'N/A';
    if (!ok) failures++;
    return ok ? 'PASS' : 'FAIL';
  };
  const fmtRecall = (x) => (ready && Number.isFinite(x?.recall) ? `${x.recall.toFixed(4)} (${Math.round(x.recall * x.expected)}/${x.expected})` : 'n/a');
  rows.push([`recall, third-party refs (scan --json)`, fmtRecall(tp), '', '', '= 1.0', gate(tp.recall === 1)]);
  rows.push([`recall, all planted refs (scan --json --all)`, fmtRecall(al), `${(g.lineRecall ?? NaN).toFixed(4)} (line-level)`, '', '= 1.0', gate(al.recall === 1)]);
  rows.push(['hits inside node_modules/.git', ready ? String(Math.max(tp.ignoredHits ?? 0, al.ignoredHits ?? 0)) : 'n/a', '0 (excluded)', '', '= 0', gate(!tp.ignoredHits && !al.ignoredHits)]);
  rows.push(['references reported / grep lines', ready ? `${tp.reported} (--all: ${al.reported})` : 'n/a', String(g.lines), '', '', '']);
  rows.push(['reported but not planted (outside ignored)', ready ? String(al.unexpected) : 'n/a', '', '', '(report)', '']);
  tables.push({ title: `scan — ${res.files} files (${res.planted} planted refs, ${res.decoys} decoys in ${res.ignoredFiles} node_modules/.git files)`, head: ['metric', 'ar-migrate scan', 'grep pipeline', 'ratio', 'target', 'result'], rows });
  if (o.profile) profiles.push(formatProfile(`scan: CPU profile of ar-migrate scan (wall ${fmtMs(o.profile.wallMs)} under --cpu-prof, ${o.profile.threads} thread profile(s) added up)`, o.profile));
  notes.push(`grep pipeline (run by /bin/sh in the tree root, LC_ALL=C): ${GREP_PIPELINE}`);
  if (o.error) notes.push(`scan: ${o.error}`);
  for (const [name, x] of [['scan --json', tp], ['scan --json --all', al]]) {
    if (ready && x.recall !== 1 && x.missedSample) notes.push(`${name}: missed ${JSON.stringify(x.missedByKind)}; e.g. ${x.missedSample.map((m) => `${m.file}:${m.line} ${m.text}`).join(', ')}`);
    if (ready && x.textMismatch) notes.push(`${name}: ${x.textMismatch} references found on the right line with a different text`);
  }
  if (ready && al.unexpected) notes.push(`scan: reported but not planted, e.g. ${al.unexpectedSample.map((m) => `${m.file}:${m.line} ${m.text}`).join(', ')}`);
  notes.push('scan: grep line-level recall = planted references whose file:line appears in the grep output (it misses ARG-default references: grep shows the FROM ${VAR} line, and lists comments/block-scalar text as false positives).');
  if (ready && o.exitCode !== 0 && o.exitCode !== 1) notes.push(`scan: ar-migrate exit code ${o.exitCode}${o.stderr ? `; stderr: ${o.stderr.trim().slice(0, 200)}` : ''}`);
}

function printTable(t) {
  const all = [t.head, ...t.rows];
  const w = t.head.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  const line = (r) => '| ' + r.map((c, i) => String(c ?? '').padEnd(w[i])).join(' | ') + ' |';
  const sepLine = '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|';
  console.log(`\n### ${t.title}\n`);
  console.log(line(t.head));
  console.log(sepLine);
  for (const r of t.rows) console.log(line(r));
}

async function main() {
  // A global guard: the whole run stops by itself.
  const guard = setTimeout(() => {
    process.stderr.write('bench: global time limit (15 min) reached, aborting\n');
    process.exit(3);
  }, num('max-minutes', 15) * 60000);
  guard.unref();

  if (only.has('k8s')) {
    const flowRate = num('flow-rate', 0.1);
    const g = generateK8sManifest({ deployments: num('deployments', 2000), flowRate });
    await compareServers('k8s', {
      fileName: 'manifest.yaml',
      languageId: 'yaml',
      text: g.text,
      images: g.images,
      expectedOurs: g.images.filter((i) => i.thirdParty).length,
      description: `${g.documents} Deployments, ${g.lines} lines, ${(g.text.length / 1e6).toFixed(1)} MB, ${g.images.length} image refs, ${Math.round(flowRate * 100)}% of documents in flow style`,
    }, 'yaml', { first: 0.4, editP95: 0.05, rss: 0.2 });
  }
  if (only.has('docker')) {
    const g = generateDockerfile({ lines: num('dockerfile-lines', 300) });
    await compareServers('dockerfile', {
      fileName: 'Dockerfile',
      languageId: 'dockerfile',
      text: g.text,
      images: g.images,
      expectedOurs: g.images.filter((i) => i.thirdParty).length,
      description: `multi-stage Dockerfile, ${g.lines} lines, ${g.images.length} image refs`,
    }, 'docker', { first: 1.0, editP95: 1.0, rss: undefined });
  }
  if (only.has('scan')) await scanBench();

  console.log(`\n## ar-migrate benchmarks — ${raw.started} — ${raw.machine.cpus} CPUs (${raw.machine.cpuModel}), Node ${raw.machine.node}, load avg at start ${raw.machine.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
  console.log('Ratios are ours / peer (lower is better). Times are wall-clock as a client sees them.');
  for (const t of tables) printTable(t);
  if (notes.length) {
    console.log('\nNotes:');
    for (const n of notes) console.log(`- ${n}`);
  }
  for (const p of profiles) console.log(`\n${p}`);
  const total = (performance.now() - started) / 1000;
  console.log(`\nTotal bench time ${total.toFixed(0)} s. ${failures ? `${failures} target(s) missed.` : 'All measured targets met.'}`);
  raw.totalSeconds = total;
  raw.tables = tables;
  raw.notes = notes;
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(raw, null, 2));
    console.log(`Raw figures: ${args.json}`);
  }
  process.exitCode = args.strict && failures ? 1 : 0;
}

main().catch((e) => {
  console.error(`bench: ${e?.stack ?? e}`);
  process.exitCode = 2;
});
