import { strict as assert } from 'node:assert';
import { invalidImageReason } from '../../../server/src/cli/mirror';
import { isArtifactRegistryBase, parseTargetBase, userinfoEnd, withoutCredentials } from '../../../server/src/references/target';

const other = { allowOtherRegistries: true };
function err(s: string, options = {}): string {
  const r = parseTargetBase(s, options);
  assert.equal(r.ok, false, `expected ${s} to fail`);
  return (r as { error: string }).error;
}

describe('references/target: one target-base parser', () => {
  it('accepts other registries only when asked', () => {
    for (const s of ['localhost:5000/mirror', 'registry.corp.example/mirror/team', 'docker://127.0.0.1:5000/m/']) {
      assert.match(err(s), /not an Artifact Registry Docker host/, s);
      const r = parseTargetBase(s, other);
      assert.ok(r.ok, s);
      assert.equal(isArtifactRegistryBase(r.value), false);
      assert.equal(r.value.resourceName, '');
    }
    const r = parseTargetBase('Registry.Corp.Example:8443/mirror', other);
    assert.ok(r.ok);
    assert.equal(r.value.base, 'registry.corp.example:8443/mirror');
  });

  it('validates Artifact-Registry-looking input strictly even when other registries are allowed', () => {
    assert.match(err('LOCATION-docker.pkg.dev/PROJECT/REPOSITORY', other), /placeholder/);
    assert.match(err('us-central1-docker.pkg.dev/my-proj', other), /names no repository/);
    assert.match(err('us-maven.pkg.dev/my-proj/r', other), /not a Docker host/);
    assert.match(err('us-docker.pkg.dev:443/my-proj/r', other), /takes no port/);
    assert.match(err('gcr.io/ab', other), /not a valid project ID/);
    const ar = parseTargetBase('us-docker.pkg.dev/my-proj/mirror', other);
    assert.ok(ar.ok && isArtifactRegistryBase(ar.value));
  });

  it('says what is wrong with other registry bases', () => {
    assert.match(err('nginx', other), /does not start with a registry host/);
    assert.match(err('mirror/team', other), /does not start with a registry host/);
    assert.match(err('localhost:5000', other), /no path/);
    assert.match(err('localhost:5000/m:tag', other), /has a tag/);
    assert.match(err('localhost:5000/m@sha256:' + 'a'.repeat(64), other), /has a digest/);
    assert.match(err('$REGISTRY/mirror', other), /unresolved variable \$REGISTRY/);
    assert.match(err('localhost:5000/Mirror', other), /invalid target base "localhost:5000\/Mirror"/);
  });

  it('every error names the input and the expected form', () => {
    for (const [s, o] of [
      ['quay.io/x/y', {}],
      ['us-docker.pkg.dev/my-proj/mirror:1', {}],
      ['nginx', other],
      ['localhost:5000/m:tag', other],
    ] as const) {
      const e = err(s, o);
      assert.ok(e.includes(`"${s}"`), e);
      assert.match(e, /LOCATION-docker\.pkg\.dev\/PROJECT\/REPOSITORY/);
      if (o === other) assert.match(e, /REGISTRY\/PATH/);
    }
    assert.match(err('quay.io/x/y'), /^invalid Artifact Registry target/);
    assert.match(err('nope', other), /^invalid target base/);
  });

  // Regression: userinfo was reported as "has a digest" and the password echoed back.
  it('a base with credentials (user:pw@) says so, and never shows them', () => {
    for (const [s, secret] of [
      ['https://user:pw-Secret1@us-docker.pkg.dev/my-proj/r', 'pw-Secret1'],
      ['user:pw-Secret1@us-docker.pkg.dev/my-proj/r', 'pw-Secret1'],
      ['user:pw-Secret1@localhost:5000/mirror', 'pw-Secret1'],
      ['docker://oauth2accesstoken:ya29.abcdefgh@gcr.io/my-proj', 'abcdefgh'],
      ['tok-Secret2@us-docker.pkg.dev/my-proj/r', 'tok-Secret2'],
      ['https://u:p/w@x-Secret3@registry.corp.example/m', 'Secret3'],
      ['u:pw-Secret1@us-docker.pkg.dev/my-proj/r@sha256:' + 'a'.repeat(64), 'pw-Secret1'],
    ]) {
      for (const o of [{}, other]) {
        const e = err(s, o);
        assert.match(e, /contains credentials/, e);
        assert.match(e, /without scheme or credentials/, e);
        assert.doesNotMatch(e, /digest/, e);
        assert.ok(!e.includes(secret), e);
        assert.ok(!e.includes('user'), e);
        assert.match(e, /"(?:[a-z]+:\/\/)?\[REDACTED\]@/, e);
      }
    }
    // a real digest is still a digest, a tolerated scheme still parses, other schemes are named
    assert.match(err('us-docker.pkg.dev/my-proj/r@sha256:' + 'a'.repeat(64)), /has a digest/);
    assert.ok(parseTargetBase('https://us-docker.pkg.dev/my-proj/r').ok);
    assert.match(err('oci://us-docker.pkg.dev/my-proj/r', other), /scheme "oci:\/\/" is not supported/);
  });
});

describe('credentials in image references and targets (shared by the target parser and `mirror`)', () => {
  it('finds userinfo with or without a scheme, never a digest', () => {
    assert.strictEqual(withoutCredentials('ci:pw-S3cret@127.0.0.1:1/app:1'), '[REDACTED]@127.0.0.1:1/app:1');
    assert.strictEqual(withoutCredentials('https://u:p/w@x@host.io/a/b'), 'https://[REDACTED]@host.io/a/b');
    assert.strictEqual(userinfoEnd('nginx@sha256:' + 'a'.repeat(64)), -1);
    assert.strictEqual(userinfoEnd('docker.io/library/nginx:1@sha256:abc'), -1);
    // an invalid digest is a grammar problem, not credentials
    assert.doesNotMatch(invalidImageReason('nginx@sha256:short') ?? '', /credentials/);
    assert.match(invalidImageReason('ci:pw@127.0.0.1:1/app:1') ?? '', /credentials/);
  });
});
