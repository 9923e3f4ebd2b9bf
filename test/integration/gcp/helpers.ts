import { OAuth2Client } from 'google-auth-library';
import { GcpApi } from '../../../server/src/gcp/auth';
import { FakeGcp } from '../../harness/gcpServer';

/** A GcpApi on the real google-auth-library OAuth2Client, with a token the fake server issued. */
export function apiFor(fake: FakeGcp): GcpApi {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: fake.issueToken(), expiry_date: Date.now() + 3_600_000, token_type: 'Bearer' });
  return new GcpApi({ auth: client, endpoints: fake.endpoints, env: {}, retryDelayMs: 10 });
}

import { PassThrough } from 'node:stream';
import type { CliIO } from '../../../server/src/cli/io';

export interface Captured {
  io: CliIO;
  out: () => string;
  err: () => string;
}

/** A CliIO with captured output. */
export function captureIO(env: NodeJS.ProcessEnv, cwd = process.cwd(), signal: AbortSignal = new AbortController().signal): Captured {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c) => (o += c));
  stderr.on('data', (c) => (e += c));
  return { io: { stdout, stderr, cwd, env, signal, isTTY: false }, out: () => o, err: () => e };
}
