import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { waitFor } from '../../harness/ports';

/** pids of processes whose command line mentions `needle` (scans /proc). */
function pidsMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('harness: registry processes never outlive the test process', function () {
  this.timeout(60000);

  it('a registry is killed and its temp dir removed when its parent dies by SIGKILL', async () => {
    const registryTs = path.resolve(__dirname, '../../harness/registry.ts');
    const code = `require(${JSON.stringify(registryTs)}).startRegistry().then((r) => { console.log(JSON.stringify({ url: r.url, dir: r.storageDir })); setInterval(() => {}, 1000); });`;
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(__dirname, '../../..') });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
      });
      const { url, dir } = JSON.parse(line) as { url: string; dir: string };
      const r = await fetch(`${url}/v2/`);
      assert.equal(r.status, 200);
      assert.ok(fs.existsSync(dir));
      const config = path.join(path.dirname(dir), 'config.yml');
      assert.ok(pidsMentioning(config).length >= 1, 'registry process found');
      child.kill('SIGKILL');
      await waitFor(async () => pidsMentioning(config).length === 0, 30000, 'registry to die');
      await waitFor(async () => !fs.existsSync(dir), 30000, 'temp dir removal');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
