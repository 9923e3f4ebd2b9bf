import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { getManifest, pushImage, blobExists } from '../../harness/images';
import { copyImage, MirrorSession } from '../../../server/src/registry/copy';
import { DockerConfigStore } from '../../../server/src/registry/credentials';
import { RegistryError } from '../../../server/src/registry/errors';

function writeConfig(doc: unknown): { dir: string; store: DockerConfigStore } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-dockercfg-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(doc));
  return { dir, store: new DockerConfigStore({ env: { DOCKER_CONFIG: dir, PATH: '/nonexistent' }, allowHelpers: false, google: false }) };
}

describe('mirror engine auth against real registries', function () {
  this.timeout(120_000);
  let open: RegistryHandle;
  let basic: RegistryHandle;
  let token: RegistryHandle;
  const dirs: string[] = [];

  before(async () => {
    [open, basic, token] = await Promise.all([startRegistry(), startRegistry({ auth: 'basic' }), startRegistry({ auth: 'token' })]);
  });
  after(async () => {
    await Promise.all([open?.stop(), basic?.stop(), token?.stop()]);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('pushes to a Basic-auth registry with config.json `auth` credentials', async () => {
    const img = await pushImage(open.url, 'src/basic', 'v1', { kind: 'docker-list', layers: 2 });
    const u = basic.credentials!;
    const { dir, store } = writeConfig({ auths: { [basic.host]: { auth: Buffer.from(`${u.username}:${u.password}`).toString('base64') } } });
    dirs.push(dir);
    const r = await copyImage(`${open.host}/src/basic:v1`, `${basic.host}/dst/basic:v1`, { credentials: store });
    assert.equal(r.targetDigest, img.digest);
    assert.equal((await getManifest(basic.url, 'dst/basic', 'v1', u)).digest, img.digest);
  });

  it('says which credential was refused and how to fix it, without the secret', async () => {
    await pushImage(open.url, 'src/basic2', 'v1', { kind: 'oci' });
    const secret = 'wrong-password-XYZ123456';
    const { dir, store } = writeConfig({ auths: { [`http://${basic.host}`]: { username: basic.credentials!.username, password: secret } } });
    dirs.push(dir);
    await assert.rejects(copyImage(`${open.host}/src/basic2:v1`, `${basic.host}/dst/basic2:v1`, { credentials: store }), (e: RegistryError) => {
      assert.equal(e.code, 'UNAUTHORIZED');
      assert.ok(e.message.includes(basic.host), e.message);
      assert.ok(e.message.includes('config.json'), e.message);
      assert.ok(e.message.includes('docker login'), e.message);
      assert.ok(!e.message.includes(secret));
      return true;
    });
    const none = writeConfig({});
    dirs.push(none.dir);
    await assert.rejects(copyImage(`${open.host}/src/basic2:v1`, `${basic.host}/dst/basic2:v1`, { credentials: none.store }), (e: RegistryError) => e.code === 'UNAUTHORIZED' && /no credentials/.test(e.message));
  });

  it('uses the token flow with username/password from config.json, scopes per repository, and mounts', async () => {
    const u = token.credentials!;
    const img = await pushImage(token.url, 'team/app', 'v1', { kind: 'oci-index', layers: 2 }, u);
    const { dir, store } = writeConfig({ auths: { [token.host]: { username: u.username, password: u.password } } });
    dirs.push(dir);
    token.tokenServer!.requests.length = 0;
    const session = new MirrorSession({ credentials: store });
    const r = await copyImage(`${token.host}/team/app:v1`, `${token.host}/mirror/app:v1`, { session });
    assert.equal(r.targetDigest, img.digest);
    assert.equal(r.blobsMounted, img.blobs.length);
    const reqs = token.tokenServer!.requests;
    assert.ok(reqs.every((q) => q.status === 200 && q.credentialsGiven && q.account === u.username));
    const scopes = reqs.map((q) => q.scopes.join(' '));
    assert.ok(scopes.some((s) => s.includes('repository:team/app:pull') && s.includes('repository:mirror/app:pull,push')), scopes.join('\n'));
    // tokens are cached per scope: a handful of token requests, not one per blob
    assert.ok(reqs.length <= 6, `${reqs.length} token requests`);
    // to another registry (anonymous pull is refused, so credentials are needed on the source side)
    const r2 = await copyImage(`${token.host}/team/app:v1`, `${open.host}/from-token/app:v1`, { session });
    assert.equal(r2.targetDigest, img.digest);
    for (const b of img.blobs) assert.ok(await blobExists(open.url, 'from-token/app', b.digest));
  });

  it('exchanges a config.json identitytoken (refresh token) for access', async () => {
    const u = token.credentials!;
    const res = await fetch(`${token.tokenServer!.realm}?service=${encodeURIComponent(token.tokenServer!.service)}&offline_token=true`, {
      headers: { authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` },
    });
    const refresh = ((await res.json()) as { refresh_token: string }).refresh_token;
    assert.ok(refresh);
    const img = await pushImage(open.url, 'src/idtok', 'v1', { kind: 'schema2' });
    const { dir, store } = writeConfig({ auths: { [token.host]: { auth: Buffer.from(`${u.username}:`).toString('base64'), identitytoken: refresh } } });
    dirs.push(dir);
    token.tokenServer!.requests.length = 0;
    const r = await copyImage(`${open.host}/src/idtok:v1`, `${token.host}/dst/idtok:v1`, { credentials: store });
    assert.equal(r.targetDigest, img.digest);
    assert.ok(token.tokenServer!.requests.some((q) => q.grantType === 'refresh_token' && q.status === 200));
  });

  it('reports a refused token request as unauthorized naming the registry', async () => {
    await pushImage(open.url, 'src/denied', 'v1', { kind: 'oci' });
    const { dir, store } = writeConfig({ auths: { [token.host]: { username: token.credentials!.username, password: 'nope-nope-nope' } } });
    dirs.push(dir);
    await assert.rejects(copyImage(`${open.host}/src/denied:v1`, `${token.host}/dst/denied:v1`, { credentials: store }), (e: RegistryError) => {
      assert.equal(e.code, 'UNAUTHORIZED');
      assert.ok(e.message.includes(token.host));
      assert.ok(!e.message.includes('nope-nope-nope'));
      return true;
    });
  });
});
