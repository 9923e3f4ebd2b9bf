/**
 * UI test in a real VS Code (code-server + headless Chromium) with the extension
 * installed from the packaged .vsix (--install-extension): squiggles, the
 * Problems panel, a hover, and the "Rewrite to Artifact Registry" quick fix
 * applied from the keyboard, checked on disk. Screenshots: .test-artifacts/.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CodeServer, copyWorkspace, ensureHostInstalled, REPO_ROOT, scratchDir, startCodeServer, ARTIFACTS_DIR } from './harness/codeServer';
import { zipEntries } from './harness/zip';
import { gotoLine, openFile, openWorkbench, runCommand, screenshot, waitFor, Workbench } from './harness/browser';

const TARGET = 'us-central1-docker.pkg.dev/my-project/mirror';

/** Packages the extension as `npm run package` does (scripts/package-vsix.mjs) into `dir`. */
function packageVsix(dir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const out = path.join(dir, `${pkg.name}-${pkg.version}.vsix`);
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package-vsix.mjs'), '--out', out], { cwd: REPO_ROOT, stdio: 'pipe' });
  return out;
}

/**
 * A Cloud Logging export (JSON lines) of kubelet "Pulling image" events over the
 * last days, relative to now so it stays inside the pull-count window. Rates stay
 * below Docker Hub's anonymous limit (100 per 6 h).
 */
