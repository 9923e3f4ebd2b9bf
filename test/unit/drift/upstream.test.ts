import * as assert from 'node:assert/strict';
import { checkDrift, hasDrift, remirrorPairs, upstreamName } from '../../../server/src/drift';
import { Policy } from '../../../server/src/references/policy';
import { scanText } from '../../../server/src/workspace/scan';

const BASE = 'us-docker.pkg.dev/my-project/mirror';

describe('drift: mapping mirror names back to upstream', () => {
  it('inverts the default path mapping', () => {
    assert.equal(upstreamName(`${BASE}/nginx`, BASE), 'docker.io/library/nginx');
    assert.equal(upstreamName(`${BASE}/bitnami/redis`, BASE), 'docker.io/bitnami/redis');
    assert.equal(upstreamName(`${BASE}/quay.io/prometheus/node-exporter`, BASE), 'quay.io/prometheus/node-exporter');
    assert.equal(upstreamName(`${BASE}/ghcr.io/a/b/c`, BASE), 'ghcr.io/a/b/c');
    assert.equal(upstreamName(`${BASE}/localhost-5000/team/app`, BASE), 'localhost:5000/team/app');
    assert.equal(upstreamName(`${BASE}/127.0.0.1-41234/library/web`, BASE), '127.0.0.1:41234/library/web');
    assert.equal(upstreamName(`${BASE}/library/nginx`, BASE), undefined, 'BASE/library/nginx is not where docker.io/library/nginx goes');
    assert.equal(upstreamName('us-docker.pkg.dev/other-proj/mirror/nginx', BASE), undefined);
    assert.equal(upstreamName(`${BASE}`, BASE), undefined);
    // a private / loopback registry as the mirror base
    assert.equal(upstreamName('127.0.0.1:5002/proj/repo/127.0.0.1-5001/library/web', '127.0.0.1:5002/proj/repo'), '127.0.0.1:5001/library/web');
    assert.equal(upstreamName('localhost:5002/m/alpine', 'localhost:5002/m'), 'docker.io/library/alpine');
  });

  it('inverts explicit path mappings (under the base and full names), longest first', () => {
    const pm = { 'docker.io/bitnami': 'vendors/bitnami', 'quay.io': 'q', 'ghcr.io/acme': 'europe-docker.pkg.dev/acme-proj/ghcr' };
    assert.equal(upstreamName(`${BASE}/vendors/bitnami/redis`, BASE, pm), 'docker.io/bitnami/redis');
    assert.equal(upstreamName(`${BASE}/q/prometheus/x`, BASE, pm), 'quay.io/prometheus/x');
    assert.equal(upstreamName('europe-docker.pkg.dev/acme-proj/ghcr/app', BASE, pm), 'ghcr.io/acme/app');
    assert.equal(upstreamName(`${BASE}/nginx`, BASE, pm), 'docker.io/library/nginx');
  });

  it('checkDrift leaves references it cannot check unchecked, without any request', async () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'spec:',
      '  containers:',
      `    - {name: a, image: "${BASE}/nginx@sha256:${'b'.repeat(64)}"}`,
      `    - {name: b, image: "${BASE}/library/x:1"}`,
      '    - {name: c, image: "nginx:1.27"}',
      '',
    ].join('\n');
    const findings = scanText('/w/pod.yaml', text, new Policy()).findings;
    const report = await checkDrift([{ path: '/w/pod.yaml', findings }], BASE);
    assert.equal(report.entries.length, 2);
    assert.deepEqual(report.entries.map((e) => e.status), ['unchecked', 'unchecked']);
    assert.match(report.entries[0].reason!, /digest only/);
    assert.match(report.entries[1].reason!, /cannot tell which upstream/);
    assert.equal(hasDrift(report), false);
    assert.deepEqual(remirrorPairs(report), []);
    await assert.rejects(checkDrift([], 'nope'), /invalid target base/);
  });
});
