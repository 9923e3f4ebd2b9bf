import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeKube, pod } from '../../harness/kubeApiServer';
import { captureIO } from '../gcp/helpers';
import { getPods, KubectlError, scanCluster } from '../../../server/src/cluster/kubectl';
import { main } from '../../../server/src/cli/main';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function pods(n = 0) {
  const list = [
    pod('default', 'web-1', [
      { name: 'web', image: 'nginx:1.27', imageID: `docker.io/library/nginx@${D1}` },
      { name: 'migrate', image: 'busybox', imageID: `docker.io/library/busybox@${D2}`, kind: 'init' },
    ]),
    pod('default', 'web-2', [{ name: 'web', image: 'nginx:1.27', imageID: `docker.io/library/nginx@${D1}` }]),
    pod('monitoring', 'prom-0', [
      { name: 'prometheus', image: 'quay.io/prometheus/prometheus:v2.53.0', imageID: '' },
      { name: 'debugger', image: 'busybox:latest', kind: 'ephemeral' },
    ]),
    pod('apps', 'api-0', [{ name: 'api', image: 'us-docker.pkg.dev/acme-prod/apps/api:3.1', imageID: `us-docker.pkg.dev/acme-prod/apps/api@${D2}` }]),
  ];
  for (let i = 0; i < n; i++) list.push(pod('batch', `job-${i}`, [{ name: 'job', image: 'python:3.12-slim' }]));
  return list;
}