function writePullLog(file: string, counts: Record<string, number>): void {
  const now = Date.now();
  const lines: string[] = [];
  for (const [image, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      const t = new Date(now - 60_000 - Math.floor(((i + 0.5) / n) * 5 * 24 * 3_600_000)).toISOString();
      lines.push(JSON.stringify({ timestamp: t, jsonPayload: { reason: 'Pulling', message: `Pulling image "${image}"` }, resource: { type: 'k8s_pod', labels: { cluster_name: 'prod' } } }));
    }
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

async function lineText(page: Page, line: number): Promise<string> {
  return (await page.locator('.editor-instance .monaco-editor .view-line').nth(line - 1).textContent()) ?? '';
}

describe('e2e: UI in code-server with the packaged .vsix', function () {
  this.timeout(600_000);
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let root: string;
  let folder: string;
  let page: Page;

  before(async function () {
    await ensureHostInstalled();
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js')), 'dist/ is built (npm run build)');
    root = scratchDir();
    const vsix = packageVsix(root);
    const files = zipEntries(vsix);
    assert.ok(files.includes('extension/dist/server.js') && files.includes('extension/dist/extension.js'), `the .vsix holds both bundles (${files.join(', ')})`);
    assert.ok(!files.some((f) => f.startsWith('extension/node_modules/') || f.startsWith('extension/server/src') || f.startsWith('extension/test/') || f.endsWith('.map')), 'the .vsix is lean');
    for (const f of ['extension/media/icon.png', 'extension/media/report.js', 'extension/media/report.css', 'extension/media/walkthrough/target.md']) assert.ok(files.includes(f), `the .vsix holds ${f}`);
    folder = copyWorkspace(path.join(REPO_ROOT, 'test', 'e2e', 'workspace'), root);
    writePullLog(path.join(folder, 'pulls.ndjson'), {
      'node:20-alpine': 90,
      'busybox:1.36': 24,
      'redis:7.2': 160,
      'postgres:16': 40,
      'python:3.12-slim': 12,
      'quay.io/prometheus/node-exporter:v1.8.0': 64,
    });
    const settingsFile = path.join(folder, '.vscode', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    Object.assign(settings, { 'arMigrate.pullCounts.source': 'logFile', 'arMigrate.pullCounts.logFile': 'pulls.ndjson', 'arMigrate.pullCounts.windowDays': 7 });
    fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
    cs = await startCodeServer({ folder, root, installVsix: [vsix] });
    const installed = fs.readdirSync(cs.extensionsDir);
    assert.ok(installed.some((d) => d.startsWith('ar-migrate.ar-migrate-')), `the .vsix was installed (extensions dir: ${installed.join(', ')})`);
    wb = await openWorkbench(cs, folder);
    page = wb.page;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await screenshot(page, `ui-failed-${this.currentTest.title}`);
      fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS_DIR, 'ui.log'), [cs?.output() ?? '', '--- browser console ---', ...(wb?.console ?? [])].join('\n'));
    }
  });

  after(async () => {
    await wb?.close();
    await cs?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('underlines third-party images in a Dockerfile', async () => {
    await openFile(page, 'Dockerfile');
    await waitFor('warning squiggles in the Dockerfile', async () => (await page.locator('.editor-instance .monaco-editor .squiggly-warning').count()) >= 2, 120_000);
    await screenshot(page, 'ui-1-squiggles');
  });

  it('lists the findings in the Problems panel', async () => {
    await page.keyboard.press('Control+Shift+M');
    const rows = page.locator('.markers-panel .monaco-list-row');
    const texts = await waitFor('Problems rows from ar-migrate', async () => {
      const t = await rows.allTextContents();
      return t.some((x) => /ar-migrate/.test(x) && /node:20-alpine|docker\.io\/library\/node/.test(x)) ? t : undefined;
    }, 60_000);
    assert.ok(texts.some((x) => /busybox/.test(x)), `busybox is listed too (rows: ${JSON.stringify(texts)})`);
    await screenshot(page, 'ui-2-problems');
    await page.keyboard.press('Control+J'); // hide the panel again
  });

  it('shows a hover on the image', async () => {
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-line').nth(1).waitFor();
    // Point the mouse at the image text on line 2 ("FROM node:20-alpine AS build").
    const word = editor.locator('.view-line').nth(1).locator('span span', { hasText: /node/ }).first();
    const box = await word.boundingBox();
    assert.ok(box, 'line 2 is rendered');
    const hover = page.locator('.monaco-hover:not(.hidden)').filter({ hasText: /docker\.io\/library\/node|node:20-alpine/ });
    await waitFor('a hover naming the image', async () => {
      await page.mouse.move(box.x + box.width / 2 + 5, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width / 2 + 8, box.y + box.height / 2);
      try {
        await hover.first().waitFor({ state: 'visible', timeout: 5000 });
        return true;
      } catch {
        return false;
      }
    }, 60_000, 500);
    await screenshot(page, 'ui-3-hover');
    await page.keyboard.press('Escape');
    await page.mouse.move(5, 5);
  });

  it('applies "Rewrite to Artifact Registry" with the keyboard and saves it to disk', async () => {
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await gotoLine(page, 2, 8);
    const focused = page.locator('.action-widget .monaco-list-row.focused');
    await waitFor('the quick fix menu', async () => {
      await page.keyboard.press('Control+.');
      try {
        await page.locator('.action-widget .monaco-list-row').first().waitFor({ state: 'visible', timeout: 5000 });
        return true;
      } catch {
        await page.keyboard.press('Escape');
        return false;
      }
    }, 60_000, 500);
    const rows = await page.locator('.action-widget .monaco-list-row').allTextContents();
    assert.ok(rows.some((r) => /ignore/i.test(r)), `an ignore action is offered (menu: ${JSON.stringify(rows)})`);
    await screenshot(page, 'ui-4-quickfix-menu');
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      const t = (await focused.count()) ? ((await focused.first().textContent()) ?? '') : '';
      if (/Rewrite to Artifact Registry/i.test(t)) found = true;
      else await page.keyboard.press('ArrowDown');
    }
    assert.ok(found, `"Rewrite to Artifact Registry" can be focused (menu: ${JSON.stringify(rows)})`);
    await page.keyboard.press('Enter');
    await waitFor('the rewritten line in the editor', async () => (await lineText(page, 2)).replace(/\u00a0/g, ' ').includes(`${TARGET}/node:20-alpine`), 30_000);
    await page.keyboard.press('Control+S');
    const file = path.join(folder, 'Dockerfile');
    await waitFor('the rewrite on disk', () => fs.readFileSync(file, 'utf8').includes(`FROM ${TARGET}/node:20-alpine AS build`), 30_000);
    const disk = fs.readFileSync(file, 'utf8');
    assert.match(disk, /^COPY --from=busybox:1\.36 /m, 'other references are untouched');
    await screenshot(page, 'ui-5-rewritten');
  });

  it('counts third-party references in the status bar', async () => {
    const item = page.locator('.statusbar-item', { hasText: /third-party/ });
    // The whole workspace is counted, not only the open Dockerfile: at least the 6 third-party
    // references of the files never opened here (k8s/, compose, services/api, jobs/).
    let last: string | null | undefined;
    const text = await waitFor(
      'the AR Migrate status bar item with the workspace count',
      async () => {
        last = (await item.count()) ? await item.first().textContent() : undefined;
        const n = Number(/(\d+) third-party/.exec(last ?? '')?.[1] ?? 0);
        return n >= 6 ? last : undefined;
      },
      60_000,
    ).catch((e: Error) => assert.fail(`${e.message} (last text: ${JSON.stringify(last)})`));
    assert.match(text ?? '', /\d+ third-party/);
  });

  it('shows the migration report with a bar chart', async () => {
    await page.keyboard.press('Escape');
    await runCommand(page, 'AR Migrate: Show migration report');
    const frame = await waitFor('the report webview with bars', async () => {
      for (const f of page.frames()) {
        try {
          if ((await f.locator('.bar-row').count()) > 0) return f;
        } catch {
          // frame navigated away
        }
      }
      return undefined;
    }, 120_000, 500);
    const labels = await frame.locator('.bar-label').allTextContents();
    for (const img of ['redis', 'busybox', 'postgres', 'quay.io/prometheus/node-exporter']) {
      assert.ok(labels.includes(img), `${img} is charted (bars: ${JSON.stringify(labels)})`);
    }
    assert.ok(!labels.some((l) => /shop-migrate|distroless/.test(l)), `first-party images are not charted by default (bars: ${JSON.stringify(labels)})`);
    const title = (await frame.locator('.chart h2').textContent()) ?? '';
    assert.match(title, /Pulls per image/, 'pull counts from the log export are charted');
    assert.equal(labels[0], 'redis', `the most pulled image comes first (bars: ${JSON.stringify(labels)})`);
    const values = await frame.locator('.bar-value').allTextContents();
    assert.equal(values[0], '160', `redis has 160 pulls (values: ${JSON.stringify(values)})`);
    const rows = await frame.locator('tbody tr').allTextContents();
    assert.ok(rows.some((r) => /node-exporter/.test(r) && /k8s\/deployment\.yaml/.test(r) && /v1\.8\.0/.test(r)), `the table lists node-exporter with its file and version (rows: ${JSON.stringify(rows)})`);
    const numbers = await frame.locator('tbody tr', { hasText: 'node-exporter' }).locator('td.num').allTextContents();
    assert.deepEqual(numbers.map((n) => n.trim()), ['1', '64'], 'node-exporter: 1 reference, 64 pulls');
    assert.match((await frame.locator('.meta').textContent()) ?? '', /pulls\.ndjson/, 'the pull-count source is named');
    // The first-party filter brings in the Artifact Registry images.
    await frame.locator('.filters input').first().check();
    await waitFor('first-party rows', async () => (await frame.locator('tbody tr', { hasText: 'first-party' }).count()) > 0, 30_000);
    await screenshot(page, 'ui-6-report');
    await page.keyboard.press('Control+W');
  });

  it('refreshes pull counts from the palette', async () => {
    await runCommand(page, 'AR Migrate: Refresh pull counts');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: /pulls of \d+ images/ });
    await toast.first().waitFor({ timeout: 60_000 });
    const text = (await toast.first().textContent()) ?? '';
    assert.match(text, /390 pulls of 6 images/, text);
    assert.match(text, /pulls\.ndjson/, text);
  });

  it('configures the target with validation (Configure target…)', async () => {
    await runCommand(page, 'AR Migrate: Configure target…');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await input.inputValue(), TARGET, 'the input starts with the current target');
    await input.fill('docker.io/library/nginx');
    await page.locator('.quick-input-widget', { hasText: /not an Artifact Registry Docker host/ }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'ui-7-target-validation');
    await page.keyboard.press('Enter'); // refused while invalid
    await input.fill('europe-docker.pkg.dev/my-project/team-mirror');
    await waitFor('the validation message to clear', async () => (await page.locator('.quick-input-widget', { hasText: /not an Artifact Registry/ }).count()) === 0, 30_000);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Workspace' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter'); // "Workspace" is the first choice
    const settingsFile = path.join(folder, '.vscode', 'settings.json');
    await waitFor('the target in .vscode/settings.json', () => fs.readFileSync(settingsFile, 'utf8').includes('europe-docker.pkg.dev/my-project/team-mirror'), 30_000);
  });
});
