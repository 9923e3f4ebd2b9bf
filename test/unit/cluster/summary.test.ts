import { strict as assert } from 'node:assert';
import { classifyKubectlFailure, compareWithWorkspace, digestFromImageID, summarizePods } from '../../../server/src/cluster/kubectl';
import { Policy } from '../../../server/src/references/policy';

const D = `sha256:${'a'.repeat(64)}`;
const E = `sha256:${'b'.repeat(64)}`;

describe('cluster summary (pure)', () => {
  it('reads digests from the imageID forms runtimes report', () => {
    assert.equal(digestFromImageID(`docker.io/library/nginx@${D}`), D);
    assert.equal(digestFromImageID(`docker-pullable://nginx@${D}`), D);
    assert.equal(digestFromImageID(D), undefined, 'a bare image ID is the config digest, not a manifest digest');
    assert.equal(digestFromImageID(''), undefined);
  });

  it('groups containers by normalised image, keeps bad specs, honours first-party policy', () => {
    const pods = [
      {
        metadata: { name: 'a', namespace: 'ns1' },
        spec: { containers: [{ name: 'c', image: 'nginx' }, { name: 'd', image: 'Bad Image' }], initContainers: [{ name: 'i', image: 'docker.io/library/nginx:latest' }] },
        status: { containerStatuses: [{ name: 'c', imageID: `docker.io/library/nginx@${D}` }], initContainerStatuses: [{ name: 'i', imageID: `docker.io/library/nginx@${E}` }] },
      },
      { metadata: { name: 'b', namespace: 'ns2' }, spec: { containers: [{ name: 'c', image: 'harbor.corp.example/x/y:1' }] } },
      null,
      { metadata: { name: 'c' } },
    ];
    const out = summarizePods(pods as never, new Policy({ firstPartyRegistries: ['harbor.corp.example'] }));
    const nginx = out.find((i) => i.normalized === 'docker.io/library/nginx:latest')!;
    assert.equal(nginx.containers, 2);
    assert.equal(nginx.pods, 1);
    assert.deepEqual(nginx.digests, [D, E]);
    assert.equal(nginx.pinned, undefined, 'two digests: not pinned');
    assert.deepEqual(nginx.kinds, ['container', 'init']);
    const bad = out.find((i) => i.image === 'Bad Image')!;
    assert.ok(bad.error);
    assert.equal(out.find((i) => i.normalized === 'harbor.corp.example/x/y:1')!.thirdParty, false);
  });

  it('compares with workspace references by tag and by digest', () => {
    const running = summarizePods([
      { metadata: { name: 'a', namespace: 'n' }, spec: { containers: [{ name: 'a', image: 'nginx:1.27' }, { name: 'b', image: 'redis:7' }, { name: 'c', image: 'memcached:1.6' }, { name: 'd', image: 'envoyproxy/envoy:v1.30' }] }, status: { containerStatuses: [{ name: 'd', imageID: `docker.io/envoyproxy/envoy@${D}` }] } },
    ] as never);
    const cmp = compareWithWorkspace(running, ['docker.io/library/nginx:1.27', 'redis:6', `envoyproxy/envoy@${D}`, 'not valid!']);
    const by = new Map(cmp.images.map((i) => [i.normalized, i]));
    assert.equal(by.get('docker.io/library/nginx:1.27')!.inWorkspace, 'same');
    assert.equal(by.get('docker.io/library/redis:7')!.inWorkspace, 'other-tag');
    assert.deepEqual(by.get('docker.io/library/redis:7')!.workspaceVersions, [':6']);
    assert.equal(by.get('docker.io/library/memcached:1.6')!.inWorkspace, 'none');
    assert.equal(by.get('docker.io/envoyproxy/envoy:v1.30')!.inWorkspace, 'same', 'matched through the resolved digest');
    assert.deepEqual(cmp.clusterOnlyThirdParty.map((i) => i.normalized), ['docker.io/library/memcached:1.6', 'docker.io/library/redis:7']);
  });

  it('classifies kubectl failures', () => {
    assert.equal(classifyKubectlFailure('error: current-context is not set', {}).kind, 'no-context');
    assert.equal(classifyKubectlFailure('error: context "x" does not exist', { context: 'x' }).kind, 'context-not-found');
    assert.equal(classifyKubectlFailure('Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout', {}).kind, 'unreachable');
    assert.equal(
      classifyKubectlFailure('error: getting credentials: exec: executable gke-gcloud-auth-plugin not found', {}).kind,
      'auth-plugin',
    );
    assert.match(classifyKubectlFailure('Unable to connect to the server: dial tcp: lookup x: no such host', {}).message, /no such host\. Check/);
  });
});
