/**
 * Runs the extension-host integration suite (test/e2e/suite) in a real VS Code:
 * code-server 4.100.3 + headless Chromium, the extension loaded from this
 * repository as extensionDevelopmentPath, the suite as extensionTestsPath.
 * Needs `npm run build` (dist/) first; `npm run test:e2e` does everything.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CodeServer, copyWorkspace, ensureHostInstalled, REPO_ROOT, scratchDir, startCodeServer, ARTIFACTS_DIR } from './harness/codeServer';
import { openWorkbench, screenshot, Workbench } from './harness/browser';

const SUITE_JS = path.join(REPO_ROOT, 'test', 'e2e', 'out', 'suite', 'index.js');

/** Runs the compiled suite in a fresh code-server; returns when the suite reports its exit code. */
async function runHostSuite(opts: { name: string; trusted: boolean; prepare?: (folder: string) => void }): Promise<void> {
  const root = scratchDir();
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    const folder = copyWorkspace(path.join(REPO_ROOT, 'test', 'e2e', 'workspace'), root);
    opts.prepare?.(folder);
    const resultFile = path.join(root, 'result.json');
    cs = await startCodeServer({
      folder,
      root,
      workspaceTrust: !opts.trusted,
      env: { AR_MIGRATE_E2E_RESULT: resultFile, ...(opts.trusted ? {} : { AR_MIGRATE_E2E_SUITES: 'untrusted' }) },
    });
    const lines: string[] = [];
    let exitCode: number | undefined;
    const exited = new Promise<number>((resolve) => {
      const t0 = Date.now();
      void openWorkbench(cs!, folder, {
        extensionDevelopmentPath: REPO_ROOT,
        extensionTestsPath: SUITE_JS,
        onExit: (c) => {
          exitCode = c;
          resolve(c);
        },
        onLog: (l) => lines.push(l),
      }).then(
        (w) => {
          wb = w;
          if (process.env.AR_MIGRATE_E2E_VERBOSE) console.log(`    workbench up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        },
        (e) => {
          lines.push(`[harness] could not open the workbench: ${e instanceof Error ? e.message : e}`);
          resolve(-1);
        },
      );
    });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<number>((r) => (timer = setTimeout(() => r(-2), 540_000)))]);
    clearTimeout(timer);
    const summary = fs.existsSync(resultFile) ? (JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { passed: number; failed: number; tests: { title: string; state: string; durationMs?: number; error?: string }[] }) : undefined;
    for (const t of summary?.tests ?? []) console.log(`      ${t.state === 'passed' ? '✓' : '✗'} [host] ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
    if (code !== 0 || !summary || summary.failed > 0) {
      if (wb) await screenshot(wb.page, `${opts.name}-failure`);
      fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS_DIR, `${opts.name}.log`), [...lines, '--- code-server ---', cs.output(), '--- browser console ---', ...(wb?.console ?? [])].join('\n'));
      const failures = (summary?.tests ?? []).filter((t) => t.state === 'failed').map((t) => `${t.title}\n${t.error}`);
      assert.fail(
        `${opts.name}: suite exit code ${exitCode ?? code}${code === -2 ? ' (timed out)' : ''}; ${summary ? `${summary.passed} passed, ${summary.failed} failed` : 'no result file'}\n` +
          `${failures.join('\n\n')}\n(logs in .test-artifacts/${opts.name}.log)\n${lines.slice(-40).join('\n')}`,
      );
    }
    assert.ok(summary.passed >= (opts.trusted ? 5 : 2), `the suite ran its tests (${summary.passed} passed)`);
  } finally {
    await wb?.close();
    await cs?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('e2e: extension-host suite in code-server', function () {
  this.timeout(600_000);

  before(async () => {
    await ensureHostInstalled();
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js')), 'dist/extension.js exists (npm run build)');
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'server.js')), 'dist/server.js exists (npm run build)');
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'test', 'e2e', 'build.mjs')], { stdio: 'inherit' });
  });

  it('passes inside the extension host', () => runHostSuite({ name: 'extension-host', trusted: true }));

  it('passes inside the extension host of an untrusted workspace (Restricted Mode)', () =>
    runHostSuite({
      name: 'extension-host-untrusted',
      trusted: false,
      prepare: (folder) => {
        const f = path.join(folder, '.vscode', 'settings.json');
        const s = JSON.parse(fs.readFileSync(f, 'utf8'));
        fs.writeFileSync(f, JSON.stringify({ ...s, 'arMigrate.pullCounts.source': 'logFile', 'arMigrate.pullCounts.logFile': 'pulls.ndjson' }, null, 2));
      },
    }));
});
