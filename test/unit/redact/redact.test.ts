import { strict as assert } from 'node:assert';
import { redact, redactLog } from '../../../server/src/redact';
import { redact as registryRedact } from '../../../server/src/registry/errors';
import { redact as pullsRedact } from '../../../server/src/pulls/errors';
import { redact as lspRedact } from '../../../server/src/lsp/server';

describe('redact: one redaction for every area', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
  const text = `Authorization: Bearer abcdefghijklmnop https://user:pa55word@host/x?key=AIzaSecret&x=1 ya29.a0AfH6SMBxyz {"private_key":"k3y"} ${pem}`;

  it('removes tokens, URL credentials, API keys, OAuth access tokens and private keys', () => {
    const s = redact(text);
    for (const bad of ['abcdefghijklmnop', 'pa55word', 'AIzaSecret', 'a0AfH6SMBxyz', 'k3y', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC']) assert.ok(!s.includes(bad), `${bad} in ${s}`);
    assert.ok(s.includes('x=1'));
    assert.ok(s.includes('host/x'));
  });

  it('the registry, pull-count and language-server names are the same redaction', () => {
    assert.equal(registryRedact, redact);
    assert.equal(pullsRedact, redact);
    assert.equal(lspRedact, redactLog);
  });

  it('log text also loses values written after secret-named keys', () => {
    const s = redactLog('client_secret: s3cr3t password=hunter2 token: "t0k" the token expired');
    for (const bad of ['s3cr3t', 'hunter2', 't0k']) assert.ok(!s.includes(bad), `${bad} in ${s}`);
    assert.ok(s.includes('the token expired'));
    assert.ok(!redactLog(text).includes('pa55word'));
  });
});
