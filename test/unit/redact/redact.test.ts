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

  it('removes tokens recognisable by their prefix (Docker Hub, GitHub, GitLab, Google API keys, AWS key IDs), not image text', () => {
    const tokens = ['dckr_pat_Q7vXk2LmN9pR4sT6wY8zA1bC3dE', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', 'github_pat_11ABCDEFG0123456789_abcdefghij', 'glpat-abcdefghij0123456789', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', 'AKIAIOSFODNN7EXAMPLE'];
    const s = redact(`login failed for ${tokens.join(' and ')}.`);
    for (const t of tokens) assert.ok(!s.includes(t), `${t} in ${s}`);
    assert.match(s, /dckr_pat_\[REDACTED\]/);
    const plain = 'us-docker.pkg.dev/my-proj/mirror/ghcr.io/org/app:v1.2 docker.io/library/nginx:1.27 ASIAN-restaurant-images-for-the-demo';
    assert.equal(redact(plain), plain);
  });
});
