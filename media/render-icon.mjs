// Renders media/icon.svg to media/icon.png (128x128) with the system Chromium.
// Run from the repository root: node media/render-icon.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const svg = fs.readFileSync(path.join(here, 'icon.svg'), 'utf8');
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-icon-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.AR_MIGRATE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 128, height: 128 },
  deviceScaleFactor: 1,
});
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: path.join(here, 'icon.png'), omitBackground: true });
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
