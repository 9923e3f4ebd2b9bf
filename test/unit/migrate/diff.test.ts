import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { splitKeepEol, unifiedDiff } from '../../../server/src/migrate/diff';

/** Applies `patch` with git apply in a scratch dir holding `file` = `oldText`; returns the result. */
function gitApply(file: string, oldText: string, patch: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-diff-'));
  try {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), oldText);
    fs.writeFileSync(path.join(dir, 'p.patch'), patch);
    execFileSync('git', ['apply', '--check', 'p.patch'], { cwd: dir, stdio: 'pipe' });
    execFileSync('git', ['apply', 'p.patch'], { cwd: dir, stdio: 'pipe' });
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('migrate/diff: unified diffs', () => {
  it('splits lines keeping terminators', () => {
    assert.deepEqual(splitKeepEol(''), []);
    assert.deepEqual(splitKeepEol('a\nb'), ['a\n', 'b']);
    assert.deepEqual(splitKeepEol('a\r\nb\r\n'), ['a\r\n', 'b\r\n']);
  });

  it('equal texts give no diff', () => {
    assert.equal(unifiedDiff('f', 'a\n', 'a\n'), '');
  });

  it('one changed line with 3 lines of context', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8'].join('\n') + '\n';
    const b = a.replace('5', 'five');
    assert.equal(unifiedDiff('dir/f.yaml', a, b), '--- a/dir/f.yaml\n+++ b/dir/f.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n');
    assert.equal(gitApply('dir/f.yaml', a, unifiedDiff('dir/f.yaml', a, b)), b);
  });

  it('separate hunks for distant changes, one hunk for close ones', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
    const a = lines.join('\n') + '\n';
    const b = a.replace('line 2\n', 'LINE 2\n').replace('line 30\n', 'LINE 30\n').replace('line 33\n', 'LINE 33\n');
    const d = unifiedDiff('f', a, b);
    assert.equal((d.match(/^@@ /gm) ?? []).length, 2);
    assert.match(d, /^@@ -1,5 \+1,5 @@$/m);
    assert.match(d, /^@@ -27,10 \+27,10 @@$/m);
    assert.equal(gitApply('f', a, d), b);
  });

  it('CRLF files and a last line without newline', () => {
    const a = 'kind: Pod\r\nspec:\r\n  image: nginx:1.25\r\n  x: 1';
    const b = 'kind: Pod\r\nspec:\r\n  image: us-docker.pkg.dev/p-proj/r/nginx:1.25\r\n  x: 1';
    const d = unifiedDiff('crlf.yaml', a, b);
    assert.ok(d.includes('-  image: nginx:1.25\r\n+  image: us-docker.pkg.dev/p-proj/r/nginx:1.25\r\n'));
    assert.equal(gitApply('crlf.yaml', a, d), b);
    const c = a.replace('x: 1', 'x: 2');
    const d2 = unifiedDiff('crlf.yaml', a, c);
    assert.ok(d2.endsWith('-  x: 1\n\\ No newline at end of file\n+  x: 2\n\\ No newline at end of file\n'));
    assert.equal(gitApply('crlf.yaml', a, d2), c);
  });

  it('inserted lines (kustomize newName) and changes at the start and end', () => {
    const a = 'images:\n- name: nginx\n  newTag: "1.25"\n';
    const b = 'images:\n- name: nginx\n  newName: us-docker.pkg.dev/p-proj/r/nginx\n  newTag: "1.25"\n';
    assert.equal(gitApply('kustomization.yaml', a, unifiedDiff('kustomization.yaml', a, b)), b);
    const c = 'FROM x\nRUN y\n';
    const e = 'FROM z\nRUN y\n';
    assert.equal(unifiedDiff('Dockerfile', c, e), '--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n-FROM x\n+FROM z\n RUN y\n');
    assert.equal(gitApply('Dockerfile', c, unifiedDiff('Dockerfile', c, e)), e);
  });

  it('a BOM stays in the first line', () => {
    const a = '\uFEFFFROM nginx\n';
    const b = '\uFEFFFROM us-docker.pkg.dev/p-proj/r/nginx\n';
    assert.equal(gitApply('Dockerfile', a, unifiedDiff('Dockerfile', a, b)), b);
  });

  it('many random edits round-trip through git apply', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const lines = Array.from({ length: 300 }, (_, i) => `l${i % 17}`);
    const a = lines.join('\n') + '\n';
    const out = [...lines];
    for (let k = 0; k < 25; k++) {
      const i = rnd(out.length);
      const op = rnd(3);
      if (op === 0) out[i] = `changed${k}`;
      else if (op === 1) out.splice(i, 1);
      else out.splice(i, 0, `new${k}`);
    }
    const b = out.join('\n') + '\n';
    assert.equal(gitApply('f', a, unifiedDiff('f', a, b)), b);
  });
});

describe('migrate/diff: large inputs', () => {
  it('a 50,000-line file with every other line changed, and one with many inserted lines, stay valid and bounded', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `image: nginx:${i}`);
    const a = lines.join('\n') + '\n';
    const b = lines.map((l, i) => (i % 2 ? l.replace('nginx', 'us-docker.pkg.dev/p-proj/r/nginx') : l)).join('\n') + '\n';
    const d = unifiedDiff('big.yaml', a, b);
    assert.equal((d.match(/^-image/gm) ?? []).length, 25_000);
    const ins = lines.flatMap((l, i) => (i % 10 === 0 ? [l, `# note ${i}`] : [l])).join('\n') + '\n';
    const d2 = unifiedDiff('big.yaml', a, ins);
    assert.equal((d2.match(/^\+# note/gm) ?? []).length, 5_000);
  });
});
