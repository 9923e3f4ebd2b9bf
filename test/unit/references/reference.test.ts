/**
 * Test vectors for the distribution/reference grammar and Docker's
 * normalisation (ParseNormalizedNamed + TagNameOnly), and for references
 * with unresolved variables.
 */
import * as assert from 'assert';
import {
  familiarName,
  hasVariables,
  looksLikeDomain,
  parseNormalized,
  parseNormalizedTemplate,
  parseReference,
  registryHost,
  validateDigest,
} from '../../../server/src/references/reference';

const H64 = 'a'.repeat(64);
const D = `sha256:${H64}`;

function norm(s: string): string {
  const r = parseNormalized(s);
  if (!r.ok) throw new Error(`expected ${s} to parse: ${r.error}`);
  return r.value.normalized;
}

function bad(s: string): string {
  const r = parseNormalized(s);
  assert.ok(!r.ok, `expected ${JSON.stringify(s)} to be invalid, got ${r.ok && r.value.normalized}`);
  return (r as { error: string }).error;
}

describe('references: parseNormalized (Docker normalisation)', function () {
  const vectors: [string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['nginx:1.27-alpine3.20', 'docker.io/library/nginx:1.27-alpine3.20'],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    [`nginx:1.27@${D}`, `docker.io/library/nginx:1.27@${D}`],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['index.docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['bitnami/redis', 'docker.io/bitnami/redis:latest'],
    ['a/b/c/d:e', 'docker.io/a/b/c/d:e'],
    ['quay.io/prometheus/node-exporter:v1.8.1', 'quay.io/prometheus/node-exporter:v1.8.1'],
    ['ghcr.io/acme/app', 'ghcr.io/acme/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:dev', 'localhost:5000/app:dev'],
    ['127.0.0.1:5000/x/y', '127.0.0.1:5000/x/y:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    ['registry-1.docker.io/nginx', 'registry-1.docker.io/nginx:latest'],
    ['foo:5000', 'docker.io/library/foo:5000'],
    ['localhost:5000', 'docker.io/library/localhost:5000'],
    ['Registry.Example.com/team/app', 'Registry.Example.com/team/app:latest'],
    ['us-docker.pkg.dev/p/r/i:1', 'us-docker.pkg.dev/p/r/i:1'],
    ['a__b/c--d/e.f_g:TAG_1.x-y', 'docker.io/a__b/c--d/e.f_g:TAG_1.x-y'],
    ['x'.repeat(30) + ':' + 'T'.repeat(128), 'docker.io/library/' + 'x'.repeat(30) + ':' + 'T'.repeat(128)],
  ];
  for (const [input, want] of vectors) {
    it(`${input} -> ${want}`, function () {
      assert.strictEqual(norm(input), want);
    });
  }

  it('marks an implicit latest', function () {
    const a = parseNormalized('nginx');
    const b = parseNormalized('nginx:latest');
    const c = parseNormalized(`nginx@${D}`);
    assert.ok(a.ok && b.ok && c.ok);
    assert.strictEqual(a.value.implicitLatest, true);
    assert.strictEqual(b.value.implicitLatest, false);
    assert.strictEqual(c.value.implicitLatest, false);
    assert.strictEqual(c.value.tag, undefined);
  });

  it('splits registry, repository, tag, digest, name', function () {
    const r = parseNormalized(`localhost:5000/team/app:1@${D}`);
    assert.ok(r.ok);
    assert.deepStrictEqual(
      { registry: r.value.registry, repository: r.value.repository, tag: r.value.tag, digest: r.value.digest, name: r.value.name },
      { registry: 'localhost:5000', repository: 'team/app', tag: '1', digest: D, name: 'localhost:5000/team/app' },
    );
  });

  it('rejects invalid references with a reason', function () {
    assert.match(bad(''), /empty/);
    assert.match(bad('NGINX'), /lowercase/);
    assert.match(bad('docker.io/Library/nginx'), /lowercase/);
    assert.match(bad('nginx:'), /tag/);
    assert.match(bad(':1'), /missing repository/);
    assert.match(bad('nginx:-1'), /tag/);
    assert.match(bad('nginx:' + 'x'.repeat(129)), /128/);
    assert.match(bad('nginx@sha256:abcdef'), /hex/);
    assert.match(bad('nginx@sha256:' + 'A'.repeat(64)), /lowercase/);
    assert.match(bad('nginx@md5:' + 'a'.repeat(32)), /unsupported digest algorithm/);
    assert.match(bad('nginx@'), /empty digest/);
    assert.match(bad(H64), /64-byte hexadecimal/);
    // Only the bare ID is refused, as in Docker's ParseNormalizedNamed: with a tag it is a repository name.
    assert.equal(norm(H64 + ":v1"), `docker.io/library/${H64}:v1`);
    assert.match(bad('nginx latest'), /whitespace/);
    assert.match(bad('-nginx'), /characters|separators/);
    assert.match(bad('nginx-'), /characters|separators/);
    assert.match(bad('a___b'), /characters|separators/);
    assert.match(bad('a..b'), /characters|separators/);
    assert.match(bad('a//b'), /characters|separators|missing/);
    assert.match(bad('foo/'), /characters|separators|missing/);
    assert.match(bad('{user}/app'), /characters|separators/);
    assert.match(bad('%IMAGE%'), /characters|separators/);
    assert.match(bad('-bad-.io/app'), /registry host/);
    assert.match(bad('docker.io/' + 'a'.repeat(250)), /255/);
  });
});

describe('references: parseReference (as written, no defaults)', function () {
  it('keeps the domain empty when none is written', function () {
    const r = parseReference('nginx:1');
    assert.ok(r.ok);
    assert.deepStrictEqual(r.value, { domain: '', path: 'nginx', tag: '1', digest: undefined });
  });

  it('uses Docker’s rule for the first component', function () {
    assert.strictEqual(looksLikeDomain('quay.io'), true);
    assert.strictEqual(looksLikeDomain('localhost'), true);
    assert.strictEqual(looksLikeDomain('host:5000'), true);
    assert.strictEqual(looksLikeDomain('Upper'), true);
    assert.strictEqual(looksLikeDomain('bitnami'), false);
  });
});

describe('references: digests', function () {
  it('validates sha256/384/512 lengths and lowercase hex', function () {
    assert.strictEqual(validateDigest(D), undefined);
    assert.strictEqual(validateDigest('sha384:' + 'b'.repeat(96)), undefined);
    assert.strictEqual(validateDigest('sha512:' + 'c'.repeat(128)), undefined);
    assert.match(validateDigest('sha256:' + 'a'.repeat(63))!, /expected 64/);
    assert.match(validateDigest('sha512:' + 'c'.repeat(64))!, /expected 128/);
    assert.match(validateDigest('nohex')!, /algorithm:hex/);
  });
});

describe('references: familiarName and registryHost', function () {
  it('familiar names', function () {
    const f = (s: string) => {
      const r = parseNormalized(s);
      assert.ok(r.ok);
      return familiarName(r.value);
    };
    assert.strictEqual(f('docker.io/library/nginx:1'), 'nginx');
    assert.strictEqual(f('bitnami/redis'), 'bitnami/redis');
    assert.strictEqual(f('docker.io/library/a/b'), 'library/a/b');
    assert.strictEqual(f('quay.io/x/y'), 'quay.io/x/y');
  });

  it('registry hosts without port, lowercased', function () {
    assert.strictEqual(registryHost('Gcr.IO:443'), 'gcr.io');
    assert.strictEqual(registryHost('[::1]:5000'), '[::1]');
    assert.strictEqual(registryHost('docker.io'), 'docker.io');
  });
});

describe('references: templates with unresolved variables', function () {
  const ok = (s: string) => {
    const r = parseNormalizedTemplate(s);
    if (!r.ok) throw new Error(`expected ${s} to parse: ${r.error}`);
    return r.value;
  };
  const fails = (s: string) => {
    const r = parseNormalizedTemplate(s);
    assert.ok(!r.ok, `expected ${s} to fail`);
    return r.error;
  };

  it('keeps variables verbatim in every field; :latest only when there is no tag', function () {
    const a = ok('gcr.io/$PROJECT_ID/packer');
    assert.deepStrictEqual([a.registry, a.repository, a.tag, a.normalized, a.hasVariables], ['gcr.io', '$PROJECT_ID/packer', 'latest', 'gcr.io/$PROJECT_ID/packer:latest', true]);
    const b = ok('node:$NODE_VERSION-alpine');
    assert.deepStrictEqual([b.normalized, b.tag, b.implicitLatest], ['docker.io/library/node:$NODE_VERSION-alpine', '$NODE_VERSION-alpine', false]);
    const c = ok('us-docker.pkg.dev/${_PROJECT}/repo/app:${TAG:-1.0}');
    assert.strictEqual(c.normalized, 'us-docker.pkg.dev/${_PROJECT}/repo/app:${TAG:-1.0}');
    const d = ok('myorg/$APP');
    assert.strictEqual(d.normalized, 'docker.io/myorg/$APP:latest');
  });

  it('literal text parses like parseNormalized', function () {
    const r = ok('nginx:1');
    assert.strictEqual(r.hasVariables, false);
    assert.strictEqual(r.normalized, 'docker.io/library/nginx:1');
  });

  it('fails when the registry host or the whole repository is a variable', function () {
    assert.match(fails('$REGISTRY/app:1'), /registry host/);
    assert.match(fails('${REGISTRY}:5000/app'), /registry host/);
    assert.match(fails('$IMAGE'), /variable/);
    assert.match(fails('${IMAGE}:1.0'), /variable/);
  });

  it('reports grammar errors with the variables restored', function () {
    assert.match(fails('Gcr.io/$X/UPPER'), /\$X|UPPER|lowercase/);
    assert.ok(!/zzvar/.test(fails('nginx:$TAG:extra')));
  });

  it('hasVariables', function () {
    assert.strictEqual(hasVariables('a/$B'), true);
    assert.strictEqual(hasVariables('a/${B}'), true);
    assert.strictEqual(hasVariables('a/b'), false);
    assert.strictEqual(hasVariables('$$'), false);
  });
});
