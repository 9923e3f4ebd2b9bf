import * as assert from 'node:assert/strict';
import { CountsBuilder, HOUR_MS, maxPullsInWindow, registryHourly, windowFor } from '../../../server/src/pulls/counts';
import { assessRisk, buildLimits, limitFor, severityFor, validateLimits } from '../../../server/src/pulls/limits';
import { formatBytes, hoverMarkdown, inlayLabel } from '../../../server/src/pulls/text';
import { addPullsToFindings, settingsFromSpec } from '../../../server/src/pulls';

const T0 = Date.parse('2026-11-24T00:00:00Z');
const WINDOW = windowFor(new Date('2026-11-25T00:00:00Z'), 7);

function statsWith(perHour: Array<[number, number]>, image = 'nginx:1.27') {
  const b = new CountsBuilder();
  for (const [h, n] of perHour) b.add(image, T0 + h * HOUR_MS + 60_000, 'prod', n);
  const c = b.build(WINDOW, { kind: 'logFile', description: 'log file x.json', file: 'x.json', fetchedAt: '2026-11-25T00:00:00Z' });
  return { counts: c, stats: Object.values(c.images)[0] };
}

const finding = { kind: 'k8s' as const, thirdParty: true, ignored: false, normalized: 'docker.io/library/nginx:1.27', registry: 'docker.io' };

describe('pulls/limits', () => {
  it('finds the busiest sliding window of hours', () => {
    assert.deepEqual(maxPullsInWindow({}, 6), { pulls: 0, start: undefined });
    const h = (i: number) => String(Math.floor(T0 / HOUR_MS) + i);
    const r = maxPullsInWindow({ [h(0)]: 50, [h(5)]: 40, [h(6)]: 30, [h(11)]: 5, [h(20)]: 60 }, 6);
    assert.equal(r.pulls, 90); // hours 0..5 or 5..10 (40+30=70): 0..5 = 90
    assert.equal(r.start, new Date(T0).toISOString());
    const r2 = maxPullsInWindow({ [h(0)]: 10, [h(6)]: 10 }, 6);
    assert.equal(r2.pulls, 10, 'hours 0 and 6 are not in one 6-hour window');
  });

  it('has Docker Hub defaults, configurable and extendable', () => {
    assert.equal(limitFor('docker.io', buildLimits())?.pulls, 100);
    assert.equal(limitFor('index.docker.io', buildLimits())?.pulls, 100);
    assert.equal(limitFor('docker.io', buildLimits({ auth: 'authenticated' }))?.pulls, 200);
    assert.equal(limitFor('quay.io', buildLimits()), undefined);
    const { limits, errors } = validateLimits([{ registry: 'ghcr.io', pulls: 10, windowHours: 1 }, { registry: 'docker.io', pulls: 500, windowHours: 6 }, { registry: 'x', pulls: -1 }]);
    assert.equal(errors.length, 1);
    const table = buildLimits({ extra: limits });
    assert.equal(limitFor('ghcr.io', table)?.pulls, 10);
    assert.equal(limitFor('docker.io', table)?.pulls, 500, 'a user entry replaces the built-in one');
    assert.equal(limitFor('registry.corp.example:5000', buildLimits({ extra: [{ registry: '*.corp.example', pulls: 5, windowHours: 1 }] }))?.pulls, 5);
  });

  it('severityFor: error above the limit window, information at zero pulls, default otherwise', () => {
    const limits = buildLimits();
    const busy = statsWith([[0, 60], [3, 50]]).stats; // 110 in 6 h > 100
    assert.equal(assessRisk(busy, limits).maxInWindow, 110);
    assert.equal(severityFor(finding, busy, limits), 'error');
    const spread = statsWith([[0, 60], [8, 50]]).stats; // never more than 60 in 6 h
    assert.equal(severityFor(finding, spread, limits), 'default');
    const zero = { ...busy, pulls: 0, hourly: {}, peakPerHour: 0, clusters: {} };
    assert.equal(severityFor(finding, zero, limits), 'information');
    assert.equal(severityFor(finding, undefined, limits), 'default', 'no counts available');
    assert.equal(severityFor({ ...finding, kind: 'cloudrun' }, zero, limits), 'default', 'Cloud Run has no pull events');
    assert.equal(severityFor(finding, busy, buildLimits({ auth: 'authenticated' })), 'default', '110 < 200');
    // Stats without an hour histogram: the peak hour scaled to the window, capped by the total.
    assert.equal(severityFor(finding, { pulls: 150, peakPerHour: 30, registry: 'docker.io' }, limits), 'error');
    assert.equal(severityFor(finding, { pulls: 90, peakPerHour: 30 }, limits), 'default', 'at most 90 in any window');
    assert.equal(severityFor(finding, { pulls: 500, peakPerHour: 10 }), 'default', '10/h x 6 h = 60 < 100 (default limits)');
    const quay = statsWith([[0, 500]], 'quay.io/a/b:1').stats;
    assert.equal(severityFor({ ...finding, registry: 'quay.io' }, quay, limits), 'default', 'no limit known for quay.io');
  });
});

