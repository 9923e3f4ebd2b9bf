// Mirror bench: our copier (bin/ar-migrate.js mirror, as a child process) vs
// `skopeo copy --all`, between two loopback docker-registry instances
// started here. Prints a table of wall times, ratios, digests and peak RSS.
//
//   (a) 4-platform OCI index, 3 x 20 MiB layers per platform (240 MiB)
//   (b) the same copy again: the destination already has everything
//   (c) one 300 MiB layer (peak RSS of our copier must stay <= 100 MB)
//
// Both tools run as a user runs them: ours is `node bin/ar-migrate.js mirror`
// (the installed command), skopeo is the Debian binary, each a child process
// with the same environment, interleaved (the order alternates per round).
// Every figure is a median; the wall-time spread (min-max) and CPU time
// (user+sys, GNU time) are shown too, as wall time is noisy on a shared machine.
//
// Env: BENCH_REPS (default 5) rounds per tool for a, each followed by
//      BENCH_REPS_B (default 3) runs of b; BENCH_REPS_C (default 2) for c;
//      BENCH_LAYER_MIB (20), BENCH_BIG_MIB (300) to scale down on a busy machine.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startRegistry } from './mirror/registry.mjs';
import { headDigest, pushIndex, pushSingle } from './mirror/images.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const bin = path.join(root, 'bin', 'ar-migrate.js');
const REPS = Number(process.env.BENCH_REPS ?? 5);
const REPS_B = Math.max(1, Number(process.env.BENCH_REPS_B ?? 3));
const REPS_C = Number(process.env.BENCH_REPS_C ?? 2);
const LAYER = Number(process.env.BENCH_LAYER_MIB ?? 20) * 1024 * 1024;
const BIG = Number(process.env.BENCH_BIG_MIB ?? 300) * 1024 * 1024;
const TIME_BIN = '/usr/bin/time';

if (!fs.existsSync(cli)) {
  console.error(`${cli} is missing: run \`npm run build\` first (npm run bench:mirror does).`);
  process.exit(2);
}

