import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerConfigStore, normalizeConfigKey, StaticCredentialStore } from '../../../server/src/registry/credentials';

describe('registry: docker credentials', () => {
  let dir: string;
  let bin: string;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const store = (doc: unknown, opts: { allowHelpers?: boolean } = {}) => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(doc));
    return new DockerConfigStore({ env: { DOCKER_CONFIG: dir, PATH: `${bin}:/usr/bin:/bin` }, google: false, allowHelpers: opts.allowHelpers ?? true });
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-cred-'));
    bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    // A credential helper speaking docker's protocol: server URL on stdin, JSON on stdout.
    fs.writeFileSync(
      path.join(bin, 'docker-credential-fake'),
      '#!/bin/sh\nread url\nif [ "$1" != get ]; then exit 1; fi\ncase "$url" in\n  *nothing*) echo "credentials not found in native keychain"; exit 1;;\n  *tok*) printf \'{"ServerURL":"%s","Username":"<token>","Secret":"refresh-123"}\' "$url";;\n  *) printf \'{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret-%s"}\' "$url" "$url";;\nesac\n',
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('normalises config keys', () => {
    assert.equal(normalizeConfigKey('https://index.docker.io/v1/'), 'index.docker.io');
    assert.equal(normalizeConfigKey('docker.io'), 'index.docker.io');
    assert.equal(normalizeConfigKey('http://LOCALHOST:5000/v2/'), 'localhost:5000');
  });

  it('reads base64 auth, username/password, identitytoken and registrytoken', async () => {
    const s = store({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'localhost:5000': { username: 'u', password: 'p' },
        'https://ghcr.io': { auth: b64('x:'), identitytoken: 'idtok' },
        'r.example': { registrytoken: 'rtok' },
      },
    });
    assert.deepEqual(await s.get('docker.io'), { kind: 'basic', username: 'hubuser', password: 'hub:pass', source: `${path.join(dir, 'config.json')} auths["https://index.docker.io/v1/"]` });
    assert.equal((await s.get('localhost:5000'))?.kind, 'basic');
    const id = await s.get('ghcr.io');
    assert.ok(id?.kind === 'identityToken' && id.token === 'idtok' && id.username === 'x');
    assert.ok((await s.get('r.example'))?.kind === 'registryToken');
    assert.equal(await s.get('quay.io'), undefined);
    assert.match(s.describe('quay.io'), /config\.json/);
    assert.ok(!s.describe('docker.io').includes('hub:pass'));
  });

  it('credHelpers win over auths; credsStore is used otherwise; helper "not found" falls back', async () => {
    const s = store({
      auths: { 'localhost:5000': { username: 'file', password: 'file-pass' }, 'nothing.example': { username: 'f2', password: 'p2' } },
      credHelpers: { 'localhost:5000': 'fake', 'tok.example': 'fake' },
      credsStore: 'fake',
    });
    const c = await s.get('localhost:5000');
    assert.ok(c?.kind === 'basic' && c.username === 'helper-user' && c.password === 'helper-secret-localhost:5000', JSON.stringify(c));
    assert.match(c.source, /docker-credential-fake/);
    const t = await s.get('tok.example');
    assert.ok(t?.kind === 'identityToken' && t.token === 'refresh-123');
    // credsStore for Docker Hub gets the legacy server URL
    const hub = await s.get('docker.io');
    assert.ok(hub?.kind === 'basic' && hub.password === 'helper-secret-https://index.docker.io/v1/');
    // the store has nothing for this one: the file entry is used
    const n = await s.get('nothing.example');
    assert.ok(n?.kind === 'basic' && n.username === 'f2');
  });

  it('runs no helper in an untrusted workspace', async () => {
    const s = store({ auths: { 'localhost:5000': { username: 'file', password: 'file-pass' } }, credHelpers: { 'localhost:5000': 'fake' } }, { allowHelpers: false });
    const c = await s.get('localhost:5000');
    assert.ok(c?.kind === 'basic' && c.username === 'file');
    assert.match(s.describe('localhost:5000'), /helpers disabled/);
  });

  it('survives a missing or broken config and a missing helper', async () => {
    fs.writeFileSync(path.join(dir, 'config.json'), '{not json');
    const s = new DockerConfigStore({ env: { DOCKER_CONFIG: dir, PATH: bin }, google: false });
    assert.equal(await s.get('localhost:5000'), undefined);
    assert.match(s.describe('x'), /cannot read/);
    const m = store({ credHelpers: { 'a.example': 'does-not-exist' } });
    assert.equal(await m.get('a.example'), undefined);
    const none = new DockerConfigStore({ env: { DOCKER_CONFIG: path.join(dir, 'nope') }, google: false });
    assert.equal(await none.get('docker.io'), undefined);
  });

  it('Artifact Registry without docker credentials: falls back to `gcloud auth print-access-token` (not when untrusted)', async function () {
    this.timeout(20_000);
    fs.writeFileSync(path.join(bin, 'gcloud'), '#!/bin/sh\n[ "$1 $2" = "auth print-access-token" ] && echo "ya29.fake-access-token" || exit 3\n', { mode: 0o755 });
    const saved = { ...process.env };
    // no Application Default Credentials here, and no metadata server probe
    process.env.METADATA_SERVER_DETECTION = 'none';
    process.env.CLOUDSDK_CONFIG = path.join(dir, 'no-gcloud-config');
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    try {
      fs.writeFileSync(path.join(dir, 'config.json'), '{}');
      const env = { DOCKER_CONFIG: dir, PATH: `${bin}:/usr/bin:/bin` };
      const s = new DockerConfigStore({ env });
      const c = await s.get('europe-west1-docker.pkg.dev');
      assert.ok(c?.kind === 'basic' && c.username === 'oauth2accesstoken' && c.password === 'ya29.fake-access-token', JSON.stringify(c && { ...c, password: '…' }));
      assert.match(c.source, /gcloud/);
      assert.ok(!s.describe('europe-west1-docker.pkg.dev').includes('ya29'));
      const untrusted = new DockerConfigStore({ env, allowHelpers: false });
      assert.equal(await untrusted.get('gcr.io'), undefined);
      // not a Google registry: never asks gcloud
      assert.equal(await s.get('quay.io'), undefined);
    } finally {
      for (const k of ['METADATA_SERVER_DETECTION', 'CLOUDSDK_CONFIG', 'GOOGLE_APPLICATION_CREDENTIALS']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('static credentials match by registry', async () => {
    const s = new StaticCredentialStore({ 'localhost:5000': { username: 'a', password: 'b' }, 'https://index.docker.io/v1/': { identityToken: 't' } });
    assert.equal((await s.get('localhost:5000'))?.kind, 'basic');
    assert.equal((await s.get('docker.io'))?.kind, 'identityToken');
    assert.equal(await s.get('quay.io'), undefined);
  });
});
