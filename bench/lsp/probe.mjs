// Is our language server ready to be measured? Starts dist/server.js on a tiny
// document of the fixture's language and waits (bounded) for an ar-migrate diagnostic.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient } from '../lib/lsp-client.mjs';

const SAMPLES = {
  yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: probe\nspec:\n  containers:\n    - name: a\n      image: nginx:1.25.3\n',
  dockerfile: 'FROM python:3.12-slim\nRUN true\n',
};

/** @returns {Promise<{ready:boolean, reason?:string, ms?:number}>} */
export async function probeOurs(def, fixture, log = () => {}, timeoutMs = 20000) {
  if (!def.available) return { ready: false, reason: `${def.args[0]} does not exist (run npm run build)` };
  const dir = mkdtempSync(join(tmpdir(), 'arm-bench-probe-'));
  const file = join(dir, fixture.fileName);
  const text = SAMPLES[fixture.languageId] ?? SAMPLES.yaml;
  writeFileSync(file, text);
  let c;
  try {
    c = await LspClient.start({ command: process.execPath, args: def.args, cwd: dir, name: def.label });
    await c.initialize({ rootDir: dir, settings: def.settings, timeoutMs });
    const t0 = c.didOpen(pathToFileURL(file).href, fixture.languageId, text);
    const d = await c.waitForDiagnostics(pathToFileURL(file).href, { after: t0, accept: def.acceptFirst, timeoutMs });
    return { ready: true, ms: d.t - t0 };
  } catch (e) {
    const reason = `no ar-migrate diagnostic for a ${fixture.languageId} sample within ${timeoutMs / 1000} s (${e instanceof Error ? e.message : e})`;
    log(`probe: ${reason}`);
    return { ready: false, reason };
  } finally {
    if (c) await c.stop(2000).catch(() => c.kill());
    rmSync(dir, { recursive: true, force: true });
  }
}
