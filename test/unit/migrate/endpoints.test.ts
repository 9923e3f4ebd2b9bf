import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { overrideDispatcher, parseEndpointOverrides } from '../../../server/src/migrate';
import { RegistryClient } from '../../../server/src/registry/client';

describe('migrate/endpoints: AR_MIGRATE_REGISTRY_ENDPOINTS', () => {
  it('parses HOST=URL lists and names bad entries', () => {
    assert.deepEqual(parseEndpointOverrides(''), []);
    assert.deepEqual(parseEndpointOverrides('us-docker.pkg.dev=http://127.0.0.1:5001/, Quay.io=https://mirror.example:8443'), [
      { registry: 'us-docker.pkg.dev', url: 'http://127.0.0.1:5001' },
      { registry: 'quay.io', url: 'https://mirror.example:8443' },
    ]);
    assert.throws(() => parseEndpointOverrides('us-docker.pkg.dev'), /expected HOST=URL/);
    assert.throws(() => parseEndpointOverrides('a=not a url'), /not a URL/);
    assert.throws(() => parseEndpointOverrides('a=ftp://x'), /not supported/);
  });

  it('sends an overridden registry to its endpoint with its public name forwarded', async () => {
    const seen: { url?: string; host?: string; xfh?: string; xfp?: string }[] = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url, host: req.headers.host, xfh: req.headers['x-forwarded-host'] as string, xfp: req.headers['x-forwarded-proto'] as string });
      res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const dispatcher = overrideDispatcher([{ registry: 'us-docker.pkg.dev', url: `http://127.0.0.1:${port}` }]);
      const client = new RegistryClient('us-docker.pkg.dev', { dispatcher });
      const res = await client.request({ method: 'GET', path: '/v2/', scopes: [], what: 'ping' });
      assert.equal(res.status, 200);
      await res.body.dump();
      assert.deepEqual(seen, [{ url: '/v2/', host: `127.0.0.1:${port}`, xfh: 'us-docker.pkg.dev', xfp: 'https' }]);
      assert.equal(overrideDispatcher([]), undefined);
    } finally {
      server.close();
    }
  });
});