describe('cluster-scan with the real kubectl against a loopback API server', function () {
  this.timeout(60000);
  let kube: FakeKube;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    kube = await FakeKube.start({ pods: pods(3) });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-kube-'));
    env = { PATH: process.env.PATH, HOME: tmp, KUBECACHEDIR: path.join(tmp, 'cache') };
  });
  after(async () => {
    await kube.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists running images with namespaces, counts, digests and third-party marks', async () => {
    const kubeconfig = kube.writeKubeconfig(tmp, [{ name: 'prod' }, { name: 'other', server: 'https://127.0.0.1:1' }], 'other');
    const r = await scanCluster({ kubeconfig, context: 'prod', env });
    assert.equal(r.context, 'prod');
    assert.equal(r.pods, 7);
    const by = new Map(r.images.map((i) => [i.normalized, i]));
    assert.deepEqual([...by.keys()], [
      'docker.io/library/busybox:latest',
      'docker.io/library/nginx:1.27',
      'docker.io/library/python:3.12-slim',
      'quay.io/prometheus/prometheus:v2.53.0',
      'us-docker.pkg.dev/acme-prod/apps/api:3.1',
    ]);
    const nginx = by.get('docker.io/library/nginx:1.27')!;
    assert.equal(nginx.pods, 2);
    assert.deepEqual(nginx.namespaces, ['default']);
    assert.deepEqual(nginx.digests, [D1]);
    assert.equal(nginx.pinned, `docker.io/library/nginx@${D1}`);
    assert.equal(nginx.thirdParty, true);
    const busybox = by.get('docker.io/library/busybox:latest')!;
    assert.deepEqual(busybox.kinds, ['init', 'ephemeral']);
    assert.deepEqual(busybox.namespaces, ['default', 'monitoring']);
    assert.equal(by.get('us-docker.pkg.dev/acme-prod/apps/api:3.1')!.thirdParty, false);
    assert.equal(by.get('docker.io/library/python:3.12-slim')!.pods, 3);
  });

  it('pages through large pod lists (kubectl limit/continue)', async () => {
    const big = await FakeKube.start({ pods: pods(1200) });
    try {
      const kubeconfig = big.writeKubeconfig(fs.mkdtempSync(path.join(tmp, 'big-')));
      const list = await getPods({ kubeconfig, env });
      assert.equal(list.length, 1204);
      assert.ok(big.limits.length >= 3, `kubectl paged: ${big.limits.join(',')}`);
    } finally {
      await big.close();
    }
  });

  it('CLI: compares with the workspace, lists cluster-only images and writes images.txt', async () => {
    const ws = path.join(tmp, 'ws');
    fs.mkdirSync(path.join(ws, 'k8s'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'Dockerfile'), 'FROM python:3.12-slim\nRUN true\n');
    fs.writeFileSync(
      path.join(ws, 'k8s', 'deploy.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.26\n',
    );
    const kubeconfig = kube.writeKubeconfig(tmp);
    const c = captureIO(env, tmp);
    const code = await main(['cluster-scan', '--kubeconfig', kubeconfig, '--workspace', ws, '--json', '--images-txt', 'images.txt'], c.io);
    assert.equal(code, 0, c.err());
    const out = JSON.parse(c.out());
    assert.equal(out.context, 'test');
    assert.deepEqual(out.clusterOnlyThirdParty, [
      'docker.io/library/busybox:latest',
      'docker.io/library/nginx:1.27',
      'quay.io/prometheus/prometheus:v2.53.0',
    ]);
    const nginx = out.images.find((i: { normalized: string }) => i.normalized === 'docker.io/library/nginx:1.27');
    assert.equal(nginx.inWorkspace, 'other-tag');
    assert.deepEqual(nginx.workspaceVersions, [':1.26']);
    assert.equal(out.images.find((i: { normalized: string }) => i.normalized === 'docker.io/library/python:3.12-slim').inWorkspace, 'same');
    assert.equal(
      fs.readFileSync(path.join(tmp, 'images.txt'), 'utf8'),
      'docker.io/library/busybox:latest\ndocker.io/library/nginx:1.27\nquay.io/prometheus/prometheus:v2.53.0\n',
    );

    // Text output, with a workspace given as an images list.
    fs.writeFileSync(path.join(tmp, 'ws-images.txt'), '# comment\nnginx:1.27\nbusybox\nquay.io/prometheus/prometheus:v2.53.0\n');
    const t = captureIO(env, tmp);
    assert.equal(await main(['cluster-scan', '--kubeconfig', kubeconfig, '--workspace-images', 'ws-images.txt'], t.io), 0, t.err());
    assert.match(t.out(), /5 images in 7 pods \(context test\); 4 third-party/);
    assert.match(t.out(), /Running in the cluster but not referenced in the workspace \(third-party, 1\):\n  docker\.io\/library\/python:3\.12-slim  \(batch\)/);
  });

  it('explains kubectl missing, no context, unknown context, unreachable cluster, forbidden and bad token', async () => {
    const kubeconfig = kube.writeKubeconfig(tmp, [{ name: 'prod' }, { name: 'down', server: 'https://127.0.0.1:1' }, { name: 'badtoken', token: 'nope' }], null);
    const expectKind = async (o: Parameters<typeof getPods>[0], kind: string, re: RegExp) => {
      await assert.rejects(getPods({ env, ...o }), (e: KubectlError) => {
        assert.equal(e.kind, kind, e.message);
        assert.match(e.message, re);
        return true;
      });
    };
    await expectKind({ kubeconfig, kubectl: path.join(tmp, 'no-such-kubectl') }, 'not-installed', /kubectl was not found/);
    await expectKind({ kubeconfig }, 'no-context', /--context NAME/);
    await expectKind({ kubeconfig, context: 'staging' }, 'context-not-found', /"staging" does not exist/);
    await expectKind({ kubeconfig, context: 'down', requestTimeout: '5s' }, 'unreachable', /Cannot reach the cluster of context "down"/);
    await expectKind({ kubeconfig, context: 'badtoken' }, 'unauthorized', /refused kubectl's credentials/);
    kube.forbidden = true;
    try {
      await expectKind({ kubeconfig, context: 'prod' }, 'forbidden', /list pods in all namespaces.*--namespace/);
    } finally {
      kube.forbidden = false;
    }
    // The CLI prints the message and exits 1.
    const c = captureIO(env, tmp);
    assert.equal(await main(['cluster-scan', '--kubeconfig', kubeconfig, '--context', 'staging'], c.io), 1);
    assert.match(c.err(), /context "staging" does not exist/);
    const u = captureIO(env, tmp);
    assert.equal(await main(['cluster-scan', '--kubeconfig', path.join(tmp, 'nope.yaml')], u.io), 2);
  });

  it('CLI: an unreadable --workspace-images file is a usage error that says why, before kubectl runs', async () => {
    const kubeconfig = kube.writeKubeconfig(tmp);
    const missing = captureIO(env, tmp);
    assert.equal(await main(['cluster-scan', '--kubeconfig', kubeconfig, '--workspace-images', 'no-such-images.txt'], missing.io), 2);
    assert.match(missing.err(), /--workspace-images: cannot read .*no-such-images\.txt: file not found\n$/);
    assert.doesNotMatch(missing.err(), /ENOENT|Listing pods/);
    fs.mkdirSync(path.join(tmp, 'a-dir'), { recursive: true });
    const dir = captureIO(env, tmp);
    assert.equal(await main(['cluster-scan', '--kubeconfig', kubeconfig, '--workspace-images', 'a-dir'], dir.io), 2);
    assert.match(dir.err(), /cannot read .*a-dir: it is a directory\n$/);
  });

  it('scans one namespace', async () => {
    const kubeconfig = kube.writeKubeconfig(tmp);
    const r = await scanCluster({ kubeconfig, namespace: 'monitoring', env });
    assert.equal(r.pods, 1);
    assert.deepEqual(r.images.map((i) => i.normalized), ['docker.io/library/busybox:latest', 'quay.io/prometheus/prometheus:v2.53.0']);
  });
});
