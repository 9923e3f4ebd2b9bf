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

/** A parseArgs value as a list: a `multiple` option's array, one string, or [] when not given. */
export function list(v: unknown): string[] {
  return Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [String(v)];
}
