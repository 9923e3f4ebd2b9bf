import * as assert from 'node:assert/strict';
import { BigQueryTestServer, QueryJobRequest, QueryResult, StaticTokenAuthClient } from '../../harness/bigqueryServer';
import { buildPullQuery, dryRunPullQuery, queryPullCounts } from '../../../server/src/pulls/bigquery';
import { windowFor } from '../../../server/src/pulls/counts';
import { PullError } from '../../../server/src/pulls/errors';

const TOKEN = 'test-token-123';
const NOW = new Date('2026-11-25T06:30:00Z');
const WINDOW = windowFor(NOW, 7);
const H = (iso: string) => Date.parse(iso) / 1000;

const SCHEMA = [
  { name: 'image', type: 'STRING' },
  { name: 'cluster', type: 'STRING' },
  { name: 'hour', type: 'INTEGER' },
  { name: 'pulls', type: 'INTEGER' },
  { name: 'first_seen', type: 'INTEGER' },
  { name: 'last_seen', type: 'INTEGER' },
];

function rows(): QueryResult['rows'] {
  return [
    { image: 'nginx:1.14.2', cluster: 'prod', hour: H('2026-11-24T10:00:00Z'), pulls: 30, first_seen: Date.parse('2026-11-24T10:01:00Z'), last_seen: Date.parse('2026-11-24T10:59:00Z') },
    { image: 'docker.io/library/nginx:1.14.2', cluster: 'staging', hour: H('2026-11-24T10:00:00Z'), pulls: 12, first_seen: Date.parse('2026-11-24T10:05:00Z'), last_seen: Date.parse('2026-11-24T10:50:00Z') },
    { image: 'nginx:1.14.2', cluster: 'prod', hour: H('2026-11-24T13:00:00Z'), pulls: 70, first_seen: Date.parse('2026-11-24T13:00:10Z'), last_seen: Date.parse('2026-11-24T13:40:00Z') },
    { image: 'nginx', cluster: 'prod', hour: H('2026-11-20T08:00:00Z'), pulls: 5, first_seen: Date.parse('2026-11-20T08:10:00Z'), last_seen: Date.parse('2026-11-20T08:20:00Z') },
    { image: 'quay.io/prometheus/node-exporter:v1.8.0', cluster: null, hour: H('2026-11-22T01:00:00Z'), pulls: 3, first_seen: Date.parse('2026-11-22T01:10:00Z'), last_seen: Date.parse('2026-11-22T01:20:00Z') },
  ];
}

