/**
 * Mirroring from the VS Code UI against real registries: two loopback
 * docker-registry instances, one as a third-party source, one standing in for
 * Artifact Registry (AR_MIGRATE_REGISTRY_ENDPOINTS sends
 * us-central1-docker.pkg.dev there). Drives code-server + Chromium:
 *  - the quick fix "Mirror to Artifact Registry and rewrite" (progress, then the rewrite),
 *  - "Migrate workspace…" (QuickPick of images, one progress, one edit, summary),
 *  - a failing image (error with "Show log", nothing rewritten).
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CodeServer, ensureHostInstalled, REPO_ROOT, scratchDir, startCodeServer, ARTIFACTS_DIR } from './harness/codeServer';
import { gotoLine, openFile, openWorkbench, runCommand, screenshot, waitFor, Workbench } from './harness/browser';
import { startRegistry, RegistryHandle } from '../harness/registry';
import { manifestExists, pushImage } from '../harness/images';
import { startFaultProxy, FaultProxyHandle } from '../harness/faultProxy';

const AR_HOST = 'us-central1-docker.pkg.dev';
const TARGET = `${AR_HOST}/my-project/mirror`;

describe('e2e: mirroring from the UI (code-server, loopback registries)', function () {
  this.timeout(600_000);
  let source: RegistryHandle | undefined;
  let proxy: FaultProxyHandle | undefined;
  let ar: RegistryHandle | undefined;
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let root: string;
  let folder: string;
  let page: Page;
  /** Path of an image under the target, as the default mapping names it (host ":" -> "-"). */
  const targetRepo = (repo: string) => `my-project/mirror/${source!.host.replace(':', '-')}/${repo}`;

  before(async () => {
    await ensureHostInstalled();
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'server.js')), 'dist/ is built (npm run build)');
    [source, ar] = await Promise.all([startRegistry(), startRegistry()]);
    await pushImage(source.url, 'team/app', '1.0', { kind: 'oci-index', layers: 2, layerSize: 64 * 1024, seed: 'app' });
    await pushImage(source.url, 'team/worker', '2.0', { kind: 'schema2', layers: 3, layerSize: 32 * 1024, seed: 'worker' });
    await pushImage(source.url, 'team/sidecar', '3.1', { kind: 'schema2', layers: 1, seed: 'sidecar' });

    root = scratchDir();
    folder = path.join(root, 'ws');
    fs.mkdirSync(path.join(folder, 'deploy'), { recursive: true });
    fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'Dockerfile'), `FROM ${source.host}/team/app:1.0\nRUN echo hello\n`);
    fs.writeFileSync(
      path.join(folder, 'deploy', 'workers.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: workers}',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        `        - {name: worker, image: "${source.host}/team/worker:2.0"}`,
        `        - {name: sidecar, image: "${source.host}/team/sidecar:3.1"}`,
        `        - {name: missing, image: "${source.host}/team/missing:9.9"}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(folder, 'docker-compose.yml'), `services:\n  worker:\n    image: ${source.host}/team/worker:2.0\n`);
    fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'arMigrate.target': TARGET }, null, 2));

    // Credentials for the stand-in Artifact Registry (the registry has no auth; this keeps the
    // server from looking for Google credentials on a machine without them).
    const home = path.join(root, 'home');
    fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
    fs.writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [AR_HOST]: { auth: Buffer.from('oauth2accesstoken:test').toString('base64') } } }));

    cs = await startCodeServer({
      folder,
      root,
      env: { AR_MIGRATE_REGISTRY_ENDPOINTS: `${AR_HOST}=${ar.url}` },
      userSettings: { 'arMigrate.insecureRegistries': [source.host] },
    });
    wb = await openWorkbench(cs, folder, { extensionDevelopmentPath: REPO_ROOT });
    page = wb.page;
    // The development extension's contributions arrive after the workbench: wait for its status item.
    await page.locator('.statusbar-item', { hasText: /AR Migrate|third-party/ }).first().waitFor({ timeout: 120_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await screenshot(page, `mirror-failed-${this.currentTest.title}`);
      fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS_DIR, 'mirror.log'), [cs?.output() ?? '', '--- browser console ---', ...(wb?.console ?? []), '--- source registry ---', source?.logs() ?? '', '--- target registry ---', ar?.logs() ?? ''].join('\n'));
    }
  });

  after(async () => {
    await wb?.close();
    await cs?.stop();
    await proxy?.stop();
    await Promise.all([source?.stop(), ar?.stop()]);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('checks push access to the target (Check credentials)', async () => {
    await runCommand(page, 'AR Migrate: Check credentials');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: /AR Migrate: (?!checking)/ });
    await toast.first().waitFor({ timeout: 60_000 });
    const text = (await toast.first().textContent()) ?? '';
    assert.match(text, /docker config|config\.json/i, `names where the credentials came from: ${text}`);
    assert.doesNotMatch(text, /oauth2accesstoken:test|b2F1dGgyYWNjZXNzdG9rZW46dGVzdA/, 'no secret in the message');
    assert.ok((await page.locator('.notifications-toasts .codicon-error').count()) === 0, `no error: ${text}`);
    await page.keyboard.press('Escape');
  });

  it('mirrors and rewrites one reference from the quick fix', async () => {
    await openFile(page, 'Dockerfile');
    await waitFor('a warning squiggle', async () => (await page.locator('.editor-instance .monaco-editor .squiggly-warning').count()) >= 1, 120_000);
    await gotoLine(page, 1, 8);
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
    const focused = page.locator('.action-widget .monaco-list-row.focused');
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      const t = (await focused.count()) ? ((await focused.first().textContent()) ?? '') : '';
      if (/Mirror to Artifact Registry and rewrite/i.test(t)) found = true;
      else await page.keyboard.press('ArrowDown');
    }
    assert.ok(found, `"Mirror to Artifact Registry and rewrite" is offered (menu: ${JSON.stringify(await page.locator('.action-widget .monaco-list-row').allTextContents())})`);
    await page.keyboard.press('Enter');
    const expected = `${TARGET}/${source!.host.replace(':', '-')}/team/app:1.0`;
    await waitFor('the rewritten FROM line', async () => ((await page.locator('.editor-instance .monaco-editor .view-line').first().textContent()) ?? '').replace(/\u00a0/g, ' ').includes(expected), 180_000, 500);
    assert.ok(await manifestExists(ar!.url, targetRepo('team/app'), '1.0'), 'the image is in the target registry');
    await page.keyboard.press('Control+S');
    await waitFor('the rewrite on disk', () => fs.readFileSync(path.join(folder, 'Dockerfile'), 'utf8').startsWith(`FROM ${expected}\n`), 30_000);
    await screenshot(page, 'mirror-1-quickfix');
  });

  it('migrates the workspace: picks images, mirrors them, rewrites the successful ones in one edit', async () => {
    await runCommand(page, 'AR Migrate: Migrate workspace…');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await waitFor('the image picker', async () => (await rows.count()) >= 3, 120_000, 500);
    const texts = await rows.allTextContents();
    assert.ok(texts.some((t) => /team\/worker/.test(t) && /2 refs in 2 files/.test(t)), `worker is listed with 2 refs in 2 files (items: ${JSON.stringify(texts)})`);
    assert.ok(!texts.some((t) => /team\/app/.test(t)), `the already migrated app is not listed (items: ${JSON.stringify(texts)})`);
    await screenshot(page, 'mirror-2-picker');
    await page.keyboard.press('Enter'); // all images are picked by default
    const summary = page.locator('.notifications-toasts .notification-list-item', { hasText: /mirrored 2 of 3 images/ });
    await summary.first().waitFor({ timeout: 240_000 });
    const summaryText = (await summary.first().textContent()) ?? '';
    assert.match(summaryText, /rewrote 3 references/);
    assert.match(summaryText, /team\/missing/);
    await screenshot(page, 'mirror-3-summary');
    // "Show log" opens the ar-migrate output with the failure.
    await summary.first().locator('.monaco-button', { hasText: 'Show log' }).click();
    await waitFor('the ar-migrate log with the failure', async () => {
      const t = (await page.locator('.part.panel .monaco-editor .view-lines').allTextContents()).join('\n').replace(/\u00a0/g, ' ');
      return /Mirroring \S*team\/missing:9\.9 failed/.test(t);
    }, 30_000, 500);
    await screenshot(page, 'mirror-4-log');
    for (const repo of ['team/worker', 'team/sidecar']) assert.ok(await manifestExists(ar!.url, targetRepo(repo), repo === 'team/worker' ? '2.0' : '3.1'), `${repo} is in the target registry`);
    const hostPath = source!.host.replace(':', '-');
    await waitFor('the rewrites on disk', () => {
      const y = fs.readFileSync(path.join(folder, 'deploy', 'workers.yaml'), 'utf8');
      const c = fs.readFileSync(path.join(folder, 'docker-compose.yml'), 'utf8');
      return y.includes(`"${TARGET}/${hostPath}/team/worker:2.0"`) && y.includes(`"${TARGET}/${hostPath}/team/sidecar:3.1"`) && c.includes(`image: ${TARGET}/${hostPath}/team/worker:2.0`);
    }, 60_000);
    const yaml = fs.readFileSync(path.join(folder, 'deploy', 'workers.yaml'), 'utf8');
    assert.ok(yaml.includes(`"${source!.host}/team/missing:9.9"`), 'the image that failed is not rewritten');
  });

  it('mirrors a typed image (Mirror image…)', async () => {
    await pushImage(source!.url, 'tools/cli', '0.3', { kind: 'oci', layers: 1, seed: 'cli' });
    const image = `${source!.host}/tools/cli:0.3`;
    await runCommand(page, 'AR Migrate: Mirror image…');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(image);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'typed' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: /AR Migrate: mirrored .*tools\/cli:0\.3 to / });
    await toast.first().waitFor({ timeout: 120_000 });
    assert.match((await toast.first().textContent()) ?? '', new RegExp(`${TARGET.replace(/[.]/g, '\\.')}/${source!.host.replace(':', '-').replace(/[.]/g, '\\.')}/tools/cli:0\\.3`));
    assert.ok(await manifestExists(ar!.url, targetRepo('tools/cli'), '0.3'), 'the image is in the target registry');
    await page.keyboard.press('Escape');
  });

  it('shows copy progress and cancels from the notification without rewriting', async () => {
    await pushImage(source!.url, 'team/big', '5.0', { kind: 'schema2', layers: 2, layerSize: 1_500_000, seed: 'big' });
    // Blobs of the source crawl through a throttling proxy, so there is time to cancel.
    proxy = await startFaultProxy(source!.url, [{ method: 'GET', path: /\/blobs\/sha256:/, action: { type: 'throttle', bytesPerSecond: 48 * 1024 } }]);
    const ref = `${proxy.host}/team/big:5.0`;
    const file = path.join(folder, 'slow.Dockerfile');
    fs.writeFileSync(file, `FROM ${ref}\n`);
    await openFile(page, 'slow.Dockerfile');
    await waitFor('a warning squiggle', async () => (await page.locator('.editor-instance .monaco-editor .squiggly-warning').count()) >= 1, 120_000);
    await gotoLine(page, 1, 8);
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
    const focused = page.locator('.action-widget .monaco-list-row.focused');
    for (let i = 0; i < 20; i++) {
      const t = (await focused.count()) ? ((await focused.first().textContent()) ?? '') : '';
      if (/Mirror to Artifact Registry and rewrite/i.test(t)) break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: /AR Migrate: mirroring/ });
    await waitFor('progress with bytes', async () => /\d+(\.\d+)? (KB|MB)/.test((await toast.first().textContent().catch(() => '')) ?? ''), 120_000, 250);
    await screenshot(page, 'mirror-5-progress');
    await toast.first().locator('.monaco-button', { hasText: 'Cancel' }).click();
    await page.locator('.notifications-toasts .notification-list-item', { hasText: /cancelled; nothing was rewritten/ }).first().waitFor({ timeout: 60_000 });
    assert.equal(fs.readFileSync(file, 'utf8'), `FROM ${ref}\n`, 'the file is unchanged');
    const line = ((await page.locator('.editor-instance .monaco-editor .view-line').first().textContent()) ?? '').replace(/\u00a0/g, ' ');
    assert.ok(line.includes(`FROM ${ref}`), `the editor is unchanged (${line})`);
    assert.equal(await manifestExists(ar!.url, `my-project/mirror/${proxy.host.replace(':', '-')}/team/big`, '5.0'), false, 'no manifest was pushed');
  });
});
