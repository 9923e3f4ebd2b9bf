/**
 * The runbook commands of the VS Code client are contributed (category "AR
 * Migrate", disabled in untrusted workspaces) and the client bundle builds.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunbookCommands } from '../../../client/src/protocol';

const ROOT = path.resolve(__dirname, '../../..');

describe('runbook commands in the extension manifest', function () {
  this.timeout(120_000);
  it('contributes every runbook command under "AR Migrate", enabled only in trusted workspaces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const byId = new Map<string, any>(pkg.contributes.commands.map((c: any) => [c.command, c]));
    const titles: Record<string, string> = {
      [RunbookCommands.checkAccess]: 'Check access',
      [RunbookCommands.setupLogging]: 'Set up pull logging…',
      [RunbookCommands.scanCluster]: 'Scan cluster…',
      [RunbookCommands.exportImagesTxt]: 'Export images.txt',
      [RunbookCommands.checkDrift]: 'Check drift',
    };
    for (const [id, title] of Object.entries(titles)) {
      const c = byId.get(id);
      assert.ok(c, `${id} is contributed`);
      assert.equal(c.category, 'AR Migrate');
      assert.equal(c.title, title);
      assert.equal(c.enablement, 'isWorkspaceTrusted', id);
    }
    // The server-side re-mirror command is run by the language client, not from the palette.
    assert.ok(!byId.has('arMigrate.server.remirror'));
  });

  it('the client registers them (bundles with esbuild)', async () => {
    const esbuild = await import('esbuild');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-client-'));
    try {
      const r = await esbuild.build({
        entryPoints: [path.join(ROOT, 'client/src/extension.ts')],
        outfile: path.join(out, 'extension.js'),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        external: ['vscode'],
        logLevel: 'error',
        write: true,
      });
      assert.equal(r.errors.length, 0);
      const js = fs.readFileSync(path.join(out, 'extension.js'), 'utf8');
      for (const id of Object.values(RunbookCommands)) assert.ok(js.includes(id), id);
      assert.ok(js.includes('arMigrate/clusterScan'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