describe('pulls/bigquery against a loopback BigQuery endpoint (real client)', function () {
  this.timeout(60_000);
  let server: BigQueryTestServer;
  let result: QueryResult = { schema: SCHEMA, rows: rows(), totalBytesProcessed: 123_456_789 };
  let failure: { status: number; reason: string; message: string; stage?: 'insert' | 'results' } | undefined;
  const conn = () => ({ apiEndpoint: server.url, authClient: new StaticTokenAuthClient(TOKEN), maxRetries: 0 });
  const settings = { dataset: 'my-proj.k8s_events', billingProject: 'billing-proj', location: 'EU' };

  before(async () => {
    server = await BigQueryTestServer.start({
      token: TOKEN,
      handler: (_req: QueryJobRequest) => (failure ? { error: failure } : result),
    });
  });
  after(async () => server.close());
  beforeEach(() => {
    failure = undefined;
    result = { schema: SCHEMA, rows: rows(), totalBytesProcessed: 123_456_789 };
    server.queries.length = 0;
    server.requests.length = 0;
  });

  it('sends one parameterised query with the window filter, reason filter and only the needed columns', async () => {
    const counts = await queryPullCounts(settings, WINDOW, conn());
    assert.equal(server.queries.length, 1);
    const q = server.queries[0];
    assert.equal(q.projectId, 'billing-proj');
    assert.equal(q.location, 'EU');
    assert.equal(q.dryRun, false);
    assert.equal(q.useLegacySql, false);
    assert.equal(q.parameterMode?.toUpperCase(), 'NAMED');
    assert.match(q.query, /FROM `my-proj\.k8s_events\.events_\*`/);
    assert.match(q.query, /_TABLE_SUFFIX BETWEEN @start AND @end/);
    assert.match(q.query, /jsonPayload\.reason = 'Pulling'/);
    assert.match(q.query, /REGEXP_EXTRACT\(jsonPayload\.message/);
    assert.match(q.query, /resource\.labels\.cluster_name/);
    assert.doesNotMatch(q.query, /SELECT \*/);
    // every column referenced is one of the needed ones
    const inner = q.query.slice(q.query.indexOf('FROM ('));
    const refs = inner.match(/\b(?:jsonPayload|resource|timestamp|receiveTimestamp|labels|httpRequest|protoPayload|textPayload)(?:\.[A-Za-z_]+)*/g) ?? [];
    for (const r of refs) assert.ok(['timestamp', 'jsonPayload.message', 'jsonPayload.reason', 'resource.labels.cluster_name'].includes(r), `unexpected column ${r}`);
    assert.deepEqual(q.params.start, { type: 'STRING', value: '20261118' });
    assert.deepEqual(q.params.end, { type: 'STRING', value: '20261125' });
    assert.equal(q.params.start_ts.type, 'TIMESTAMP');
    assert.equal(q.params.end_ts.type, 'TIMESTAMP');
    assert.equal(Date.parse(String(q.params.start_ts.value)), Date.parse('2026-11-18T06:30:00Z'));
    assert.equal(Date.parse(String(q.params.end_ts.value)), NOW.getTime());
    // bearer token from the auth client reached the endpoint
    assert.ok(server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));

    const nginx = counts.images['docker.io/library/nginx:1.14.2'];
    assert.equal(nginx.pulls, 112);
    assert.equal(nginx.peakPerHour, 70);
    assert.equal(nginx.peakHour, '2026-11-24T13:00:00.000Z');
    assert.deepEqual(nginx.clusters, { prod: 100, staging: 12 });
    assert.equal(nginx.firstSeen, '2026-11-24T10:01:00.000Z');
    assert.equal(nginx.lastSeen, '2026-11-24T13:40:00.000Z');
    assert.equal(counts.images['docker.io/library/nginx:latest'].pulls, 5);
    assert.equal(counts.repositories['docker.io/library/nginx'].pulls, 117);
    assert.deepEqual(counts.images['quay.io/prometheus/node-exporter:v1.8.0'].clusters, { '': 3 });
    assert.equal(counts.totalPulls, 120);
    assert.equal(counts.source.kind, 'bigquery');
    assert.equal(counts.source.table, 'my-proj.k8s_events.events_*');
    assert.equal(counts.source.bytesProcessed, 123_456_789);
  });

  it('reads every page (maxResults / pageToken) and waits for a running job', async () => {
    const many: QueryResult['rows'] = [];
    for (let i = 0; i < 250; i++) {
      many.push({ image: `registry.example.com/team/app${i % 10}:v${i}`, cluster: `c${i % 3}`, hour: H('2026-11-24T00:00:00Z') + 3600 * (i % 24), pulls: i + 1, first_seen: null, last_seen: null });
    }
    result = { schema: SCHEMA, rows: many, pendingPolls: 2 };
    const progress: number[] = [];
    const counts = await queryPullCounts({ ...settings, pageSize: 40 }, WINDOW, conn(), { onProgress: (n) => progress.push(n) });
    const pages = server.requests.filter((r) => /\/queries\//.test(r.path));
    assert.ok(pages.length >= 7 + 2, `expected 7 pages + 2 polls, got ${pages.length}`);
    assert.ok(pages.every((p) => p.query.maxResults === '40'));
    assert.ok(pages.some((p) => p.query.pageToken === 'page-80'));
    assert.equal(counts.totalPulls, (250 * 251) / 2);
    assert.equal(Object.keys(counts.images).length, 250);
    assert.equal(counts.repositories['registry.example.com/team/app3'].pulls, Array.from({ length: 25 }, (_, k) => 10 * k + 3 + 1).reduce((a, b) => a + b));
    assert.equal(progress[progress.length - 1], 250);
  });

  it('cancels the job when the signal is aborted while it runs', async () => {
    result = { schema: SCHEMA, rows: rows(), pendingPolls: 1000 };
    const ac = new AbortController();
    const p = queryPullCounts(settings, WINDOW, conn(), { signal: ac.signal });
    const t = setInterval(() => {
      if (server.requests.some((r) => /\/queries\//.test(r.path))) ac.abort();
    }, 20);
    try {
      await assert.rejects(p, (e: any) => e instanceof PullError && e.code === 'cancelled');
    } finally {
      clearInterval(t);
    }
    assert.ok(server.requests.some((r) => r.method === 'POST' && /\/jobs\/[^/]+\/cancel$/.test(r.path)), 'jobs.cancel was called');
  });

  it('harness also serves the client\'s jobs.query fast path (bigquery.query) with paging', async () => {
    const { BigQuery } = await import('@google-cloud/bigquery');
    const bq = new BigQuery({ projectId: 'billing-proj', apiEndpoint: server.url, authClient: new StaticTokenAuthClient(TOKEN) as any });
    const [out] = await bq.query({ query: 'SELECT 1', params: { x: 'y' }, maxResults: 2 } as any);
    assert.equal(out.length, 5);
    assert.equal(out[0].image, 'nginx:1.14.2');
    assert.equal(out[4].cluster, null);
    assert.equal(server.queries[0].via, 'jobs.query');
    assert.deepEqual(server.queries[0].params.x, { type: 'STRING', value: 'y' });
    assert.ok(server.requests.some((r) => r.method === 'GET' && /\/queries\//.test(r.path) && r.query.pageToken === 'page-2'), 'later pages fetched with pageToken');
  });

  it('uses a timestamp filter on a partitioned table', async () => {
    await queryPullCounts({ ...settings, partitioned: true, perCluster: false }, WINDOW, conn());
    const q = server.queries[0];
    assert.match(q.query, /FROM `my-proj\.k8s_events\.events`/);
    assert.match(q.query, /timestamp >= @start AND timestamp < @end/);
    assert.doesNotMatch(q.query, /_TABLE_SUFFIX/);
    assert.doesNotMatch(q.query, /cluster_name/);
    assert.equal(q.params.start.type, 'TIMESTAMP');
  });

  it('dry run returns the bytes the query would scan and runs nothing', async () => {
    result = { schema: SCHEMA, rows: [], totalBytesProcessed: 987_654_321 };
    const d = await dryRunPullQuery(settings, WINDOW, conn());
    assert.equal(d.bytes, 987_654_321);
    assert.equal(server.queries.length, 1);
    assert.equal(server.queries[0].dryRun, true);
    assert.match(server.queries[0].query, /_TABLE_SUFFIX BETWEEN @start AND @end/);
    assert.equal(server.jobs.size >= 0, true);
    assert.ok(!server.requests.some((r) => /\/queries\//.test(r.path)), 'no results read on a dry run');
  });

  const errorCases: Array<[string, { status: number; reason: string; message: string; stage?: 'insert' | 'results' }, string, RegExp]> = [
    ['dataset not found', { status: 404, reason: 'notFound', message: 'Not found: Dataset my-proj:k8s_events' }, 'not-found', /Dataset my-proj\.k8s_events not found/],
    ['table not found', { status: 404, reason: 'notFound', message: 'Not found: Table my-proj:k8s_events.events_* was not found in location EU' }, 'not-found', /Table my-proj\.k8s_events\.events_\* not found.*table prefix/],
    ['permission denied', { status: 403, reason: 'accessDenied', message: 'Access Denied: Project billing-proj: User does not have bigquery.jobs.create permission in project billing-proj.' }, 'permission-denied', /BigQuery Data Viewer.*BigQuery Job User/],
    ['quota exceeded', { status: 403, reason: 'quotaExceeded', message: 'Quota exceeded: Your project exceeded quota for free query bytes scanned.' }, 'quota', /quota/i],
    ['billing not enabled', { status: 403, reason: 'billingNotEnabled', message: 'Billing has not been enabled for this project. Enable billing at https://console.cloud.google.com/billing.' }, 'billing', /billing problem on project "billing-proj"/],
    ['job fails while running (table not found)', { status: 404, reason: 'notFound', message: 'Not found: Table my-proj:k8s_events.events_20261120', stage: 'results' }, 'not-found', /Table .* not found/],
    ['invalid query (not a logging table)', { status: 400, reason: 'invalidQuery', message: 'Unrecognized name: jsonPayload at [9:5]' }, 'invalid-query', /Cloud Logging sink table/],
  ];
  for (const [name, spec, code, re] of errorCases) {
    it(`reports ${name} clearly`, async () => {
      failure = spec;
      await assert.rejects(queryPullCounts(settings, WINDOW, conn()), (e: any) => {
        assert.ok(e instanceof PullError, String(e));
        assert.equal(e.code, code, e.message);
        assert.match(e.message, re);
        assert.doesNotMatch(e.message, new RegExp(TOKEN));
        return true;
      });
      if ((spec.stage ?? 'insert') === 'insert') {
        await assert.rejects(dryRunPullQuery(settings, WINDOW, conn()), (e: any) => e.code === code);
      }
    });
  }

  it('reports rejected credentials (401) with the gcloud command', async () => {
    await assert.rejects(queryPullCounts(settings, WINDOW, { apiEndpoint: server.url, authClient: new StaticTokenAuthClient('wrong'), maxRetries: 0 }), (e: any) => {
      assert.equal(e.code, 'unauthenticated');
      assert.match(e.message, /gcloud auth application-default login/);
      assert.doesNotMatch(e.message, /wrong/);
      return true;
    });
  });

  it('reports missing Application Default Credentials with the gcloud command', async () => {
    const saved = { ...process.env };
    const os = await import('node:os');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'no-adc-'));
    try {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.CLOUDSDK_CONFIG = tmp;
      process.env.HOME = tmp;
      process.env.METADATA_SERVER_DETECTION = 'none';
      await assert.rejects(queryPullCounts(settings, WINDOW, { apiEndpoint: server.url, maxRetries: 0 }), (e: any) => {
        assert.equal(e.code, 'no-credentials', e.message);
        assert.match(e.message, /gcloud auth application-default login/);
        return true;
      });
    } finally {
      for (const k of ['GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG', 'HOME', 'METADATA_SERVER_DETECTION']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('reports an unreachable endpoint as a network error', async () => {
    const dead = await BigQueryTestServer.start({ handler: () => result });
    const url = dead.url;
    await dead.close();
    await assert.rejects(queryPullCounts(settings, WINDOW, { apiEndpoint: url, authClient: new StaticTokenAuthClient(TOKEN), maxRetries: 0 }), (e: any) => e.code === 'network');
  });

  it('rejects invalid settings before calling BigQuery', () => {
    assert.throws(() => buildPullQuery({ dataset: 'nodot' }, WINDOW), /PROJECT\.DATASET/);
    assert.throws(() => buildPullQuery({ dataset: 'p-1.d', tablePrefix: 'x`; DROP' }, WINDOW), /Table prefix/);
    assert.throws(() => buildPullQuery({ dataset: 'p`x.d' }, WINDOW), /not a valid Google Cloud project ID/);
  });
});
