import { strict as assert } from 'node:assert';
import { collectImages, formatImagesTxt, parseImagesTxt } from '../../../server/src/handoff/imagesTxt';

describe('images.txt hand-off', () => {
  it('normalises, deduplicates and sorts plain references', () => {
    assert.equal(
      formatImagesTxt(['nginx', 'quay.io/prometheus/prometheus:v2.53.0', 'docker.io/library/nginx:latest', 'index.docker.io/library/redis:7', '  ', '# note']),
      'docker.io/library/nginx:latest\ndocker.io/library/redis:7\nquay.io/prometheus/prometheus:v2.53.0\n',
    );
    assert.equal(formatImagesTxt([]), '');
  });

  it('takes findings: third-party, pulled, not ignored, no variables', () => {
    const base = { thirdParty: true, ignored: false, pulled: true };
    const r = collectImages([
      { ...base, normalized: 'docker.io/bitnami/redis:7.2', text: 'bitnami/redis:7.2' },
      { ...base, normalized: 'us-docker.pkg.dev/p/r/app:1', thirdParty: false, text: 'x' },
      { ...base, normalized: 'docker.io/library/busybox:latest', ignored: true, text: 'busybox' },
      { ...base, normalized: 'docker.io/library/app:dev', pulled: false, text: 'app:dev' },
      { ...base, normalized: 'docker.io/library/node:${NODE_VERSION}', text: 'node:${NODE_VERSION}' },
      { ...base, normalized: undefined, error: 'invalid tag', text: 'nginx:bad tag' },
      { ...base, normalized: 'docker.io/bitnami/redis:7.2', text: 'docker.io/bitnami/redis:7.2' },
    ]);
    assert.deepEqual(r.images, ['docker.io/bitnami/redis:7.2']);
    assert.deepEqual(r.skipped.map((s) => s.text), ['node:${NODE_VERSION}', 'nginx:bad tag']);
    assert.deepEqual(collectImages([{ normalized: 'us-docker.pkg.dev/p/r/app:1', thirdParty: false }], { thirdPartyOnly: false }).images, ['us-docker.pkg.dev/p/r/app:1']);
  });

  it('keeps digests and reports bad strings', () => {
    const d = `sha256:${'c'.repeat(64)}`;
    const r = collectImages([`nginx@${d}`, `nginx:1.27@${d}`, 'nginx:-bad']);
    assert.deepEqual(r.images, [`docker.io/library/nginx:1.27@${d}`, `docker.io/library/nginx@${d}`]);
    assert.equal(r.skipped.length, 1);
  });

  it('parses images.txt back, with line numbers for bad lines', () => {
    const p = parseImagesTxt('# header\nnginx:1.27\n\nquay.io/a/b:1 us-docker.pkg.dev/p/r/b:1\nBad_Name/x:1 # comment\n');
    assert.deepEqual(p.images, ['docker.io/library/nginx:1.27', 'quay.io/a/b:1']);
    assert.equal(p.errors.length, 1);
    assert.equal(p.errors[0].line, 5);
  });
});
