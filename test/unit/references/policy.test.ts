import * as assert from 'assert';
import { globToRegExp, isGoogleRegistry, Policy } from '../../../server/src/references/policy';
import { parseNormalized, NormalizedReference } from '../../../server/src/references/reference';

function ref(s: string): NormalizedReference {
  const r = parseNormalized(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('policy: first-party registries', function () {
  it('Artifact Registry and Container Registry hosts are first-party (port ignored, case-insensitive)', function () {
    for (const r of ['docker.pkg.dev', 'us-docker.pkg.dev', 'europe-west1-docker.pkg.dev', 'gcr.io', 'eu.gcr.io', 'mirror.gcr.io', 'GCR.IO', 'gcr.io:443', 'us-docker.pkg.dev:443']) {
      assert.strictEqual(isGoogleRegistry(r), true, r);
    }
  });

  it('look-alikes are third-party', function () {
    for (const r of ['gcr.io.example.com', 'evilgcr.io', 'docker.pkg.dev.evil.com', 'xdocker.pkg.dev', 'pkg.dev', 'docker.io', 'ghcr.io', 'k8s.gcr.io.mirror.example', 'localhost:5000']) {
      assert.strictEqual(isGoogleRegistry(r), false, r);
    }
  });

  it('default policy: only Google registries are first-party', function () {
    const p = new Policy();
    assert.strictEqual(p.isFirstParty(ref('gcr.io/google-samples/gb-frontend:v5')), true);
    assert.strictEqual(p.isFirstParty(ref('us-central1-docker.pkg.dev/p/r/app')), true);
    assert.strictEqual(p.isFirstParty(ref('nginx')), false);
    assert.strictEqual(p.isFirstParty(ref('registry.k8s.io/pause:3.9')), false);
  });

  it('extra registries: exact hosts, host globs, ports, schemes, path globs', function () {
    const p = new Policy({
      firstPartyRegistries: ['harbor.corp.example', '*.internal.example', 'https://registry.example.org:5000/', 'ghcr.io/my-org/**', 'quay.io/team/*'],
    });
    assert.strictEqual(p.isFirstParty(ref('harbor.corp.example/x/y')), true);
    assert.strictEqual(p.isFirstParty(ref('HARBOR.corp.example:8443/x')), true);
    assert.strictEqual(p.isFirstParty(ref('a.internal.example/x')), true);
    assert.strictEqual(p.isFirstParty(ref('internal.example/x')), false, '*. needs a subdomain');
    assert.strictEqual(p.isFirstParty(ref('a.b.internal.example/x')), true, '* matches anything but /');
    assert.strictEqual(p.isFirstParty(ref('registry.example.org/x')), true);
    assert.strictEqual(p.isFirstParty(ref('ghcr.io/my-org/app')), true);
    assert.strictEqual(p.isFirstParty(ref('ghcr.io/my-org/a/b')), true);
    assert.strictEqual(p.isFirstParty(ref('ghcr.io/other-org/app')), false);
    assert.strictEqual(p.isFirstParty(ref('quay.io/team/app')), true);
    assert.strictEqual(p.isFirstParty(ref('quay.io/team/a/b')), false);
  });

  it('ignored images: by familiar or normalised name, with or without tag', function () {
    const p = new Policy({ ignoredImages: ['nginx', 'docker.io/library/redis:7*', 'bitnami/**', 'busybox:1.36'] });
    assert.strictEqual(p.isIgnored(ref('nginx:1.27')), true);
    assert.strictEqual(p.isIgnored(ref('docker.io/library/nginx')), true);
    assert.strictEqual(p.isIgnored(ref('redis:7.2')), true);
    assert.strictEqual(p.isIgnored(ref('redis:6')), false);
    assert.strictEqual(p.isIgnored(ref('bitnami/redis:7')), true);
    assert.strictEqual(p.isIgnored(ref('busybox:1.36')), true);
    assert.strictEqual(p.isIgnored(ref('busybox:1.37')), false);
    assert.strictEqual(p.isIgnored(ref('alpine')), false);
    assert.strictEqual(new Policy().isIgnored(ref('nginx')), false);
  });
});

describe('policy: globToRegExp', function () {
  it('** crosses /, * and ? do not, regex characters are literal', function () {
    assert.ok(globToRegExp('a/**').test('a/b/c'));
    assert.ok(!globToRegExp('a/*').test('a/b/c'));
    assert.ok(globToRegExp('a/?').test('a/b'));
    assert.ok(!globToRegExp('a.b').test('axb'));
    assert.ok(globToRegExp('a+(b)').test('a+(b)'));
  });
});
