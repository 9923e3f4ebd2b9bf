/** What a CLI command gets: argv after the command name, output streams, cwd, env, cancellation. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** True when stderr is a terminal (progress may redraw lines). */
  isTTY: boolean;
}

/** Thrown for a usage error: main prints the message and exits 2. */
export class UsageError extends Error {}

export type CommandRunner = (argv: string[], io: CliIO) => Promise<number>;
