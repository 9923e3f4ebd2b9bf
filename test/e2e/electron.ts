/**
 * Runs the extension-host suite (test/e2e/suite) in desktop VS Code with
 * @vscode/test-electron, for machines that have it (not the CI here, which has
 * no display and cannot download VS Code: there `npm run test:e2e` runs the
 * same suite in code-server).
 *
 *   npm run build && npm run test:electron
 *   VSCODE_EXECUTABLE=/usr/share/code/code npm run test:electron   # use an installed VS Code
 *   VSCODE_VERSION=1.100.3 npm run test:electron                    # download that version
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..', '..');
  const suite = path.join(repo, 'test', 'e2e', 'out', 'suite', 'index.js');
  if (!fs.existsSync(suite)) throw new Error(`${suite} is missing: run node test/e2e/build.mjs`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-el-'));
  const workspace = path.join(scratch, 'ws');
  fs.cpSync(path.join(repo, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
  try {
    await runTests({
      extensionDevelopmentPath: repo,
      extensionTestsPath: suite,
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
      version: process.env.VSCODE_VERSION || '1.100.3',
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--user-data-dir', path.join(scratch, 'ud')],
      extensionTestsEnv: { AR_MIGRATE_E2E_RESULT: path.join(scratch, 'result.json') },
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`test:electron failed: ${e instanceof Error ? e.message : e}`);
  if (!process.env.VSCODE_EXECUTABLE) console.error('Without internet access set VSCODE_EXECUTABLE to an installed VS Code (or run `npm run test:e2e`, which uses code-server).');
  process.exit(1);
});