describe('pulls/text', () => {
  it('inlay labels', () => {
    const { stats } = statsWith([[0, 1000], [1, 204]]);
    assert.equal(inlayLabel(stats, WINDOW), '1,204 pulls / 7 d');
    assert.equal(inlayLabel({ ...stats, pulls: 1 }, 7), '1 pull / 7 d');
    assert.equal(inlayLabel({ ...stats, pulls: 0 }, 30), '0 pulls / 30 d');
    assert.equal(inlayLabel(undefined, 7), undefined);
    assert.match(inlayLabel(stats, 7, { kind: 'cloudrun' })!, /Cloud Run/);
  });

  it('hover shows pulls, peak, repository total, clusters, limit and source', () => {
    const b = new CountsBuilder();
    b.add('nginx:1.27', T0 + 10 * 60_000, 'prod', 70, T0 + 60_000, T0 + 50 * 60_000);
    b.add('docker.io/library/nginx:1.27', T0 + 2 * HOUR_MS, 'staging', 50);
    b.add('nginx:1.26', T0 + 3 * HOUR_MS, 'prod', 5);
    const counts = b.build(WINDOW, { kind: 'bigquery', description: 'BigQuery p.d.events_*', table: 'p.d.events_*', fetchedAt: '2026-11-25T00:00:00Z', fromCache: true });
    const stats = counts.images['docker.io/library/nginx:1.27'];
    const md = hoverMarkdown(stats, { repository: counts.repositories['docker.io/library/nginx'], source: counts.source, window: counts.window, limits: buildLimits() });
    assert.match(md, /\*\*Pulls \(last 7 days\):\*\* 120 — peak 70\/hour \(2026-11-24 00:00 UTC\)/);
    assert.match(md, /All tags of nginx:\*\* 125 \(2 tags\)/);
    assert.match(md, /Clusters:\*\* prod 70 · staging 50/);
    assert.match(md, /First \/ last seen:\*\* 2026-11-24 00:01 UTC … 2026-11-24 02:00 UTC/);
    assert.match(md, /Docker Hub anonymous \(per IP\) limit:\*\* 100 pulls \/ 6 h — busiest 6 h: 120 \(\*\*exceeds the limit\*\*/);
    assert.match(md, /_From BigQuery `p\.d\.events_\*` · fetched 2026-11-25 00:00 UTC \(cached\)_/);

    const other = new CountsBuilder();
    other.add('redis:7', T0, 'prod', 90);
    other.add('nginx:1.27', T0 + HOUR_MS, 'prod', 30);
    const oc = other.build(WINDOW, { kind: 'none', description: '' });
    const md2 = hoverMarkdown(oc.images['docker.io/library/nginx:1.27'], { limits: buildLimits(), registryHourly: registryHourly(oc, 'docker.io') });
    assert.match(md2, /busiest 6 h: 30 \(30% of the limit\)/);
    assert.match(md2, /All images from docker\.io:\*\* busiest 6 h: 120 — over the limit if the pulls share an IP/);

    assert.match(hoverMarkdown(undefined, { unavailable: 'no BigQuery dataset set' }), /no counts available — no BigQuery dataset set/);
    assert.match(hoverMarkdown({ ...stats, pulls: 0 }, { window: WINDOW }), /none — `nginx:1.27` was not pulled/);
    const cr = hoverMarkdown({ ...stats, pulls: 0 }, { finding: { kind: 'cloudrun' } });
    assert.match(cr, /Cloud Run/);
    assert.doesNotMatch(cr, /\b0\b/);
  });

  it('formats bytes', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1_234_567_890), '1.23 GB');
  });
});

describe('pulls/index scan helpers', () => {
  it('adds pull stats to findings by normalised reference', () => {
    const { counts } = statsWith([[0, 60], [3, 50]]);
    const out = addPullsToFindings(
      [
        { ...finding, normalized: 'docker.io/library/nginx:1.27' },
        { ...finding, normalized: 'docker.io/library/nginx:1.28' },
        { ...finding, kind: 'cloudrun' as const, normalized: 'docker.io/library/nginx:1.27' },
        { ...finding, normalized: undefined },
      ],
      counts,
    );
    assert.equal(out[0].pulls?.pulls, 110);
    assert.equal(out[0].pulls?.severity, 'error');
    assert.equal(out[0].pulls?.maxInLimitWindow, 110);
    assert.equal(out[1].pulls?.pulls, 0);
    assert.equal(out[1].pulls?.repositoryPulls, 110);
    assert.equal(out[1].pulls?.severity, 'information');
    assert.match(out[2].pulls?.note ?? '', /Cloud Run/);
    assert.equal(out[3].pulls, undefined);
  });

  it('parses --pulls-from specs', () => {
    assert.deepEqual(settingsFromSpec('bq:my-proj.logs'), { source: 'bigquery', bigqueryDataset: 'my-proj.logs', logFile: undefined });
    assert.equal(settingsFromSpec('exports/events.json').logFile, 'exports/events.json');
  });
});
