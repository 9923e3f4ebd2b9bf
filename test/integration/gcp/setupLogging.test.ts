import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeGcp } from '../../harness/gcpServer';
import { apiFor, captureIO } from './helpers';
import { PULL_EVENTS_FILTER, setupPullLogging } from '../../../server/src/gcp/logging';
import { GcpError } from '../../../server/src/gcp/errors';
import { main } from '../../../server/src/cli/main';

const WRITER_A = 'service-111111111111@gcp-sa-logging.iam.gserviceaccount.com';
const WRITER_B = 'service-222222222222@gcp-sa-logging.iam.gserviceaccount.com';

describe('setup-logging: sinks into BigQuery (loopback Google APIs)', function () {
  this.timeout(30000);
  let fake: FakeGcp;
  let tmp: string;
  beforeEach(async () => {
    fake = await FakeGcp.start();
    fake.addProject('cluster-a', '111111111111');
    fake.addProject('cluster-b', '222222222222');
    fake.addProject('logs-proj', '333333333333');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-logs-'));
  });
  afterEach(async () => {
    await fake.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('creates dataset, sinks and grants; a second run changes nothing', async () => {
    const api = apiFor(fake);
    const progress: string[] = [];
    const r1 = await setupPullLogging(api, {
      projects: ['cluster-a', 'cluster-b'],
      dataset: { project: 'logs-proj', datasetId: 'image_pulls' },
      location: 'EU',
      onProgress: (m) => progress.push(m),
    });
    assert.equal(r1.datasetCreated, true);
    assert.equal(r1.changed, true);
    assert.deepEqual(r1.sinks.map((s) => [s.project, s.action, s.grantAdded]), [
      ['cluster-a', 'created', true],
      ['cluster-b', 'created', true],
    ]);
    const ds = fake.datasets.get('logs-proj:image_pulls')!;
    assert.equal(ds.location, 'EU');
    for (const w of [WRITER_A, WRITER_B]) assert.ok(ds.access.some((e) => e.role === 'WRITER' && e.userByEmail === w), `grant for ${w}`);
    const sink = fake.sinks.get('projects/cluster-a/sinks/image_pull_logs')!;
    assert.equal(sink.filter, PULL_EVENTS_FILTER);
    assert.equal(sink.filter, 'resource.type="k8s_pod" jsonPayload.reason="Pulling"');
    assert.equal(sink.destination, 'bigquery.googleapis.com/projects/logs-proj/datasets/image_pulls');
    assert.equal(sink.writerIdentity, `serviceAccount:${WRITER_A}`);
    for (const c of fake.requestsTo('logging', 'POST')) assert.equal(c.query.uniqueWriterIdentity, 'true');
    assert.deepEqual(r1.pullCountSettings, {
      'arMigrate.pullCounts.source': 'bigquery',
      'arMigrate.pullCounts.bigquery.dataset': 'logs-proj.image_pulls',
      'arMigrate.pullCounts.bigquery.location': 'EU',
      'arMigrate.pullCounts.bigquery.partitioned': true,
      table: 'logs-proj.image_pulls.events',
      cli: 'ar-migrate pulls --bigquery logs-proj.image_pulls --location EU --partitioned',
    });
    assert.ok(progress.length >= 3);

    const writesBefore = fake.requests.filter((r) => r.method !== 'GET').length;
    const r2 = await setupPullLogging(api, { projects: ['cluster-a', 'cluster-b'], dataset: { project: 'logs-proj', datasetId: 'image_pulls' } });
    assert.equal(r2.changed, false);
    assert.deepEqual(r2.sinks.map((s) => s.action), ['unchanged', 'unchanged']);
    assert.equal(fake.requests.filter((r) => r.method !== 'GET').length, writesBefore, 'no writes on the second run');
  });

  it('fixes a sink with another filter/destination and adds only the missing grant', async () => {
    fake.addDataset('logs-proj', 'image_pulls', 'US', [
      { role: 'OWNER', specialGroup: 'projectOwners' },
      { role: 'roles/bigquery.dataEditor', iamMember: `serviceAccount:${WRITER_B}` },
    ]);
    fake.sinks.set('projects/cluster-a/sinks/image_pull_logs', {
      name: 'image_pull_logs',
      destination: 'bigquery.googleapis.com/projects/logs-proj/datasets/old',
      filter: 'resource.type="k8s_pod"',
      writerIdentity: `serviceAccount:${WRITER_A}`,
      createTime: '2024-01-01T00:00:00Z',
      updateTime: '2024-01-01T00:00:00Z',
    });
    fake.sinks.set('projects/cluster-b/sinks/image_pull_logs', {
      name: 'image_pull_logs',
      destination: 'bigquery.googleapis.com/projects/logs-proj/datasets/image_pulls',
      filter: 'resource.type = "k8s_pod"   jsonPayload.reason = "Pulling"',
      writerIdentity: `serviceAccount:${WRITER_B}`,
      createTime: '2024-01-01T00:00:00Z',
      updateTime: '2024-01-01T00:00:00Z',
    });
    const r = await setupPullLogging(apiFor(fake), { projects: ['cluster-a', 'cluster-b'], dataset: { project: 'logs-proj', datasetId: 'image_pulls' } });
    assert.equal(r.datasetCreated, false);
    assert.equal(r.sinks[0].action, 'updated');
    assert.deepEqual(r.sinks[0].changed, ['destination', 'filter']);
    assert.equal(r.sinks[1].action, 'unchanged', 'whitespace-only filter differences are the same filter');
    assert.deepEqual(r.sinks.map((s) => s.grantAdded), [true, false]);
    const put = fake.requestsTo('logging', 'PUT')[0];
    assert.equal(put.query.updateMask, 'destination,filter');
    assert.equal(put.query.uniqueWriterIdentity, 'true');
    assert.equal(fake.sinks.get('projects/cluster-a/sinks/image_pull_logs')!.filter, PULL_EVENTS_FILTER);
    assert.equal(r.pullCountSettings['arMigrate.pullCounts.bigquery.partitioned'], false);
    const patch = fake.requestsTo('bigquery', 'PATCH');
    assert.equal(patch.length, 1);
  });

  it('explains a disabled Logging API and a missing permission', async () => {
    fake.disableService('cluster-b', 'logging');
    await assert.rejects(
      setupPullLogging(apiFor(fake), { projects: ['cluster-a', 'cluster-b'], dataset: { project: 'logs-proj', datasetId: 'pulls' } }),
      (e: GcpError) => e.kind === 'service-disabled' && e.fix === 'gcloud services enable logging.googleapis.com --project cluster-b',
    );
    fake.denied.add('logging.sinks.create');
    await assert.rejects(
      setupPullLogging(apiFor(fake), { projects: ['cluster-a'], sinkName: 'second_sink', dataset: { project: 'logs-proj', datasetId: 'pulls' } }),
      (e: GcpError) => e.kind === 'permission-denied' && /logging\.sinks\.create/.test(e.message) && /cluster-a/.test(e.message),
    );
    fake.denied.add('bigquery.datasets.create');
    await assert.rejects(
      setupPullLogging(apiFor(fake), { projects: ['cluster-a'], dataset: { project: 'logs-proj', datasetId: 'other' } }),
      (e: GcpError) => e.kind === 'permission-denied' && /create BigQuery dataset logs-proj\.other/.test(e.message),
    );
  });

  it('CLI: prints what it did, then "Nothing to change", and the pull-count settings', async () => {
    const env = fake.cliEnv(tmp);
    let c = captureIO(env, tmp);
    let code = await main(['setup-logging', '--projects', 'cluster-a,cluster-b', '--dataset', 'logs-proj.image_pulls', '--location', 'US'], c.io);
    assert.equal(code, 0, c.err());
    assert.match(c.out(), /Created BigQuery dataset logs-proj\.image_pulls/);
    assert.match(c.out(), /Sink image_pull_logs in cluster-a: created/);
    assert.match(c.out(), /granted write access/);
    assert.match(c.out(), /"arMigrate\.pullCounts\.bigquery\.dataset": "logs-proj\.image_pulls"/);
    c = captureIO(env, tmp);
    code = await main(['setup-logging', '--projects', 'cluster-a,cluster-b', '--dataset', 'logs-proj.image_pulls'], c.io);
    assert.equal(code, 0);
    assert.match(c.out(), /Nothing to change/);
    c = captureIO(env, tmp);
    code = await main(['setup-logging', '--projects', 'cluster-a', '--projects', 'cluster-b', '--dataset', 'logs-proj.image_pulls', '--json'], c.io);
    assert.equal(code, 0);
    const j = JSON.parse(c.out());
    assert.equal(j.changed, false);
    assert.deepEqual(j.sinks.map((s: { writerIdentity: string }) => s.writerIdentity), [`serviceAccount:${WRITER_A}`, `serviceAccount:${WRITER_B}`]);
    c = captureIO(env, tmp);
    code = await main(['setup-logging', '--projects', 'cluster-a', '--dataset', 'image_pulls'], c.io);
    assert.equal(code, 2);
    assert.match(c.err(), /expected PROJECT\.DATASET/);
    c = captureIO(env, tmp);
    code = await main(['setup-logging', '--dataset', 'logs-proj.x'], c.io);
    assert.equal(code, 2);
    assert.match(c.err(), /--projects is required/);
  });
});
