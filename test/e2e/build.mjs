// Compiles the extension-host suite (test/e2e/suite/*.ts) to test/e2e/out/suite/*.js:
// one bundle per file, `vscode` and `mocha` left to the host's require.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'suite');
const out = path.join(here, 'out', 'suite');
fs.rmSync(out, { recursive: true, force: true });
const entryPoints = fs.readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(src, f));
await esbuild.build({
  entryPoints,
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
