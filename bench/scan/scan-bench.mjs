// Scan benchmark: `ar-migrate scan ROOT --json` versus the grep pipeline a runbook
// would use, on a generated repository-like tree. Checks that every reference the
// generator planted outside ignored folders (node_modules, .git) is reported.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { summarizeCpuProfile } from '../lib/cpuprofile.mjs';
import { generateTree } from '../lib/gen/tree.mjs';
import { median, min } from '../lib/stats.mjs';

/**
 * The runbook's pipeline, literally (run by /bin/sh in the tree's root): every
 * FROM line and every `image:` line in Dockerfiles and YAML, skipping vendored
 * and VCS folders, sorted into a file for review.
 */
export const GREP_PIPELINE =
  "grep -rinE --include='Dockerfile' --include='Dockerfile.*' --include='*.Dockerfile' --include='*.dockerfile' " +
  "--include='*.yaml' --include='*.yml' --exclude-dir=node_modules --exclude-dir=.git " +
  "'^\\s*FROM\\s|image:' . | sort > \"$OUT\"";

const shq = (x) => `'${String(x).replace(/'/g, `'\\''`)}'`;

/**
 * Runs a shell command line with /bin/sh, stdout to a file; resolves with wall time and
 * the CPU time (user + sys) of the command's processes, from the shell's `times` builtin.
 * Bounded by timeoutMs.
 */
function timed(commandLine, { cwd, outFile, env, timeoutMs }) {
  return new Promise((resolve) => {
    const fd = openSync(outFile, 'w');
    const t0 = performance.now();
    const p = spawn('/bin/sh', ['-c', `${commandLine}\nrc=$?; times >&2; exit $rc`], { cwd, env, stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (c) => {
      stderr += c;
      if (stderr.length > 8000) stderr = stderr.slice(-4000);
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      closeSync(fd);
      resolve({ ms: NaN, cpuMs: NaN, code: -1, stderr: e.message });
    });
    p.on('exit', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      closeSync(fd);
      // Last line of `times`: children's user and system time, e.g. "0m1.234000s 0m0.120000s".
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(stderr);
      const cpuMs = m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 : NaN;
      if (m) stderr = stderr.slice(0, m.index).replace(/\d+m[\d.]+s\s+\d+m[\d.]+s\s*$/, '');
      resolve({ ms, cpuMs, code, signal, stderr });
    });
  });
}

/**
 * Collects reported references from the scan's JSON, whatever its exact nesting:
 * any object carrying a line (1-based `line`, or LSP-style 0-based `range.start.line`)
 * with a file path on itself or on an enclosing object.
 * @returns {{file:string, line:number, text?:string, thirdParty?:boolean}[]}
 */
export function collectReported(json, root) {
  const out = [];
  const norm = (p) => {
    let s = String(p);
    if (s.startsWith('file://')) s = fileURLToPath(s);
    if (isAbsolute(s)) s = relative(root, s);
    return s.split(sep).join('/').replace(/^\.\//, '');
  };
  const visit = (v, file) => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, file);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const f = v.file ?? v.path ?? v.fileName ?? v.uri;
    const here = typeof f === 'string' ? norm(f) : file;
    let line;
    if (typeof v.line === 'number') line = v.line;
    else if (typeof v.range?.start?.line === 'number') line = v.range.start.line + 1;
    const text = v.text ?? v.image ?? v.reference ?? v.normalized ?? v.resolved;
    if (line !== undefined && here && typeof text === 'string') {
      out.push({ file: here, line, text, thirdParty: v.thirdParty });
    }
    for (const [k, x] of Object.entries(v)) if (k !== 'range' && x && typeof x === 'object') visit(x, here);
  };
  visit(json, undefined);
  return out;
}

const isIgnoredPath = (f) => /(^|\/)(node_modules|\.git)\//.test(f);

/**
 * @param {object} o
 * @param {string} o.root repository root (for bin/ar-migrate.js)
 * @param {number} [o.files]
 * @param {number} [o.runs] timed runs per tool (best and median reported)
 * @param {boolean} [o.profile] one more run under node --cpu-prof, summarised into res.ours.profile
 * @param {(s:string)=>void} [o.log]
 */
export async function runScanBench({ root, files = 20000, runs = 3, profile = false, log = () => {} }) {
  const work = mkdtempSync(join(tmpdir(), 'arm-bench-scan-'));
  const tree = join(work, 'repo');
  const res = { files, planted: 0, ours: {}, grep: {}, error: undefined };
  try {
    const t0 = performance.now();
    const g = await generateTree(tree, { files });
    res.generateMs = performance.now() - t0;
    res.planted = g.planted.length;
    res.plantedThirdParty = g.planted.filter((p) => p.thirdParty).length;
    res.decoys = g.decoys;
    res.ignoredFiles = g.ignoredFiles;
    log(`scan: generated ${g.files} files (${g.planted.length} planted references, ${g.decoys} decoys in node_modules/.git) in ${(res.generateMs / 1000).toFixed(1)} s`);

    const grepOut = join(work, 'grep.txt');
    const oursOut = join(work, 'ours.json');
    const grepRun = () => timed(GREP_PIPELINE, { cwd: tree, outFile: join(work, 'sh.txt'), env: { ...process.env, OUT: grepOut, LC_ALL: 'C' }, timeoutMs: 120000 });
    // Exactly the documented command (third-party references only, the default); cwd = tree root.
    const oursRun = (extra = [], outFile = oursOut) =>
      timed([process.execPath, join(root, 'bin/ar-migrate.js'), 'scan', tree, '--json', ...extra].map(shq).join(' '), { cwd: tree, outFile, env: process.env, timeoutMs: 180000 });

    // Warm-up (page cache), then alternate the tools. Our warm-up run uses --all: its output
    // is the recall check over every planted reference (first-party included).
    const allOut = join(work, 'ours-all.json');
    await grepRun();
    const allRun = await oursRun(['--all'], allOut);
    log(`scan: warm-up ar-migrate (--all) exit ${allRun.code} in ${(allRun.ms / 1000).toFixed(2)} s`);
    const gT = [];
    const oT = [];
    const gC = [];
    const oC = [];
    let last;
    for (let i = 0; i < runs; i++) {
      const a = await grepRun();
      if (Number.isFinite(a.ms)) gT.push(a.ms);
      if (Number.isFinite(a.cpuMs)) gC.push(a.cpuMs);
      last = await oursRun();
      if (Number.isFinite(last.ms) && last.code !== null && last.code <= 1) {
        oT.push(last.ms);
        if (Number.isFinite(last.cpuMs)) oC.push(last.cpuMs);
      }
    }
    res.grep = { bestMs: min(gT), medianMs: median(gT), runs: gT, cpuBestMs: min(gC), cpuRuns: gC };
    res.ours = { bestMs: min(oT), medianMs: median(oT), runs: oT, cpuBestMs: min(oC), cpuRuns: oC, exitCode: last?.code, stderr: last?.stderr?.slice(0, 600) };

    // ---- grep: what the runbook produces (lines to review by hand) ----
    const grepLines = readFileSync(grepOut, 'utf8').split('\n').filter(Boolean);
    const grepKeys = new Set(grepLines.map((l) => {
      const m = /^\.\/(.*?):(\d+):/.exec(l);
      return m ? `${m[1]}:${m[2]}` : '';
    }));
    res.grep.lines = grepLines.length;
    res.grep.lineRecall = g.planted.filter((p) => grepKeys.has(`${p.file}:${p.line}`)).length / g.planted.length;

    // ---- ours: recall over planted references ----
    // Default output (timed): third-party references -> recall over planted third-party refs.
    // `--all` (the warm-up run): every planted reference, first-party included.
    const key = (x) => `${x.file}:${x.line}`;
    const plantedKeys = new Set(g.planted.map(key));
    const check = (file, planted, exit) => {
      let json;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        return { error: `scan --json output is not JSON (exit ${exit?.code}): ${String(e.message).slice(0, 200)}; stderr: ${exit?.stderr?.slice(0, 300)}` };
      }
      const reported = collectReported(json, tree);
      const reportedKeys = new Set(reported.map(key));
      const missed = planted.filter((p) => !reportedKeys.has(key(p)));
      const unexpected = reported.filter((r) => !isIgnoredPath(r.file) && !plantedKeys.has(key(r)));
      const textMismatch = planted.filter((p) => reported.some((r) => key(r) === key(p) && r.text !== p.text));
      return {
        reported: reported.length,
        expected: planted.length,
        recall: (planted.length - missed.length) / planted.length,
        missedSample: missed.slice(0, 8),
        missedByKind: missed.reduce((m, p) => ((m[p.kind] = (m[p.kind] ?? 0) + 1), m), {}),
        ignoredHits: reported.filter((r) => isIgnoredPath(r.file)).length,
        unexpected: unexpected.length,
        unexpectedSample: unexpected.slice(0, 5),
        textMismatch: textMismatch.length,
        reportedFirstParty: reported.filter((r) => r.thirdParty === false).length,
      };
    };
    res.ours.thirdParty = check(oursOut, g.planted.filter((p) => p.thirdParty), last);
    res.ours.all = check(allOut, g.planted, allRun);
    res.ours.error = res.ours.thirdParty.error ?? res.ours.all.error;
    if (profile) {
      const profDir = join(work, 'prof');
      const pr = await timed(
        [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250', join(root, 'bin/ar-migrate.js'), 'scan', tree, '--json'].map(shq).join(' '),
        { cwd: tree, outFile: join(work, 'prof.json'), env: process.env, timeoutMs: 180000 },
      );
      const fs = existsSync(profDir) ? readdirSync(profDir).filter((x) => x.endsWith('.cpuprofile')) : [];
      if (fs.length) res.ours.profile = { wallMs: pr.ms, threads: fs.length, ...summarizeCpuProfile(fs.map((f) => join(profDir, f)), { root, top: 15 }) };
    }
    return res;
  } catch (e) {
    res.error = e instanceof Error ? e.stack ?? e.message : String(e);
    return res;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
