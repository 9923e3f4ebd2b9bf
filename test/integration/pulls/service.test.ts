import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BigQueryTestServer, QueryResult, StaticTokenAuthClient } from '../../harness/bigqueryServer';
import { PullCountService } from '../../../server/src/pulls/service';
import { cachePath } from '../../../server/src/pulls/cache';
import { addPullsToFindings, pullCountsFromSpec } from '../../../server/src/pulls';
import { PullError } from '../../../server/src/pulls/errors';

const TOKEN = 'svc-token';
const SCHEMA = [
  { name: 'image', type: 'STRING' },
  { name: 'cluster', type: 'STRING' },
  { name: 'hour', type: 'INTEGER' },
  { name: 'pulls', type: 'INTEGER' },
  { name: 'first_seen', type: 'INTEGER' },
  { name: 'last_seen', type: 'INTEGER' },
];
const FIX = path.join(__dirname, '../../fixtures/pulls');
const finding = (normalized: string, kind: any = 'k8s') => ({ kind, thirdParty: true, ignored: false, normalized, registry: normalized.split('/')[0] });

describe('pulls/service PullCountService', function () {
  this.timeout(60_000);
  let server: BigQueryTestServer;
  let tmp: string;
  let pulls = 150;
  let fail: any;
  let clock = new Date('2026-11-25T12:00:00Z');
  const now = () => clock;

  before(async () => {
    server = await BigQueryTestServer.start({
      token: TOKEN,
      handler: (): QueryResult | { error: any } =>
        fail
          ? { error: fail }
          : {
              schema: SCHEMA,
              totalBytesProcessed: 42_000_000,
              rows: [{ image: 'nginx:1.27', cluster: 'prod', hour: Date.parse('2026-11-25T09:00:00Z') / 1000, pulls, first_seen: Date.parse('2026-11-25T09:01:00Z'), last_seen: Date.parse('2026-11-25T09:59:00Z') }],
            },
    });
  });
  after(async () => server.close());
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pulls-svc-'));
    server.queries.length = 0;
    fail = undefined;
    pulls = 150;
    clock = new Date('2026-11-25T12:00:00Z');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const make = (extra: any = {}, opts: any = {}) =>
    new PullCountService(
      { bigqueryDataset: 'my-proj.k8s_events', windowDays: 7, maxAgeMinutes: 60, ...extra },
      { now, cacheDir: tmp, connection: { apiEndpoint: server.url, authClient: new StaticTokenAuthClient(TOKEN), maxRetries: 0 }, ...opts },
    );

  it('says why there are no counts when no source is configured, and callers still work', async () => {
    const s = new PullCountService({}, { cacheDir: tmp });
    const st = await s.ensureFresh();
    assert.equal(st.state, 'disabled');
    assert.match(st.message, /no pull count source configured/);
    assert.equal(s.statsFor('nginx'), undefined);
    assert.equal(s.severityFor(finding('docker.io/library/nginx:latest')), 'default');
    assert.equal(s.inlayLabel(finding('docker.io/library/nginx:latest')), undefined);
    assert.match(s.hoverMarkdown(finding('docker.io/library/nginx:latest')), /no counts available — no pull count source configured/);
  });

  it('dry-runs before the first query, queries once, caches on disk and reuses the cache until it is old', async () => {
    const estimates: number[] = [];
    const s = make({}, { confirmFirstRun: (e: any) => (estimates.push(e.bytes), true) });
    assert.equal(s.isFirstRun(), true);
    const st = await s.ensureFresh();
    assert.equal(st.state, 'ready', st.message);
    assert.deepEqual(estimates, [42_000_000]);
    assert.deepEqual(server.queries.map((q) => q.dryRun), [true, false]);
    assert.equal(s.statsFor('nginx:1.27')?.pulls, 150);
    assert.equal(s.statsFor('docker.io/library/nginx:1.27')?.pulls, 150);
    assert.equal(s.statsFor('nginx:1.99')?.pulls, 0, 'zero stats for an image not pulled');
    assert.equal(s.severityFor(finding('docker.io/library/nginx:1.27')), 'error', '150 pulls in 6 h > 100');
    assert.equal(s.severityFor(finding('docker.io/library/nginx:1.99')), 'information');
    assert.equal(s.inlayLabel(finding('docker.io/library/nginx:1.27')), '150 pulls / 7 d');
    assert.match(s.hoverMarkdown(finding('docker.io/library/nginx:1.27', 'cloudrun')), /Cloud Run/);
    assert.ok(fs.existsSync(cachePath(tmp, s.cacheKey())));
    const cached = JSON.parse(fs.readFileSync(cachePath(tmp, s.cacheKey()), 'utf8'));
    assert.equal(cached.counts.window.days, 7);
    assert.equal(cached.fetchedAt, cached.counts.source.fetchedAt);

    // A new service (e.g. after a restart) loads the disk cache without querying.
    server.queries.length = 0;
    const s2 = make({}, { now: () => new Date(Date.now()) });
    assert.equal(s2.isFirstRun(), false);
    const st2 = await s2.ensureFresh();
    assert.equal(server.queries.length, 0);
    assert.equal(st2.source.fromCache, true);
    assert.equal(s2.statsFor('nginx:1.27')?.pulls, 150);

    // Older than maxAgeMinutes: refreshed (no dry run this time).
    pulls = 10;
    const s3 = make({}, { now: () => new Date(Date.now() + 2 * 3600_000) });
    await s3.ensureFresh();
    assert.deepEqual(server.queries.map((q) => q.dryRun), [false]);
    assert.equal(s3.statsFor('nginx:1.27')?.pulls, 10);
    assert.equal(s3.status().source.fromCache, undefined);
  });

  it('shares one run between concurrent refreshes and notifies listeners', async () => {
    const s = make();
    const seen: string[] = [];
    s.onDidChange((st) => seen.push(st.state));
    const [a, b] = await Promise.all([s.refresh(), s.refresh()]);
    assert.equal(a, b);
    assert.equal(server.queries.filter((q) => !q.dryRun).length, 1);
    assert.ok(seen.includes('ready'));
  });

  it('keeps working and reports the error when BigQuery fails', async () => {
    fail = { status: 403, reason: 'accessDenied', message: 'Access Denied: Dataset my-proj:k8s_events' };
    const s = make();
    const st = await s.ensureFresh();
    assert.equal(st.state, 'error');
    assert.equal(st.error?.code, 'permission-denied');
    assert.match(st.message, /BigQuery Data Viewer/);
    assert.equal(s.statsFor('nginx'), undefined);
    assert.match(s.hoverMarkdown(finding('docker.io/library/nginx:latest')), /Permission denied/);
    // after the problem is fixed, a refresh succeeds
    fail = undefined;
    assert.equal((await s.refresh()).state, 'ready');
  });

  it('keeps the previous counts when a later refresh fails', async () => {
    const s = make();
    await s.refresh();
    fail = { status: 403, reason: 'quotaExceeded', message: 'Quota exceeded' };
    const st = await s.refresh();
    assert.equal(st.state, 'ready');
    assert.equal(st.error?.code, 'quota');
    assert.match(st.message, /refresh failed/);
    assert.equal(s.statsFor('nginx:1.27')?.pulls, 150);
  });

  it('skips the first query when not confirmed', async () => {
    const s = make({}, { confirmFirstRun: () => false });
    const st = await s.ensureFresh();
    assert.equal(st.state, 'error');
    assert.equal(st.error?.code, 'not-confirmed');
    assert.match(st.message, /42\.0 MB/);
    assert.deepEqual(server.queries.map((q) => q.dryRun), [true]);
  });

  it('reads a log file source relative to the workspace, with the window relative to now', async () => {
    clock = new Date('2026-11-25T00:00:00Z');
    const s = new PullCountService({ logFile: 'gcloud-events.json', windowDays: 7 }, { now, cacheDir: tmp, workspaceRoot: FIX });
    const st = await s.ensureFresh();
    assert.equal(st.state, 'ready', st.message);
    assert.equal(s.statsFor('nginx:1.14.2')?.pulls, 2);
    assert.equal(s.repositoryFor('nginx:whatever')?.pulls, 3);
    clock = new Date('2026-11-25T00:00:00Z');
    const s30 = new PullCountService({ logFile: path.join(FIX, 'gcloud-events.json'), windowDays: 30 }, { now, cacheDir: tmp });
    await s30.refresh();
    assert.equal(s30.repositoryFor('nginx')?.pulls, 4);
  });

  it('reads a log file again when it changed on disk', async () => {
    const f = path.join(tmp, 'events.ndjson');
    const line = (img: string) => JSON.stringify({ timestamp: '2026-11-24T10:00:00Z', jsonPayload: { reason: 'Pulling', message: `Pulling image "${img}"` } }) + '\n';
    fs.writeFileSync(f, line('nginx:1'));
    const s = new PullCountService({ logFile: f, maxAgeMinutes: 600 }, { now, cacheDir: tmp });
    await s.ensureFresh();
    assert.equal(s.statsFor('nginx:1')?.pulls, 1);
    await s.ensureFresh();
    assert.equal(s.statsFor('nginx:1')?.pulls, 1);
    fs.appendFileSync(f, line('nginx:1') + line('nginx:1'));
    await s.ensureFresh();
    assert.equal(s.statsFor('nginx:1')?.pulls, 3);
  });

  it('reports an unreadable log file in the status', async () => {
    const s = new PullCountService({ logFile: path.join(tmp, 'missing.json') }, { cacheDir: tmp });
    const st = await s.ensureFresh();
    assert.equal(st.state, 'error');
    assert.equal(st.error?.code, 'file-unreadable');
    assert.match(st.message, /missing\.json: file not found/);
  });

  it('pullCountsFromSpec (scan --pulls-from) loads a log file or a bq: dataset', async () => {
    const lf = await pullCountsFromSpec('gcloud-events.json', { cwd: FIX, now: new Date('2026-11-25T00:00:00Z'), days: 7 });
    assert.equal(lf.counts.totalPulls, 4);
    const withPulls = addPullsToFindings([finding('docker.io/library/nginx:1.14.2')], lf.counts, lf.limits);
    assert.equal(withPulls[0].pulls?.pulls, 2);
    assert.equal(withPulls[0].pulls?.repositoryPulls, 3);

    const bq = await pullCountsFromSpec('bq:my-proj.k8s_events', { now: clock, connection: { apiEndpoint: server.url, authClient: new StaticTokenAuthClient(TOKEN), maxRetries: 0 } });
    assert.equal(bq.counts.images['docker.io/library/nginx:1.27'].pulls, 150);
    assert.deepEqual(server.queries.map((q) => q.dryRun), [false], 'no cache use, no dry run for scan');

    await assert.rejects(pullCountsFromSpec(path.join(tmp, 'nope.json')), (e: any) => e instanceof PullError && e.code === 'file-unreadable');
  });
});
