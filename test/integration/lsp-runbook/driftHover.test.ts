/**
 * Drift hover text and the Re-mirror quick fix for every cached status
 * (the plug-in functions, on findings from the real extractor).
 */
import assert from 'node:assert/strict';
import { DriftCache, driftCodeActions, driftHover } from '../../../server/src/lsp/runbook/drift';
import { defaultSettings, EffectiveSettings, mergeSettings } from '../../../server/src/lsp/settings';
import { scanText } from '../../../server/src/workspace/scan';

const BASE = 'us-docker.pkg.dev/p-proj/mirror';
const settings = new EffectiveSettings(mergeSettings(defaultSettings(), { target: BASE }));
const text = `FROM ${BASE}/nginx:1.27\nFROM ${BASE}/redis:7@sha256:${'b'.repeat(64)}\nFROM us-docker.pkg.dev/other-proj/apps/api:3\nFROM nginx:1.27\n`;
const findings = scanText('/ws/Dockerfile', text, settings.policy).findings;
const input = (i: number) => ({ finding: findings[i], state: undefined as any, settings });
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

function cacheWith(status: any, extra: Record<string, unknown> = {}, mirror = `${BASE}/nginx:1.27`): DriftCache {
  const c = new DriftCache();
  c.store({
    checkedAt: new Date().toISOString(),
    targets: [BASE],
    entries: [{ mirror, upstream: 'docker.io/library/nginx:1.27', status, references: [], ...extra }],
    summary: { 'in-sync': 0, drifted: 0, 'upstream-missing': 0, 'mirror-missing': 0, error: 0, unchecked: 0, references: 0 },
  });
  return c;
}

describe('drift hover and Re-mirror quick fix (runbook plug-in)', () => {
  it('only mirrored references under the target get a drift section', () => {
    const c = new DriftCache();
    assert.match(driftHover(c, input(0), true)!, /^\*\*Drift:\*\* not checked\. Refresh with \*\*AR Migrate: Check drift\*\*/);
    assert.equal(driftHover(c, input(2), true), undefined, 'other first-party registry');
    assert.equal(driftHover(c, input(3), true), undefined, 'third-party');
  });

  it('says in sync / drifted (both digests) / missing / gone / error, with when and how to refresh', () => {
    assert.match(driftHover(cacheWith('in-sync', { upstreamDigest: A, mirrorDigest: A }), input(0), true)!, /Drift: in sync.*docker\.io\/library\/nginx:1\.27.*sha256:aaaaaaaaaaaa….*checked just now.*Check drift/);
    const drifted = driftHover(cacheWith('drifted', { upstreamDigest: A, mirrorDigest: B }), input(0), true)!;
    assert.match(drifted, /Drift: drifted.*is now `sha256:aaaaaaaaaaaa…`, the mirror has `sha256:bbbbbbbbbbbb…`/);
    assert.match(drifted, /Re-mirror from upstream/);
    assert.match(driftHover(cacheWith('mirror-missing', { reason: 'x:1.27 is not in the mirror' }), input(0), true)!, /missing from the mirror.*x:1\.27 is not in the mirror/);
    assert.match(driftHover(cacheWith('upstream-missing', { mirrorDigest: B }), input(0), true)!, /upstream gone/);
    assert.match(driftHover(cacheWith('error', { reason: 'HEAD https://x: 503' }), input(0), true)!, /could not check.*503/);
  });

  it('offers Re-mirror only for drifted or missing mirrors, only when trusted, only as a quick fix', () => {
    const params = (only?: string[]) => ({ textDocument: { uri: 'file:///ws/Dockerfile' }, range: findings[0].range, context: { diagnostics: [], ...(only ? { only } : {}) } });
    const ci = (only?: string[]) => ({ params: params(only), state: undefined as any, settings, findings: [findings[0]] });
    const drifted = cacheWith('drifted', { upstreamDigest: A, mirrorDigest: B });
    const a = driftCodeActions(drifted, ci(), true);
    assert.equal(a.length, 1);
    assert.equal(a[0].kind, 'quickfix');
    assert.deepEqual(a[0].command!.arguments, [{ mirror: `${BASE}/nginx:1.27`, upstream: 'docker.io/library/nginx:1.27' }]);
    assert.equal(driftCodeActions(drifted, ci(['source']), true).length, 0);
    assert.equal(driftCodeActions(drifted, ci(['quickfix']), true).length, 1);
    assert.equal(driftCodeActions(drifted, ci(), false).length, 0);
    assert.equal(driftCodeActions(cacheWith('in-sync'), ci(), true).length, 0);
    assert.equal(driftCodeActions(cacheWith('mirror-missing'), ci(), true).length, 1);
  });

  it('after a re-mirror the status is cleared and the hover says so', () => {
    const c = cacheWith('drifted', { upstreamDigest: A, mirrorDigest: B });
    c.clear(`${BASE}/nginx:1.27`, A);
    const h = driftHover(c, input(0), true)!;
    assert.match(h, /re-mirrored from upstream just now \(now `sha256:aaaaaaaaaaaa…`\)/);
    assert.doesNotMatch(h, /drifted/);
    assert.match(driftHover(new DriftCache(), input(0), false)!, /needs a trusted workspace/);
  });
});
