import * as assert from 'node:assert/strict';
import { parseNormalized } from '../../../server/src/references/reference';
import { mapToTarget, parseMirrorBase } from '../../../server/src/registry/target';
import { readImageList } from '../../../server/src/cli/mirror';
import { effectiveTarget } from '../../../server/src/registry/copy';

const norm = (s: string) => {
  const r = parseNormalized(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('registry: target mapping (same as the quick fix)', () => {
  const base = parseMirrorBase('us-docker.pkg.dev/my-project/mirror');
  it('maps Docker Hub and other registries under the base', () => {
    assert.ok(base.ok);
    if (!base.ok) return;
    assert.equal(mapToTarget(norm('nginx'), base.value), 'us-docker.pkg.dev/my-project/mirror/nginx');
    assert.equal(mapToTarget(norm('nginx:1.25'), base.value), 'us-docker.pkg.dev/my-project/mirror/nginx:1.25');
    assert.equal(mapToTarget(norm('bitnami/redis:7'), base.value), 'us-docker.pkg.dev/my-project/mirror/bitnami/redis:7');
    assert.equal(mapToTarget(norm('quay.io/x/y@sha256:' + 'a'.repeat(64)), base.value), `us-docker.pkg.dev/my-project/mirror/quay.io/x/y@sha256:${'a'.repeat(64)}`);
  });
  it('accepts any registry as a base, and refuses nonsense', () => {
    const b = parseMirrorBase('localhost:5000/mirror/');
    assert.ok(b.ok && b.value.base === 'localhost:5000/mirror');
    assert.equal(parseMirrorBase('nginx').ok, false);
    assert.equal(parseMirrorBase('localhost:5000/m:tag').ok, false);
    assert.equal(parseMirrorBase('us-docker.pkg.dev/x').ok, false);
  });
  it('reads an image list with comments and reports bad lines with their line number', () => {
    const b = parseMirrorBase('localhost:5000/m');
    assert.ok(b.ok);
    if (!b.ok) return;
    const r = readImageList('# list\nnginx:1.25  # web\n\nbitnami/redis\nquay.io/a/b:1 localhost:5000/custom/b:1\nBAD REF here x\nUPPER\n', 'images.txt', b);
    assert.deepEqual(r.pairs, [
      { src: 'nginx:1.25', dst: 'localhost:5000/m/nginx:1.25' },
      { src: 'bitnami/redis', dst: 'localhost:5000/m/bitnami/redis' },
      { src: 'quay.io/a/b:1', dst: 'localhost:5000/custom/b:1' },
    ]);
    assert.equal(r.errors.length, 2);
    assert.match(r.errors[0], /^images\.txt:6:/);
    assert.match(r.errors[1], /^images\.txt:7:/);
  });
  it('keeps the source tag when the target has none', () => {
    assert.equal(effectiveTarget(norm('nginx:1.25'), 'localhost:5000/m/nginx').tag, '1.25');
    assert.equal(effectiveTarget(norm('nginx'), 'localhost:5000/m/nginx').tag, 'latest');
    assert.equal(effectiveTarget(norm('nginx:1.25'), 'localhost:5000/m/nginx:stable').tag, 'stable');
    const byDigest = effectiveTarget(norm('nginx@sha256:' + 'b'.repeat(64)), 'localhost:5000/m/nginx');
    assert.equal(byDigest.tag, undefined);
  });
});
