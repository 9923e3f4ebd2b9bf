import { CliIO } from './io';

// Placeholder until this command lands; replaced by its owner.
export async function run(_argv: string[], io: CliIO): Promise<number> {
  io.stderr.write('ar-migrate: this command is not implemented yet\n');
  return 2;
}
