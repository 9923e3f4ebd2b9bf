import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { BigQueryTestServer } from '../../harness/bigqueryServer';
import { main } from '../../../server/src/cli/main';

const FIX = path.join(__dirname, '../../fixtures/pulls');
const TOKEN = 'cli-token';

async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}, stdin?: NodeJS.ReadableStream) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const io = { stdout, stderr, cwd: FIX, env, signal: new AbortController().signal, isTTY: false, stdin };
  const code = await main(['pulls', ...argv], io);
  return { code, out, err };
}

describe('ar-migrate pulls (CLI)', function () {
  this.timeout(60_000);
  let tmp: string;
  let server: BigQueryTestServer;
  before(async () => {
    server = await BigQueryTestServer.start({
      token: TOKEN,
      handler: () => ({
        schema: [
          { name: 'image', type: 'STRING' },
          { name: 'cluster', type: 'STRING' },
          { name: 'hour', type: 'INTEGER' },
          { name: 'pulls', type: 'INTEGER' },
          { name: 'first_seen', type: 'INTEGER' },
          { name: 'last_seen', type: 'INTEGER' },
        ],
        totalBytesProcessed: 5_000_000_000,
        rows: [
          { image: 'nginx:1.27', cluster: 'prod', hour: 1764061200, pulls: 1204, first_seen: 1764061200000, last_seen: 1764064000000 },
          { image: 'us-docker.pkg.dev/p/r/app:1', cluster: 'prod', hour: 1764061200, pulls: 7, first_seen: 1764061200000, last_seen: 1764061300000 },
        ],
      }),
    });
  });
  after(async () => server.close());
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pulls-cli-'));
    server.queries.length = 0;
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prints images by pulls from a log file, as JSON with normalised images', async () => {
    const r = await runCli(['--log-file', 'events.ndjson', '--days', '100000', '--json'], { XDG_CACHE_HOME: tmp });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.images[0].image, 'docker.io/library/redis:7');
    assert.deepEqual(Object.keys(j.images[0]).slice(0, 8), ['image', 'repository', 'registry', 'thirdParty', 'pulls', 'peakPerHour', 'firstSeen', 'lastSeen']);
    assert.equal(j.images[0].pulls, 2);
    assert.equal(j.images[0].repository, 'docker.io/library/redis');
    assert.equal(j.images[0].registry, 'docker.io');
    assert.equal(j.images[0].thirdParty, true);
    assert.equal(j.images[0].peakPerHour, 2);
    assert.equal(j.images[0].firstSeen, '2026-11-24T10:00:00.000Z');
    assert.equal(j.source.kind, 'logFile');
    assert.equal(j.source.file, path.join(FIX, 'events.ndjson'));
  });

  it('prints a table with peak per hour and registry', async () => {
    const r = await runCli(['--log-file', path.join(FIX, 'gcloud-events.json'), '--days=100000'], { XDG_CACHE_HOME: tmp });
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.match(lines[0], /^IMAGE\s+PULLS\s+PEAK\/H\s+REGISTRY\s+LAST SEEN\s+RISK$/);
    assert.match(lines[1], /^nginx:1\.14\.2\s+2\s+2\s+docker\.io\s+2026-11-24 10:39 UTC\s+2\/100 per 6 h$/);
    assert.match(r.out, /5 pulls of 3 images/);
  });

  it('computes the window relative to --now', async () => {
    const r = await runCli(['--log-file', 'gcloud-events.json', '--now', '2026-11-25T00:00:00Z', '--json'], { XDG_CACHE_HOME: tmp });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.window.end, '2026-11-25T00:00:00.000Z');
    assert.equal(j.window.start, '2026-11-18T00:00:00.000Z');
    assert.equal(j.totalPulls, 4, 'the 2026-11-01 event is outside the 7-day window');
    const r2 = await runCli(['--log-file', 'gcloud-events.json', '--now', '2026-11-25T00:00:00Z', '--days', '30', '--json'], { XDG_CACHE_HOME: tmp });
    assert.equal(JSON.parse(r2.out).totalPulls, 5);
    assert.equal((await runCli(['--log-file', 'gcloud-events.json', '--now', 'yesterday'])).code, 2);
  });

  it('reads the export from standard input with --log-file -', async () => {
    const text = fs.readFileSync(path.join(FIX, 'gcloud-events.json'), 'utf8');
    const chunks = [text.slice(0, 100), text.slice(100, 1000), text.slice(1000)];
    const r = await runCli(['--log-file', '-', '--now', '2026-11-25T00:00:00Z', '--json'], { XDG_CACHE_HOME: tmp }, Readable.from(chunks.map((c) => Buffer.from(c))));
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.totalPulls, 4);
    assert.equal(j.source.file, '<stdin>');
  });

  it('reports warnings for a half-written file but prints what it read', async () => {
    const r = await runCli(['--log-file', 'truncated.json', '--days', '100000', '--json'], { XDG_CACHE_HOME: tmp });
    assert.equal(r.code, 0);
    assert.equal(JSON.parse(r.out).images[0].pulls, 2);
    assert.match(r.err, /truncated\.json:1[23]:/);
  });

  it('fails clearly for a missing file and for usage errors', async () => {
    const r = await runCli(['--log-file', 'nope.json'], { XDG_CACHE_HOME: tmp });
    assert.equal(r.code, 1);
    assert.match(r.err, /Cannot read log file .*nope\.json: file not found/);
    assert.equal((await runCli([])).code, 2);
    assert.equal((await runCli(['--log-file', 'a', '--bigquery', 'p.d'])).code, 2);
    assert.equal((await runCli(['--log-file', 'a', '--days', 'x'])).code, 2);
    assert.equal((await runCli(['--log-file', 'a', '--dry-run'])).code, 2);
    assert.equal((await runCli(['--bogus'])).code, 2);
  });

  it('a --cache-dir that cannot be created (/proc/x) gives one warning naming it and still prints the counts', async () => {
    for (const extra of [[], ['--max-age', '60']]) {
      const r = await runCli(['--log-file', 'events.ndjson', '--days', '100000', '--json', '--cache-dir', '/proc/x/cache', ...extra], { XDG_CACHE_HOME: tmp });
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).images[0].image, 'docker.io/library/redis:7');
      const warnings = r.err.split('\n').filter((l) => l.includes('/proc/x/cache'));
      assert.equal(warnings.length, 1, r.err);
      assert.match(warnings[0], /^warning: cannot use \/proc\/x\/cache as the pull count cache directory \(.+\); pull counts are not cached$/);
    }
  });

  it('queries BigQuery (dry run first, then one query) with the given options', async () => {
    const env = { XDG_CACHE_HOME: tmp, GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN };
    const r = await runCli(['--bigquery', 'my-proj.logs', '--billing-project', 'bill-proj', '--location', 'EU', '--table-prefix', 'k8s_events_', '--days', '3', '--json', '--endpoint', server.url], env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /will scan 5\.00 GB/);
    assert.deepEqual(server.queries.map((q) => q.dryRun), [true, false]);
    const q = server.queries[1];
    assert.equal(q.projectId, 'bill-proj');
    assert.equal(q.location, 'EU');
    assert.match(q.query, /FROM `my-proj\.logs\.k8s_events_\*`/);
    const j = JSON.parse(r.out);
    assert.equal(j.images[0].image, 'docker.io/library/nginx:1.27');
    assert.equal(j.images[0].pulls, 1204);
    assert.equal(j.images[1].thirdParty, false);
    assert.equal(j.source.kind, 'bigquery');
    // second run: cache exists, so no dry run
    server.queries.length = 0;
    const r2 = await runCli(['--bigquery', 'my-proj.logs', '--billing-project', 'bill-proj', '--location', 'EU', '--table-prefix', 'k8s_events_', '--days', '3', '--endpoint', server.url], env);
    assert.equal(r2.code, 0, r2.err);
    assert.deepEqual(server.queries.map((q) => q.dryRun), [false]);
    assert.match(r2.out, /nginx:1\.27\s+1,204\s+1,204\s+docker\.io/);
    assert.match(r2.out, /EXCEEDS 1,204\/100 per 6 h/);
  });

  it('--dry-run prints the bytes and runs nothing; --partitioned switches the filter', async () => {
    const env = { XDG_CACHE_HOME: tmp, GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN, AR_MIGRATE_BIGQUERY_ENDPOINT: server.url };
    const r = await runCli(['--bigquery', 'my-proj.logs', '--dry-run', '--partitioned'], env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /would scan 5\.00 GB \(5,000,000,000 bytes\)/);
    assert.deepEqual(server.queries.map((q) => q.dryRun), [true]);
    assert.match(server.queries[0].query, /timestamp >= @start AND timestamp < @end/);
  });

  it('reports BigQuery errors with exit code 1', async () => {
    const r = await runCli(['--bigquery', 'my-proj.logs', '--json', '--endpoint', server.url], { XDG_CACHE_HOME: tmp, GOOGLE_OAUTH_ACCESS_TOKEN: 'wrong-token' });
    assert.equal(r.code, 1);
    assert.match(r.err, /gcloud auth application-default login/);
    assert.doesNotMatch(r.err + r.out, /wrong-token/);
  });
});
