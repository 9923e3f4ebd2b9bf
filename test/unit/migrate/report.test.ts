import * as assert from 'node:assert/strict';
import { buildReport, computeRewrites, ExecutionResult, formatReport, planMigration, PlanInputFile } from '../../../server/src/migrate';
import { Policy } from '../../../server/src/references/policy';
import { scanText } from '../../../server/src/workspace/scan';

const BASE = 'us-central1-docker.pkg.dev/my-project/mirror';
const D = 'sha256:' + 'c'.repeat(64);

function file(p: string, text: string): PlanInputFile {
  return { path: p, text, findings: scanText(p, text, new Policy()).findings };
}

describe('migrate/report', () => {
  it('JSON report and summary name copied, up-to-date, skipped and failed images with reasons', () => {
    const files = [
      file('/w/Dockerfile', 'ARG V\nFROM nginx:1.27\nFROM redis:7\nFROM quay.io/x/y:$V\nFROM gone:1\n'),
      file('/w/b.yaml', 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: gone:1\n'),
    ];
    const plan = planMigration(files, BASE);
    const status = { 'docker.io/library/nginx:1.27': 'copied', 'docker.io/library/redis:7': 'up-to-date', 'docker.io/library/gone:1': 'failed' } as const;
    const result: ExecutionResult = {
      cancelled: false,
      bytesMoved: 2048,
      images: plan.images.map((p) => {
        if (p.status === 'skipped') return { planned: p, status: 'skipped', reason: p.reason };
        const s = status[p.image as keyof typeof status];
        return s === 'failed' ? { planned: p, status: s, code: 'MANIFEST_UNKNOWN', reason: 'gone:1: manifest not found on docker.io' } : { planned: p, status: s, sourceDigest: D, targetDigest: D, bytesMoved: s === 'copied' ? 2048 : 0 };
      }),
    };
    const changes = computeRewrites(plan, result);
    const outcomes = changes.map((c) => ({ path: c.path, status: 'rewritten' as const, edits: c.edits.length }));
    const r = buildReport(plan, result, changes, outcomes, { display: (p) => p.replace('/w/', '') });
    assert.deepEqual(
      r.images.map((i) => [i.image, i.status, i.references, i.rewritten]),
      [
        ['docker.io/library/nginx:1.27', 'copied', 1, 1],
        ['docker.io/library/redis:7', 'up-to-date', 1, 1],
        ['quay.io/x/y:$V', 'skipped', 1, 0],
        ['docker.io/library/gone:1', 'failed', 2, 0],
      ],
    );
    assert.deepEqual(r.images[3].files, ['Dockerfile', 'b.yaml']);
    assert.deepEqual(r.files, [
      { file: 'Dockerfile', edits: 2, status: 'rewritten' },
      { file: 'b.yaml', edits: 0, status: 'unchanged' },
    ]);
    assert.deepEqual({ ...r.summary }, {
      images: 4, copied: 1, upToDate: 1, skipped: 1, failed: 1, cancelled: 0, planned: 0,
      references: 5, referencesRewritten: 2, filesRewritten: 1, filesSkipped: 0, filesFailed: 0, bytesMoved: 2048, alreadyMigrated: 0,
    });
    const text = formatReport(r);
    assert.match(text, /^Copied:\n {2}docker\.io\/library\/nginx:1\.27 -> us-central1-docker\.pkg\.dev\/my-project\/mirror\/nginx:1\.27@sha256:c+ \(1 reference in 1 file, 1 rewritten\)$/m);
    assert.match(text, /^Already mirrored:\n {2}docker\.io\/library\/redis:7 -> /m);
    assert.match(text, /^Skipped:\n {2}quay\.io\/x\/y:\$V: has unresolved variables/m);
    assert.match(text, /^FAILED \(references left unchanged\):\n {2}docker\.io\/library\/gone:1 -> .*manifest not found/m);
    assert.match(text, /4 images: 1 copied, 1 already mirrored, 1 skipped, 1 failed; 2\.0 KiB moved\. Rewrote 2 references in 1 file\./);
  });
});
