/**
 * Dry run over the shared corpus of real files: the diff applies with git,
 * and after applying it every migrated reference points under the base
 * (a re-scan finds none of the planned images still third-party).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeRewrites, dryRunResult, loadWorkspaceFiles, planMigration, unifiedDiff } from '../../../server/src/migrate';
import { Policy } from '../../../server/src/references/policy';

const BASE = 'us-central1-docker.pkg.dev/my-project/mirror';

function corpusDir(): string {
  if (process.env.AR_MIGRATE_CORPUS) return path.resolve(process.env.AR_MIGRATE_CORPUS);
  return path.resolve(__dirname, '../../../../shared/corpus');
}

describe('migrate dry run over the shared corpus', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-corpus-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('produces a diff git apply accepts; afterwards the planned images are all under the base', async () => {
    const src = path.join(corpusDir(), 'files');
    assert.ok(fs.existsSync(src), `corpus not found at ${src} (set AR_MIGRATE_CORPUS)`);
    fs.cpSync(src, path.join(dir, 'files'), { recursive: true });
    const policy = new Policy({ firstPartyRegistries: [`us-central1-docker.pkg.dev/my-project/mirror/**`] });
    const loaded = await loadWorkspaceFiles([dir], { policy });
    const plan = planMigration(loaded.files, BASE);
    const pending = plan.images.filter((i) => i.status === 'pending');
    assert.ok(pending.length > 20, `expected many images, got ${pending.length}`);
    const changes = computeRewrites(plan, dryRunResult(plan), { assumeVerified: true });
    const rel = (p: string) => path.relative(dir, p).split(path.sep).join('/');
    const patch = changes.map((c) => unifiedDiff(rel(c.path), c.oldText, c.newText)).join('');
    fs.writeFileSync(path.join(dir, 'all.patch'), patch);
    execFileSync('git', ['apply', '--check', 'all.patch'], { cwd: dir, stdio: 'pipe' });
    execFileSync('git', ['apply', 'all.patch'], { cwd: dir, stdio: 'pipe' });
    fs.rmSync(path.join(dir, 'all.patch'));

    const notRewritten = new Set(changes.flatMap((c) => c.skipped.map((s) => s.image)));
    const after = await loadWorkspaceFiles([dir], { policy });
    const again = planMigration(after.files, BASE);
    const left = again.images.filter((i) => i.status === 'pending' && !notRewritten.has(i.image)).map((i) => i.image);
    assert.deepEqual(left, []);
    // every rewrite changed only reference text: the edited lines keep their count
    for (const c of changes) {
      const added = c.newText.split('\n').length - c.oldText.split('\n').length;
      const kustomizeInserts = c.edits.filter((e) => e.newText.includes('\n')).length;
      assert.equal(added, kustomizeInserts, c.path);
    }
  });
});
