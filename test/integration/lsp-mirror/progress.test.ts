/**
 * The progress messages of the mirror plug-in, fed with engine events
 * (the shapes registry/copy.ts emits).
 */
import assert from 'node:assert/strict';
import { displayName, humanBytes, MirrorProgress } from '../../../server/src/lsp/mirror/progress';
import { planJobs } from '../../../server/src/lsp/mirror/engine';
import { parseTargetBase } from '../../../server/src/edits/rewrite';

describe('lsp-mirror progress and job planning', () => {
  it('formats sizes and short names', () => {
    assert.equal(humanBytes(0), '0 B');
    assert.equal(humanBytes(999), '999 B');
    assert.equal(humanBytes(12_100_000), '12.1 MB');
    assert.equal(displayName('docker.io/library/nginx:1.27'), 'nginx:1.27');
    assert.equal(displayName('quay.io/org/app:2'), 'quay.io/org/app:2');
    assert.equal(displayName('not a ref'), 'not a ref');
  });

  it('reports `image - x/y blobs, MB / MB` and a percentage that never goes back', () => {
    const reports: { message: string; pct: number }[] = [];
    const nginx = 'docker.io/library/nginx:1.27';
    const redis = 'docker.io/library/redis:7';
    const p = new MirrorProgress([nginx, redis], { report: (message, pct) => reports.push({ message, pct }) }, 0);
    p.onEvent({ type: 'image-start', source: nginx, target: 't' });
    assert.match(reports.at(-1)!.message, /^nginx:1\.27 - resolving \(0\/2 images done\)$/);
    p.onEvent({ type: 'blob-done', source: nginx, digest: 'sha256:a', size: 1000, action: 'skipped' });
    p.onEvent({ type: 'blob-start', source: nginx, digest: 'sha256:b', size: 3_000_000 });
    p.onEvent({ type: 'blob-progress', source: nginx, digest: 'sha256:b', bytes: 1_000_000, size: 3_000_000 });
    assert.equal(reports.at(-1)!.message, 'nginx:1.27 - 1/2 blobs, 1.0 MB / 3.0 MB (0/2 images done)');
    const mid = reports.at(-1)!.pct;
    assert.ok(mid > 0 && mid < 50, String(mid));
    p.onEvent({ type: 'blob-done', source: nginx, digest: 'sha256:b', size: 3_000_000, action: 'copied' });
    p.finish(nginx);
    assert.equal(reports.at(-1)!.pct, 50);
    p.onEvent({ type: 'blob-start', source: redis, digest: 'sha256:c', size: 10 });
    assert.match(reports.at(-1)!.message, /^redis:7 - 0\/1 blobs, 0 B \/ 10 B \(1\/2 images done\)$/);
    p.finish(redis);
    assert.equal(reports.at(-1)!.pct, 100);
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].pct >= reports[i - 1].pct);
    p.dispose();
  });

  it('plans one job per distinct image with the target path mapping; invalid references fail by name', () => {
    const base = parseTargetBase('us-central1-docker.pkg.dev/acme-prod/mirror');
    assert.ok(base.ok);
    const { jobs, invalid } = planJobs(
      ['nginx:1.27', 'docker.io/library/nginx:1.27', 'quay.io/org/app@sha256:' + 'a'.repeat(64), 'Bad Ref', 'bitnami/redis'],
      base.value,
      { 'docker.io/bitnami': 'hub/bitnami' },
    );
    assert.deepEqual(jobs, [
      { source: 'docker.io/library/nginx:1.27', target: 'us-central1-docker.pkg.dev/acme-prod/mirror/nginx:1.27' },
      { source: `quay.io/org/app@sha256:${'a'.repeat(64)}`, target: `us-central1-docker.pkg.dev/acme-prod/mirror/quay.io/org/app@sha256:${'a'.repeat(64)}` },
      { source: 'docker.io/bitnami/redis:latest', target: 'us-central1-docker.pkg.dev/acme-prod/mirror/hub/bitnami/redis' },
    ]);
    assert.equal(invalid.length, 1);
    assert.equal(invalid[0].source, 'Bad Ref');
    assert.match(invalid[0].error!, /"Bad Ref" is not a valid image reference/);
  });
});
