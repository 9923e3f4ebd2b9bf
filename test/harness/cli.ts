/**
 * Runs the ar-migrate CLI in-process with captured output, as the integration
 * tests of migrate, drift and mirror do. HOME and DOCKER_CONFIG point into
 * `cwd` (so no developer credentials leak in) unless `env` sets them.
 */
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../server/src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(args, {
    stdout: out,
    stderr: err,
    cwd,
    env: { HOME: cwd, DOCKER_CONFIG: path.join(cwd, '.docker'), ...env },
    signal: signal ?? new AbortController().signal,
    isTTY: false,
  });
  return { code, stdout, stderr };
}
