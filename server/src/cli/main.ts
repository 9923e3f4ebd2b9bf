/**
 * `ar-migrate` CLI entry: dispatches to one module per command. Exit codes:
 * 0 success / nothing found, 1 findings or failures, 2 usage error.
 *
 * Start-up time matters (docs/cli-startup.md): the build bundles each command
 * separately (dist/cli/<command>.js) and this dispatcher requires only the one
 * that runs, so keep this file free of heavy imports and top-level work.
 */
import { preferBaselineWasm } from '../registry/memory';
import { CliIO, CommandRunner, UsageError } from './io';

interface CommandInfo {
  summary: string;
  load: () => CommandRunner;
}

const COMMANDS: Record<string, CommandInfo> = {
  scan: { summary: 'find image references in Dockerfiles and YAML', load: () => require('./scan').run },
  pulls: { summary: 'count image pulls from BigQuery or a log export', load: () => require('./pulls').run },
  mirror: { summary: 'copy images registry to registry (Artifact Registry)', load: () => require('./mirror').run },
  migrate: { summary: 'mirror every third-party image found and rewrite the references', load: () => require('./migrate').run },
  check: { summary: 'check the target repository and who can push and pull', load: () => require('./check').run },
  'setup-logging': { summary: 'create the image-pull log sink into BigQuery', load: () => require('./setupLogging').run },
  'cluster-scan': { summary: 'list the images running in a cluster (kubectl)', load: () => require('./clusterScan').run },
  drift: { summary: 'compare mirrored images with their upstream tags', load: () => require('./drift').run },
};

export const VERSION: string = (() => {
  try {
    return require('../../../package.json').version;
  } catch {
    return 'dev';
  }
})();

function usage(): string {
  const lines = ['Usage: ar-migrate <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `ar-migrate <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? io.stdout : io.stderr).write(usage());
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v') {
    io.stdout.write(`ar-migrate ${VERSION}\n`);
    return 0;
  }
  const info = COMMANDS[cmd];
  if (!info) {
    io.stderr.write(`ar-migrate: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await info.load()(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`ar-migrate ${cmd}: ${err.message}\n`);
      return 2;
    }
    if (io.signal.aborted) {
      io.stderr.write(`ar-migrate ${cmd}: cancelled\n`);
      return 130;
    }
    io.stderr.write(`ar-migrate ${cmd}: ${(err as Error)?.message ?? String(err)}\n`);
    if (io.env.AR_MIGRATE_DEBUG) io.stderr.write(`${(err as Error)?.stack}\n`);
    return 1;
  }
}

/** Commands whose process exists to copy images: they trade WebAssembly tier-up for a lower peak RSS. */
const COPY_COMMANDS = new Set(['mirror', 'migrate']);

/** Runs the CLI on this process's argv and sets the exit code. */
export function runFromProcess(): void {
  if (COPY_COMMANDS.has(process.argv[2])) preferBaselineWasm();
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    signal: controller.signal,
    isTTY: Boolean(process.stderr.isTTY),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`ar-migrate: ${err?.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runFromProcess();
