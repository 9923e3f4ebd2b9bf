// Proves the harness registries are real and the test images valid: an independent client
// (skopeo, containers/image) copies them between two harness registries, digests preserved.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRegistry, type RegistryHandle } from '../../harness/registry';
import { getManifest, listTags, pushImage } from '../../harness/images';

const run = promisify(execFile);

async function skopeo(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { timeout: 60000, env: { ...process.env, HOME: process.env.HOME ?? '/tmp' } });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`skopeo ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}
const creds = (r: RegistryHandle) => `${r.credentials!.username}:${r.credentials!.password}`;

describe('harness: skopeo copies between harness registries', function () {
  this.timeout(90000);
  let plain: RegistryHandle;
  let basic: RegistryHandle;
  let token: RegistryHandle;
  before(async () => {
    [plain, basic, token] = await Promise.all([startRegistry(), startRegistry({ auth: 'basic' }), startRegistry({ auth: 'token' })]);
  });
  after(async () => {
    await Promise.all([plain?.stop(), basic?.stop(), token?.stop()]);
  });

  it('copy --all of an OCI index from a token-auth registry to a basic-auth one keeps the index digest', async () => {
    const src = await pushImage(token.url, 'lib/multi', '1.0', { kind: 'oci-index', platforms: ['linux/amd64', 'linux/arm64/v8'], layers: 2, layerSize: 4096, attestations: true }, token.credentials);
    assert.equal(src.children.length, 4);
    await skopeo([
      'copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false',
      '--src-creds', creds(token), '--dest-creds', creds(basic),
      `docker://${token.host}/lib/multi:1.0`, `docker://${basic.host}/mirror/multi:1.0`,
    ]);
    const got = await getManifest(basic.url, 'mirror/multi', '1.0', basic.credentials);
    assert.equal(got.digest, src.digest);
    for (const c of src.children) assert.equal((await getManifest(basic.url, 'mirror/multi', c.digest, basic.credentials)).digest, c.digest);
    const inspected = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds(basic), `docker://${basic.host}/mirror/multi:1.0`]));
    assert.equal(inspected.manifests.length, 4);
    assert.equal(inspected.manifests[2].platform.os, 'unknown');
    assert.equal(inspected.manifests[2].annotations['vnd.docker.reference.digest'], src.children[0].digest);
  });

  it('copy --all of a Docker manifest list and a schema2 image (no auth) keeps digests', async () => {
    const list = await pushImage(plain.url, 'lib/list', 'v2', { kind: 'docker-list', layers: 1 });
    const single = await pushImage(plain.url, 'lib/single', 'v1', { kind: 'schema2', layers: 3 });
    await skopeo(['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', creds(token), `docker://${plain.host}/lib/list:v2`, `docker://${token.host}/m/list:v2`]);
    await skopeo(['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', creds(token), `docker://${plain.host}/lib/single:v1`, `docker://${token.host}/m/single:v1`]);
    assert.equal((await getManifest(token.url, 'm/list', 'v2', token.credentials)).digest, list.digest);
    assert.equal((await getManifest(token.url, 'm/single', 'v1', token.credentials)).digest, single.digest);
    assert.deepEqual(await listTags(token.url, 'm/list', token.credentials), ['v2']);
  });
});
