import { CliIO } from './io';

// Placeholder until the mirror command lands; replaced by its owner.
export async function run(_argv: string[], io: CliIO): Promise<number> {
  io.stderr.write('ar-migrate mirror: not implemented yet\n');
  return 2;
}
