import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildPullQuery, parseDataset, shardPrefix } from '../../../server/src/pulls/bigquery';
import { windowFor } from '../../../server/src/pulls/counts';
import { PullCountService, resolveSource, settingsFromEditor } from '../../../server/src/pulls/service';

const WINDOW = windowFor(new Date('2026-11-25T00:00:00Z'), 7);

describe('pulls/settings', () => {
  it('parses dataset spellings', () => {
    assert.deepEqual(parseDataset('my-proj.logs'), { project: 'my-proj', datasetId: 'logs' });
    assert.deepEqual(parseDataset('my-proj:logs'), { project: 'my-proj', datasetId: 'logs' });
    assert.deepEqual(parseDataset('example.com:my-proj.logs'), { project: 'example.com:my-proj', datasetId: 'logs' });
    assert.deepEqual(parseDataset('logs', 'bill-proj'), { project: 'bill-proj', datasetId: 'logs' });
    assert.throws(() => parseDataset('logs'), /PROJECT\.DATASET/);
  });

  it('treats the prefix `events` like `events_`', () => {
    assert.equal(shardPrefix(undefined), 'events_');
    assert.equal(shardPrefix('events'), 'events_');
    assert.equal(shardPrefix('k8s_events_'), 'k8s_events_');
    assert.match(buildPullQuery({ dataset: 'logs', billingProject: 'bill-proj', tablePrefix: 'events' }, WINDOW).sql, /FROM `bill-proj\.logs\.events_\*`/);
    assert.match(buildPullQuery({ dataset: 'p-1.logs', tablePrefix: 'events_', partitioned: true }, WINDOW).sql, /FROM `p-1\.logs\.events`/);
  });

  it('maps the editor settings section (nested or dotted) onto PullSettings', () => {
    const nested = settingsFromEditor(
      { pullCounts: { source: 'bigquery', bigquery: { dataset: 'p-1.logs', billingProject: 'bill', location: 'EU', tablePrefix: 'events', partitioned: true }, windowDays: 30, maxAge: 60 } },
      { storagePath: '/tmp/store' },
    );
    assert.equal(nested.source, 'bigquery');
    assert.equal(nested.bigqueryDataset, 'p-1.logs');
    assert.equal(nested.billingProject, 'bill');
    assert.equal(nested.location, 'EU');
    assert.equal(nested.partitioned, true);
    assert.equal(nested.windowDays, 30);
    assert.equal(nested.maxAgeMinutes, 60);
    assert.equal(nested.cacheDir, path.join('/tmp/store', 'pull-counts'));
    const dotted = settingsFromEditor({ 'pullCounts.source': 'logFile', 'pullCounts.logFile': 'exports/events.json', 'pullCounts.windowDays': 7 });
    assert.equal(dotted.source, 'logFile');
    assert.equal(dotted.logFile, 'exports/events.json');
    const spec = resolveSource(dotted, { workspaceRoot: '/ws' });
    assert.deepEqual(spec, { kind: 'logFile', file: path.join('/ws', 'exports/events.json') });
  });

  it('reads no source in an untrusted workspace and says why', () => {
    const s = settingsFromEditor({ pullCounts: { source: 'logFile', logFile: '/etc/passwd' } }, { trusted: false });
    const svc = new PullCountService(s, { diskCache: false });
    assert.equal(svc.status().state, 'disabled');
    assert.match(svc.status().message, /not trusted/);
  });

  it('source none says pull counts are off', () => {
    const svc = new PullCountService(settingsFromEditor({ pullCounts: { source: 'none', bigquery: { dataset: 'p-1.d' } } }), { diskCache: false });
    assert.match(svc.status().message, /turned off/);
  });
});
