/**
 * Workspace Trust in the UI: a folder opened in Restricted Mode shows
 * diagnostics, keeps mirroring commands disabled, and when the user trusts it
 * the language server restarts with full features.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CodeServer, copyWorkspace, ensureHostInstalled, REPO_ROOT, scratchDir, startCodeServer, ARTIFACTS_DIR } from './harness/codeServer';
import { openFile, openWorkbench, runCommand, screenshot, waitFor, Workbench } from './harness/browser';

async function outputText(page: Page): Promise<string> {
  return (await page.locator('.part.panel .monaco-editor .view-lines').allTextContents()).join('\n').replace(/\u00a0/g, ' ');
}

describe('e2e: Workspace Trust (code-server)', function () {
  this.timeout(600_000);
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let root: string;
  let page: Page;

  before(async () => {
    await ensureHostInstalled();
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'server.js')), 'dist/ is built (npm run build)');
    root = scratchDir();
    const folder = copyWorkspace(path.join(REPO_ROOT, 'test', 'e2e', 'workspace'), root);
    cs = await startCodeServer({ folder, root, workspaceTrust: true });
    wb = await openWorkbench(cs, folder, { extensionDevelopmentPath: REPO_ROOT });
    page = wb.page;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await screenshot(page, `trust-failed-${this.currentTest.title}`);
      fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS_DIR, 'trust.log'), [cs?.output() ?? '', '--- browser console ---', ...(wb?.console ?? [])].join('\n'));
    }
  });

  after(async () => {
    await wb?.close();
    await cs?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('analyses an untrusted folder and keeps mirroring off', async () => {
    await openFile(page, 'Dockerfile');
    await waitFor('warning squiggles', async () => (await page.locator('.editor-instance .monaco-editor .squiggly-warning').count()) >= 2, 120_000);
    await runCommand(page, 'AR Migrate: Show log');
    await waitFor('the untrusted start in the log', async () => /NOT trusted: diagnostics and hovers only/.test(await outputText(page)), 30_000);
    // Disabled commands are not offered in the palette.
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill('>AR Migrate: ');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show migration report' }).first().waitFor({ timeout: 30_000 });
    const rows = await page.locator('.quick-input-list .monaco-list-row').allTextContents();
    assert.ok(!rows.some((r) => /Migrate workspace|Mirror image/.test(r)), `mirroring commands are disabled (palette: ${JSON.stringify(rows)})`);
    await page.keyboard.press('Escape');
  });

  it('restarts the language server with full features when the folder is trusted', async () => {
    await runCommand(page, 'Workspaces: Manage Workspace Trust');
    const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
    await trust.waitFor({ timeout: 60_000 });
    await screenshot(page, 'trust-1-editor');
    await trust.click();
    // The ar-migrate output is still open in the panel from the first test.
    await waitFor('the restart after the trust grant', async () => {
      const t = await outputText(page);
      return t.includes('Restarting the language server: workspace trusted') && t.includes('), workspace trusted');
    }, 60_000, 500);
    await page.locator('.tabs-container .tab', { hasText: 'Dockerfile' }).first().click();
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill('>AR Migrate: Migrate workspace');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Migrate workspace' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');
  });
});
