// Packages the VS Code extension (.vsix) from a staging folder holding only what
// the extension ships: package.json (without npm's "files", which vsce would
// otherwise use instead of .vscodeignore), README, LICENSE, CHANGELOG,
// dist/extension.js, dist/server.js and the media assets. The npm package of
// the CLI keeps its own "files" list. Run after `npm run build`.
//   node scripts/package-vsix.mjs [--out path/to/file.vsix]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg > 0 ? process.argv[outArg + 1] : path.join(repo, `${pkg.name}-${pkg.version}.vsix`));

const required = ['dist/extension.js', 'dist/server.js', 'media/icon.png', 'media/report.js', 'media/report.css'];
for (const f of required) {
  if (!fs.existsSync(path.join(repo, f))) {
    console.error(`package-vsix: ${f} is missing (run npm run build first)`);
    process.exit(1);
  }
}

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-vsix-'));
try {
  const { files: _npmFiles, ...manifest } = pkg;
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const copy = (rel) => {
    const src = path.join(repo, rel);
    if (!fs.existsSync(src)) return;
    fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
    fs.cpSync(src, path.join(stage, rel), { recursive: true });
  };
  for (const f of ['README.md', 'LICENSE', 'LICENSE.md', 'LICENSE.txt', 'CHANGELOG.md', '.vscodeignore', ...required, 'media/walkthrough']) copy(f);
  const vsce = path.join(repo, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '--out', out], { cwd: stage, stdio: 'inherit' });
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
