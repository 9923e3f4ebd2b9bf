/**
 * Drives the code-server workbench with the system Chromium through
 * playwright-core: opening a folder, running an extension test suite inside
 * the real extension host (payload extensionDevelopmentPath/extensionTestsPath),
 * keyboard helpers and screenshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS_DIR, CodeServer, scratchDir } from './codeServer';

export const CHROMIUM = process.env.AR_MIGRATE_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-features=Translate,MediaRouter,OptimizationHints',
];

export interface Workbench {
  context: BrowserContext;
  page: Page;
  /** Console messages and page errors, for failure reports. */
  console: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** extensionDevelopmentPath (absolute path on the code-server machine). */
  extensionDevelopmentPath?: string;
  /** extensionTestsPath: a JS file exporting run(). */
  extensionTestsPath?: string;
  /** Called with the suite's exit code (window.codeAutomationExit). */
  onExit?: (code: number) => void;
  /** Called with each formatted log line of the suite (window.codeAutomationLog). */
  onLog?: (line: string) => void;
  viewport?: { width: number; height: number };
}

export function workbenchUrl(cs: CodeServer, folder: string, o: OpenOptions = {}): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${cs.port}${p}`;
  const payload: [string, string][] = [];
  if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)]);
  if (o.extensionTestsPath) payload.push(['extensionTestsPath', remote(o.extensionTestsPath)]);
  payload.push(['skipWelcome', 'true']);
  payload.push(['skipReleaseNotes', 'true']);
  return `${cs.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export async function openWorkbench(cs: CodeServer, folder: string, o: OpenOptions = {}): Promise<Workbench> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set AR_MIGRATE_CHROMIUM)`);
  const profile = scratchDir('arm-chr-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: o.viewport ?? { width: 1400, height: 900 },
    timeout: 120_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  await page.exposeFunction('codeAutomationExit', (code: number) => o.onExit?.(Number(code)));
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    const line = util.format(...(Array.isArray(args) ? args : [args]));
    o.onLog?.(type && type !== 'log' ? `[${type}] ${line}` : line);
  });
  await page.goto(workbenchUrl(cs, folder, o), { timeout: 120_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  return {
    context,
    page,
    console: consoleLines,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string | undefined> {
  try {
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^a-zA-Z0-9_.-]+/g, '-')}.png`);
    await page.screenshot({ path: file, timeout: 30_000 });
    return file;
  } catch {
    return undefined;
  }
}

/** Polls `fn` until it returns a truthy value or the timeout passes (then throws with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : lastError})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Gives the workbench keyboard focus without triggering anything: a click on the
 * empty end of the status bar (the top rows may hold the Restricted Mode banner's links).
 */
export async function focusWorkbench(page: Page): Promise<void> {
  const bar = page.locator('.part.statusbar');
  const box = await bar.boundingBox().catch(() => null);
  if (box) await page.mouse.click(box.x + box.width * 0.55, box.y + box.height / 2);
  else await page.locator('.part.editor').click({ position: { x: 10, y: 10 } }).catch(() => undefined);
}

/** Quick Open (Ctrl+P) a workspace file by name and wait for its editor tab. */
export async function openFile(page: Page, name: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  // Quick Open's file search can miss a file created on disk a moment ago ("No matching
  // results" although the explorer lists it): close it and search again until it shows.
  const end = Date.now() + 90_000;
  for (let attempt = 1; ; attempt++) {
    await focusWorkbench(page);
    await page.keyboard.press('Control+P');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(name);
    try {
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      break;
    } catch (e) {
      if (Date.now() > end) throw new Error(`Quick Open did not list ${name} after ${attempt} attempts: ${e instanceof Error ? e.message : e}`);
      await page.keyboard.press('Escape');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab.active`, { hasText: path.basename(name) }).waitFor({ timeout: 30_000 });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
}

/** Runs a command by its palette title (">title"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  if (!(await page.evaluate<boolean>('Boolean(document.activeElement && document.activeElement !== document.body)').catch(() => false))) {
    await focusWorkbench(page);
  }
  const input = page.locator('.quick-input-widget input');
  // A focused webview (the report) or a busy workbench can swallow the key press: refocus and retry.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+Shift+P');
    try {
      await input.waitFor({ state: 'visible', timeout: attempt < 4 ? 10_000 : 30_000 });
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
      await page.keyboard.press('Escape');
      await focusWorkbench(page);
    }
  }
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 60_000 });
  await page.keyboard.press('Enter');
}

/** Go to a 1-based line and column in the active editor (Ctrl+G "line:col"). */
export async function gotoLine(page: Page, line: number, column = 1): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 30_000 });
}
