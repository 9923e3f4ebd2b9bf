import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { startRegistry, type RegistryHandle } from '../../harness/registry';
import { getManifest, pushImage } from '../../harness/images';
import { parseScope, startTokenServer } from '../../harness/tokenServer';

const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

describe('harness: token server', function () {
  this.timeout(60000);
  const writer = { username: 'writer', password: 'w-secret' };
  const reader = { username: 'reader', password: 'r-secret' };
  let reg: RegistryHandle;

  before(async () => {
    reg = await startRegistry({
      auth: 'token',
      users: [writer, reader],
      token: {
        acl: ({ account, actions }) => (account === 'writer' ? actions : account === 'reader' ? ['pull'] : []),
      },
    });
  });
  after(async () => {
    await reg?.stop();
  });

  it('issues ES256 JWTs with an x5c self-signed certificate, aud, and integer times', async () => {
    const ts = reg.tokenServer!;
    const r = await fetch(`${ts.realm}?service=${encodeURIComponent(ts.service)}&scope=repository:a/b:pull,push`, {
      headers: { authorization: basic(writer.username, writer.password) },
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Record<string, unknown>;
    assert.equal(typeof body.token, 'string');
    assert.equal(body.access_token, body.token);
    assert.equal(body.expires_in, 300);
    assert.ok(!Number.isNaN(Date.parse(String(body.issued_at))));
    const [h, c, s] = String(body.token).split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    assert.equal(header.alg, 'ES256');
    assert.match(header.x5c[0], /^[A-Za-z0-9+/]+=*$/); // standard base64
    const cert = new crypto.X509Certificate(Buffer.from(header.x5c[0], 'base64'));
    assert.ok(cert.verify(cert.publicKey), 'certificate is self-signed');
    assert.ok(cert.ca);
    assert.ok(cert.publicKey.equals(ts.publicKey));
    const sig = Buffer.from(s, 'base64url');
    assert.equal(sig.length, 64); // raw r||s
    assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${c}`), { key: cert.publicKey, dsaEncoding: 'ieee-p1363' }, sig));
    assert.equal(claims.aud, ts.service);
    assert.equal(claims.iss, ts.issuer);
    assert.equal(claims.sub, 'writer');
    for (const k of ['iat', 'nbf', 'exp']) assert.ok(Number.isInteger(claims[k]), k);
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }]);
  });

  it('records scopes and whether credentials were given; grants per the ACL', async () => {
    const ts = reg.tokenServer!;
    ts.requests.length = 0;
    const pushed = await pushImage(reg.url, 'team/app', 'v1', { kind: 'oci', layers: 1 }, writer);
    assert.ok(ts.requests.length >= 1);
    for (const rec of ts.requests) {
      assert.equal(rec.credentialsGiven, true);
      assert.equal(rec.account, 'writer');
      assert.equal(rec.service, ts.service);
      assert.equal(rec.status, 200);
    }
    // the registry's challenge names the scope (actions in any order); the harness client asks for exactly that
    const asked = ts.requests.flatMap((r) => r.scopes.map((s) => parseScope(s)!)).map((a) => `${a.type}:${a.name}:${a.actions.sort().join(',')}`);
    assert.ok(asked.includes('repository:team/app:pull'), asked.join(' '));
    assert.ok(asked.includes('repository:team/app:pull,push'), asked.join(' '));

    // reader: pull works, push is refused by the registry (token lacks push)
    ts.requests.length = 0;
    const got = await getManifest(reg.url, 'team/app', 'v1', reader);
    assert.equal(got.digest, pushed.digest);
    await assert.rejects(pushImage(reg.url, 'team/app', 'v2', { kind: 'oci', layers: 1 }, reader), /HTTP 401/);
    const pushAsk = ts.requests.find((r) => r.scopes.some((s) => parseScope(s)!.actions.includes('push')));
    assert.ok(pushAsk);
    assert.deepEqual(pushAsk.granted, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);

    // anonymous: a token with no access, so the registry says 401
    ts.requests.length = 0;
    await assert.rejects(getManifest(reg.url, 'team/app', 'v1'), /HTTP 401/);
    assert.equal(ts.requests[0].credentialsGiven, false);
    assert.equal(ts.requests[0].account, undefined);
    assert.deepEqual(ts.requests[0].granted, []);

    // the ACL can change at run time: anonymous pull
    ts.setAcl(({ account, actions }) => (account ? actions : actions.filter((a) => a === 'pull')));
    try {
      assert.equal((await getManifest(reg.url, 'team/app', 'v1')).digest, pushed.digest);
    } finally {
      ts.setAcl(({ account, actions }) => (account === 'writer' ? actions : account === 'reader' ? ['pull'] : []));
    }
  });

  it('rejects bad credentials with 401 and records the attempt', async () => {
    const ts = reg.tokenServer!;
    ts.requests.length = 0;
    const r = await fetch(`${ts.realm}?service=${ts.service}&scope=repository:team/app:pull`, {
      headers: { authorization: basic('writer', 'nope') },
    });
    await r.arrayBuffer();
    assert.equal(r.status, 401);
    assert.equal(ts.requests[0].status, 401);
    assert.equal(ts.requests[0].credentialsGiven, true);
    assert.equal(ts.requests[0].account, undefined);
  });

  it('supports the OAuth2 POST form (password and refresh_token grants)', async () => {
    const ts = reg.tokenServer!;
    const form = new URLSearchParams({ grant_type: 'password', username: 'reader', password: 'r-secret', service: ts.service, scope: 'repository:team/app:pull', client_id: 'test' });
    const r = await fetch(ts.realm, { method: 'POST', body: form });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { access_token: string; refresh_token: string };
    assert.ok(j.access_token && j.refresh_token);
    const m = await fetch(`${reg.url}/v2/team/app/manifests/v1`, {
      headers: { authorization: `Bearer ${j.access_token}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    await m.arrayBuffer();
    assert.equal(m.status, 200);
    const r2 = await fetch(ts.realm, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: j.refresh_token, service: ts.service, scope: 'repository:team/app:pull' }),
    });
    assert.equal(r2.status, 200);
    const bad = await fetch(ts.realm, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: 'reader', password: 'x' }) });
    await bad.arrayBuffer();
    assert.equal(bad.status, 401);
  });

  it('registry refuses expired tokens and tokens for another service', async () => {
    const ts = reg.tokenServer!;
    const expired = ts.mintToken('writer', [{ type: 'repository', name: 'team/app', actions: ['pull'] }], -120);
    const r = await fetch(`${reg.url}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${expired}` } });
    await r.arrayBuffer();
    assert.equal(r.status, 401);
    const other = await startTokenServer({ users: [writer], service: ts.service, issuer: ts.issuer });
    try {
      // same claims, but signed by a key the registry does not trust
      const foreign = other.mintToken('writer', [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
      const r2 = await fetch(`${reg.url}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${foreign}` } });
      await r2.arrayBuffer();
      assert.equal(r2.status, 401);
    } finally {
      await other.stop();
    }
    const good = ts.mintToken('writer', [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    const r3 = await fetch(`${reg.url}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${good}` } });
    assert.equal(r3.status, 200);
    assert.deepEqual(((await r3.json()) as { tags: string[] }).tags, ['v1']);
  });

  it('parses scopes whose names contain colons', () => {
    assert.deepEqual(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    assert.deepEqual(parseScope('repository:host:5000/x:pull'), { type: 'repository', name: 'host:5000/x', actions: ['pull'] });
    assert.equal(parseScope('nonsense'), undefined);
  });
});
