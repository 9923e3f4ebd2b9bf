/**
 * Entry of the integration suite that runs INSIDE the VS Code extension host
 * (`extensionTestsPath`), in @vscode/test-electron's format: the host requires
 * this file and awaits run(). Used by code-server (test/e2e/extensionHost.e2e.ts)
 * and by desktop VS Code (test/e2e/electron.ts).
 *
 * Compiled by test/e2e/build.mjs to test/e2e/out/suite/index.js (the host loads
 * JavaScript); mocha is resolved from the repository's node_modules.
 * When AR_MIGRATE_E2E_RESULT is set, a JSON summary is written there.
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

interface Outcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  const dir = __dirname;
  const grep = process.env.AR_MIGRATE_E2E_GREP;
  if (grep) mocha.grep(grep);
  // `*.suite.js` by default; AR_MIGRATE_E2E_SUITES=untrusted runs `*.untrusted.js` (a host in Restricted Mode).
  const kind = process.env.AR_MIGRATE_E2E_SUITES === 'untrusted' ? '.untrusted.js' : '.suite.js';
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(kind)).sort()) mocha.addFile(path.join(dir, f));
  const outcomes: Outcome[] = [];
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const resultFile = process.env.AR_MIGRATE_E2E_RESULT;
        if (resultFile) {
          const summary = {
            passed: outcomes.filter((o) => o.state === 'passed').length,
            failed: outcomes.filter((o) => o.state === 'failed').length,
            pending: outcomes.filter((o) => o.state === 'pending').length,
            durationMs: Date.now() - started,
            tests: outcomes,
          };
          fs.writeFileSync(resultFile, JSON.stringify(summary, null, 2));
        }
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed.`));
        else resolve();
      });
      runner.on('pass', (t) => outcomes.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('fail', (t, err: Error) =>
        outcomes.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: err?.stack ?? String(err) }),
      );
      runner.on('pending', (t) => outcomes.push({ title: t.fullTitle(), state: 'pending' }));
    } catch (e) {
      reject(e);
    }
  });
}
