import { strict as assert } from 'node:assert';
import { explainDestinationMistake, parseTargetBase } from '../../../server/src/gcp/artifactRegistry';

function ok(s: string) {
  const r = parseTargetBase(s);
  if (!r.ok) throw new Error(`expected ${s} to parse: ${r.error}`);
  return r.value;
}
function err(s: string): string {
  const r = parseTargetBase(s);
  assert.equal(r.ok, false, `expected ${s} to fail`);
  return (r as { error: string }).error;
}

describe('parseTargetBase', () => {
  it('parses LOCATION-docker.pkg.dev/PROJECT/REPOSITORY with an optional prefix', () => {
    const t = ok('us-central1-docker.pkg.dev/my-proj/mirror');
    assert.deepEqual(t, {
      host: 'us-central1-docker.pkg.dev',
      location: 'us-central1',
      project: 'my-proj',
      repository: 'mirror',
      prefix: '',
      base: 'us-central1-docker.pkg.dev/my-proj/mirror',
      resourceName: 'projects/my-proj/locations/us-central1/repositories/mirror',
    });
    const p = ok('https://europe-docker.pkg.dev/my-proj/mirror/dockerhub/library/');
    assert.equal(p.location, 'europe');
    assert.equal(p.prefix, 'dockerhub/library');
    assert.equal(p.base, 'europe-docker.pkg.dev/my-proj/mirror/dockerhub/library');
    assert.equal(ok('  asia-northeast1-docker.pkg.dev/abc-123/repo-1 ').repository, 'repo-1');
  });

  it('handles domain-scoped projects and gcr.io-domain repositories', () => {
    const d = ok('us-docker.pkg.dev/example.com/my-proj/mirror');
    assert.equal(d.project, 'example.com:my-proj');
    assert.equal(d.repository, 'mirror');
    assert.equal(d.resourceName, 'projects/example.com:my-proj/locations/us/repositories/mirror');
    const g = ok('eu.gcr.io/my-proj');
    assert.equal(g.location, 'europe');
    assert.equal(g.repository, 'eu.gcr.io');
  });

  it('explains the runbook mistake (no repository)', () => {
    const e = err('us-central1-docker.pkg.dev/my-proj');
    assert.match(e, /names no repository/);
    assert.match(e, /gcrane cp/);
    assert.match(e, /us-central1-docker\.pkg\.dev\/my-proj\/docker-mirror/);
    const h = err('us-central1-docker.pkg.dev/my-proj/docker.io/library/nginx');
    assert.match(h, /"docker\.io" looks like a registry host, not a repository/);
    assert.match(h, /REPOSITORY/);
  });

  it('rejects placeholders, variables, tags, digests, bad hosts and IDs with a reason', () => {
    assert.match(err('LOCATION-docker.pkg.dev/PROJECT/REPOSITORY'), /placeholder/);
    assert.match(err('us-docker.pkg.dev/${AR_PROJECT}/mirror'), /unresolved variable \$\{AR_PROJECT\}/);
    assert.match(err('us-docker.pkg.dev/p-roject/mirror/nginx:1.27'), /has a tag/);
    assert.match(err(`us-docker.pkg.dev/p-roject/mirror/nginx@sha256:${'a'.repeat(64)}`), /has a digest/);
    assert.match(err('docker.pkg.dev/my-proj/mirror'), /must name the location/);
    assert.match(err('us-maven.pkg.dev/my-proj/mirror'), /not a Docker host/);
    assert.match(err('docker.io/library/nginx'), /not an Artifact Registry address/);
    assert.match(err('us-docker.pkg.dev/My-Project/mirror'), /must be lowercase/);
    assert.match(err('us-docker.pkg.dev/ab/mirror'), /not a valid project ID/);
    assert.match(err('us-docker.pkg.dev/my-proj/Mirror'), /must be lowercase/);
    assert.match(err('us-docker.pkg.dev/my-proj/1mirror'), /not a valid repository ID/);
    assert.match(err(''), /empty target/);
    assert.match(err('us-docker.pkg.dev//mirror'), /empty path component/);
  });

  it('flags destinations that put the image path where the repository goes', () => {
    assert.match(explainDestinationMistake('us-docker.pkg.dev/my-proj/library/nginx:1.27', 'library/nginx')!, /"library" is taken as the repository/);
    assert.equal(explainDestinationMistake('us-docker.pkg.dev/my-proj/mirror/library/nginx:1.27', 'library/nginx'), undefined);
  });
});
