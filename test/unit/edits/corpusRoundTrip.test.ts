/**
 * Rewrite round trip over the shared corpus: rewrite every third-party
 * reference of every file to Artifact Registry, extract again, and check that
 * each one now resolves to its target (tag and digest kept), first-party, and
 * that nothing else in the file changed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../../server/src/analyze';
import { parseTargetBase, rewriteFile, targetName, targetReference } from '../../../server/src/edits/rewrite';
import { extractReferences } from '../../../server/src/extract';
import { Policy } from '../../../server/src/references/policy';
import { parseNormalizedTemplate } from '../../../server/src/references/reference';

const CORPUS = path.resolve(__dirname, '../../../../shared/corpus');
const BASE = parseTargetBase('europe-west1-docker.pkg.dev/acme-prod/mirror');

describe('edits: corpus rewrite round trip', () => {
  it('every third-party reference in the corpus rewrites to its target and re-extracts as first-party', () => {
    assert.ok(fs.existsSync(CORPUS), `corpus not found at ${CORPUS}`);
    assert.ok(BASE.ok);
    const base = BASE.value;
    const policy = new Policy();
    const files = fs.readFileSync(path.join(CORPUS, 'files.txt'), 'utf8').split('\n').filter(Boolean);
    let rewritten = 0;
    const problems: string[] = [];
    for (const rel of files) {
      const file = path.join(CORPUS, 'files', rel);
      const text = fs.readFileSync(file, 'utf8');
      const before = extractReferences(file, text);
      const findings = analyze(before.references, policy, text, before.fileKind).filter((f) => f.thirdParty && f.ref && !f.error);
      if (findings.length === 0) continue;
      const r = rewriteFile(text, findings, (f) => targetName(f.ref!, base));
      // Variables in a repository path cannot be placed safely; everything else must be rewritten.
      for (const s of r.skipped) if (!/\$/.test(s.finding.text)) problems.push(`${rel}:${s.finding.range.start.line + 1} ${s.finding.text}: ${s.reason}`);
      const after = extractReferences(file, r.text);
      const afterFindings = analyze(after.references, policy, r.text, after.fileKind);
      for (const f of r.rewritten) {
        rewritten++;
        const want = targetReference(f.ref!, base);
        const want2 = f.composite ? targetName(f.ref!, base) : want;
        const got = afterFindings.find((a) => a.range.start.line === f.range.start.line && a.kind === f.kind);
        if (!got) {
          problems.push(`${rel}:${f.range.start.line + 1} ${f.text}: no reference after the rewrite`);
          continue;
        }
        if (got.thirdParty) problems.push(`${rel}:${f.range.start.line + 1} still third-party: ${got.normalized}`);
        const wantNorm = parseNormalizedOf(want);
        if (!f.composite && got.normalized !== wantNorm) problems.push(`${rel}:${f.range.start.line + 1} ${f.text} -> ${got.normalized}, want ${wantNorm}`);
        if (f.composite && !got.normalized?.startsWith(want2)) problems.push(`${rel}:${f.range.start.line + 1} ${f.text} -> ${got.normalized}, want ${want2}...`);
      }
      // Only the edited characters changed: every line without an edit is identical.
      const editedLines = new Set(r.edits.flatMap((e) => [e.range.start.line, e.range.end.line]));
      const a = text.split('\n');
      const b = r.text.split('\n');
      if (r.edits.every((e) => !e.newText.includes('\n'))) {
        assert.equal(b.length, a.length, rel);
        for (let i = 0; i < a.length; i++) if (!editedLines.has(i) && a[i] !== b[i]) problems.push(`${rel}:${i + 1} changed without an edit`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(rewritten > 100, `only ${rewritten} references rewritten`);
  });
});

function parseNormalizedOf(ref: string): string {
  const r = parseNormalizedTemplate(ref);
  if (!r.ok) throw new Error(r.error);
  return r.value.normalized;
}