/** Runs a command; returns wall seconds, peak RSS (MB, from GNU time when present), exit code, output. */
function measure(cmd, args, env = process.env) {
  return new Promise((resolve) => {
    const tmp = path.join(os.tmpdir(), `armig-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const useTime = fs.existsSync(TIME_BIN);
    const argv = useTime ? ['-f', '%M %U %S', '-o', tmp, cmd, ...args] : args;
    const bin = useTime ? TIME_BIN : cmd;
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, HOME: env.HOME ?? os.homedir() } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-8000)));
    child.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      let rssMb;
      let cpu;
      if (useTime) {
        try {
          const [kb, user, sys] = fs.readFileSync(tmp, 'utf8').trim().split(/\n/).pop().split(/\s+/).map(Number);
          if (Number.isFinite(kb)) rssMb = kb / 1024;
          if (Number.isFinite(user) && Number.isFinite(sys)) cpu = user + sys;
        } catch {
          // no figure
        }
        fs.rmSync(tmp, { force: true });
      }
      resolve({ secs, rssMb, cpu, code, out, err });
    });
  });
}

/** The mirror engine bundled from source, for in-process (library API) timings. */
async function loadEngine() {
  const esbuild = await import('esbuild');
  const out = path.join(os.tmpdir(), `armig-bench-engine-${process.pid}.cjs`);
  await esbuild.build({ entryPoints: [path.join(root, 'server/src/registry/index.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, logLevel: 'warning' });
  const engine = createRequire(import.meta.url)(out);
  fs.rmSync(out, { force: true });
  return engine;
}

const ours = (src, dst) => measure(process.execPath, [bin, 'mirror', src, dst, '--json']);
const skopeo = (src, dst) => measure('skopeo', ['copy', '--all', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src}`, `docker://${dst}`]);

const spread = (xs) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function run() {
  console.error('starting registries...');
  const src = await startRegistry('src');
  const rows = [];
  let failed = false;
  let dst;
  let startup;
  try {
    console.error(`pushing (a) 4 platforms x 3 x ${LAYER >> 20} MiB ...`);
    const digestA = await pushIndex(src.url, 'bench/multi', 'v1', ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/s390x'], 3, LAYER);
    console.error(`pushing (c) one ${BIG >> 20} MiB layer ...`);
    const digestC = await pushSingle(src.url, 'bench/big', 'v1', BIG);

    let inproc = { a: [], b: [] };
    const runs = { a: { ours: [], skopeo: [] }, b: { ours: [], skopeo: [] }, c: { ours: [], skopeo: [] } };
    const digestsOk = { a: true, b: true, c: true };
    const check = async (scenario, tool, r, repo, want) => {
      if (r.code !== 0) {
        console.error(`${tool} failed on (${scenario}) with exit ${r.code}:\n${r.err}`);
        digestsOk[scenario] = false;
        failed = true;
        return;
      }
      const got = await headDigest(dst.url, repo, 'v1');
      if (got !== want) {
        console.error(`(${scenario}) ${tool}: target digest ${got} != source ${want}`);
        digestsOk[scenario] = false;
      }
      runs[scenario][tool].push(r);
      // retries are part of the measured time; say so when one happened
      if (tool === 'ours' && /^\s*retry \d+ in /m.test(r.err)) console.error(`(${scenario}) ours retried a request:\n${r.err.split('\n').filter((l) => /retry \d+ in /.test(l)).join('\n')}`);
    };
    // A fresh destination registry for every run: skopeo remembers where it
    // pushed blobs (blob-info cache) and would mount them on a later run to
    // the same registry, which is not the copy being measured.
    const freshDst = async () => {
      if (dst) await dst.stop();
      dst = await startRegistry('dst');
    };

    for (let i = 0; i < REPS; i++) {
      const order = i % 2 === 0 ? ['ours', 'skopeo'] : ['skopeo', 'ours'];
      for (const tool of order) {
        await freshDst();
        const repo = `${tool}/multi-${i}`;
        const fn = tool === 'ours' ? ours : skopeo;
        console.error(`(a) ${tool} run ${i + 1}/${REPS}`);
        await check('a', tool, await fn(`${src.host}/bench/multi:v1`, `${dst.host}/${repo}:v1`), repo, digestA);
        for (let j = 0; j < REPS_B; j++) {
          console.error(`(b) ${tool} run ${i * REPS_B + j + 1}/${REPS * REPS_B}`);
          await check('b', tool, await fn(`${src.host}/bench/multi:v1`, `${dst.host}/${repo}:v1`), repo, digestA);
        }
      }
    }
    // the same copies through the library API, inside this process (how the
    // language server runs them: no process start-up)
    const engine = await loadEngine();
    inproc = { a: [], b: [] };
    for (let i = 0; i < REPS; i++) {
      await freshDst();
      const repo = `lib/multi-${i}`;
      for (const s of ['a', 'b']) {
        console.error(`(${s}) library API in-process run ${i + 1}/${REPS}`);
        const t0 = process.hrtime.bigint();
        const r = await engine.copyImage(`${src.host}/bench/multi:v1`, `${dst.host}/${repo}:v1`, { credentials: engine.anonymousCredentials });
        inproc[s].push(Number(process.hrtime.bigint() - t0) / 1e9);
        if (r.targetDigest !== digestA || (await headDigest(dst.url, repo, 'v1')) !== digestA) digestsOk[s] = false;
      }
    }

    for (let i = 0; i < REPS_C; i++) {
      const order = i % 2 === 0 ? ['ours', 'skopeo'] : ['skopeo', 'ours'];
      for (const tool of order) {
        await freshDst();
        const repo = `${tool}/big-${i}`;
        const fn = tool === 'ours' ? ours : skopeo;
        console.error(`(c) ${tool} run ${i + 1}/${REPS_C}`);
        await check('c', tool, await fn(`${src.host}/bench/big:v1`, `${dst.host}/${repo}:v1`), repo, digestC);
      }
    }

    // reference: the floor of any Node process (with this environment, and
    // without NODE_EXTRA_CA_CERTS, which Node 20 parses at every start when
    // set) and the dispatcher alone; interleaved, 7 runs each
    const floor = [];
    const floorNoCa = [];
    const load = [];
    const withoutCa = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'));
    for (let i = 0; i < 7; i++) {
      floor.push(await measure(process.execPath, ['-e', '0']));
      if (process.env.NODE_EXTRA_CA_CERTS) floorNoCa.push(await measure(process.execPath, ['-e', '0'], withoutCa));
      load.push(await measure(process.execPath, [bin, '--version']));
    }
    const fig = (rs) => ({ secs: median(rs.map((r) => r.secs)), cpu: median(rs.map((r) => r.cpu ?? 0)) });
    startup = { node: fig(floor), noCa: floorNoCa.length ? fig(floorNoCa) : undefined, cli: fig(load) };

    const labels = {
      a: `(a) 4 platforms x 3 x ${LAYER >> 20} MiB`,
      b: '(b) again, target has everything',
      c: `(c) one ${BIG >> 20} MiB layer`,
    };
    for (const s of ['a', 'b', 'c']) {
      const o = runs[s].ours;
      const k = runs[s].skopeo;
      if (!o.length || !k.length) {
        rows.push({ s, label: labels[s], missing: true });
        continue;
      }
      const ot = median(o.map((r) => r.secs));
      const kt = median(k.map((r) => r.secs));
      const orss = Math.max(...o.map((r) => r.rssMb ?? 0));
      const krss = Math.max(...k.map((r) => r.rssMb ?? 0));
      const ocpu = median(o.map((r) => r.cpu ?? 0));
      const kcpu = median(k.map((r) => r.cpu ?? 0));
      const lib = inproc[s]?.length ? median(inproc[s]) : undefined;
      rows.push({ s, label: labels[s], n: o.length, ot, kt, ratio: ot / kt, orss, krss, ocpu, kcpu, lib, digests: digestsOk[s], ospread: spread(o.map((r) => r.secs)), kspread: spread(k.map((r) => r.secs)) });
    }
  } finally {
    await Promise.all([src.stop(), dst?.stop()]);
  }

  const pad = (x, n) => String(x).padEnd(n);
  const lpad = (x, n) => String(x).padStart(n);
  console.log('');
  console.log(`mirror bench: medians of ${REPS} runs (a), ${REPS * REPS_B} runs (b) and ${REPS_C} runs (c) per tool; ${os.cpus().length} CPUs; loopback registries`);
  console.log(pad('scenario', 36) + lpad('runs', 5) + lpad('ours s', 9) + lpad('skopeo s', 10) + lpad('ratio', 8) + lpad('target', 8) + lpad('digests', 9) + lpad('ours RSS', 10) + lpad('skopeo RSS', 12) + lpad('CPU s ours/skopeo', 19) + lpad('wall min-max ours | skopeo', 28) + lpad('in-process s (ratio)', 22) + '  result');
  let allPass = !failed;
  for (const r of rows) {
    if (r.missing) {
      console.log(pad(r.label, 36) + '  (a tool failed; see above)');
      allPass = false;
      continue;
    }
    const timeOk = r.ratio <= 1.0;
    const rssOk = r.s !== 'c' || r.orss <= 100;
    const pass = timeOk && rssOk && r.digests;
    if (!pass) allPass = false;
    console.log(
      pad(r.label, 36) +
        lpad(r.n, 5) +
        lpad(r.ot.toFixed(2), 9) +
        lpad(r.kt.toFixed(2), 10) +
        lpad(r.ratio.toFixed(2) + 'x', 8) +
        lpad('<=1.0x', 8) +
        lpad(r.digests ? 'equal' : 'DIFFER', 9) +
        lpad(r.orss ? `${r.orss.toFixed(0)} MB` : '?', 10) +
        lpad(r.krss ? `${r.krss.toFixed(0)} MB` : '?', 12) +
        lpad(`${r.ocpu.toFixed(2)}/${r.kcpu.toFixed(2)}`, 19) +
        lpad(`${r.ospread} | ${r.kspread}`, 28) +
        lpad(r.lib !== undefined ? `${r.lib.toFixed(2)} (${(r.lib / r.kt).toFixed(2)}x)` : '-', 22) +
        '  ' +
        (pass ? 'PASS' : `FAIL${!timeOk ? ' (slower)' : ''}${!rssOk ? ' (RSS > 100 MB)' : ''}${!r.digests ? ' (digest)' : ''}`),
    );
  }
  console.log('"ours" = `node bin/ar-migrate.js mirror SRC DST --json` as a child process (what a user runs); the result column judges it.');
  console.log('"in-process" = the same copy through the library API inside an already running Node process (how the language server runs it).');
  console.log('(c) target: peak RSS of our copier <= 100 MB.');
  if (startup) {
    const f = (x) => `${x.secs.toFixed(3)} s wall / ${x.cpu.toFixed(2)} s CPU`;
    console.log(`start-up on this machine (medians): \`node -e 0\` ${f(startup.node)}; \`ar-migrate --version\` ${f(startup.cli)} (included in every "ours" time).`);
    if (startup.noCa) {
      console.log(`NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS} is set: Node 20 parses it at every start; \`node -e 0\` without it: ${f(startup.noCa)}. All "ours" runs above keep it set, as a user's shell would.`);
    }
  }
  console.log(`load average now: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (timings are noisy on a shared machine).`);
  process.exitCode = allPass ? 0 : 1;
}

run().catch((e) => {
  console.error(e?.stack ?? e);
  process.exitCode = 1;
});
