import assert from 'node:assert/strict';
import { hasIgnoreComment, ignoreCommentEdit, instructionStart, splitLines } from '../../../server/src/edits/ignore';
import { applyEdits } from '../../../server/src/edits/rewrite';
import { refIn } from './helpers';

describe('edits/ignore', () => {
  it('adds the comment above a YAML reference with its indentation', () => {
    const doc = 'spec:\n  containers:\n    - name: web\n      image: nginx\n';
    const r = refIn(doc, 'nginx', 'k8s');
    const out = applyEdits(doc, [ignoreCommentEdit(doc, r)]);
    assert.equal(out, 'spec:\n  containers:\n    - name: web\n      # ar-migrate: ignore\n      image: nginx\n');
    assert.ok(hasIgnoreComment(splitLines(out), refIn(out, 'nginx', 'k8s')));
  });
  it('indents like a list item line', () => {
    const doc = 'steps:\n  - image: alpine\n';
    const out = applyEdits(doc, [ignoreCommentEdit(doc, refIn(doc, 'alpine', 'github-actions'))]);
    assert.equal(out, 'steps:\n  # ar-migrate: ignore\n  - image: alpine\n');
    assert.ok(hasIgnoreComment(splitLines(out), refIn(out, 'alpine', 'github-actions')));
  });
  it('puts the comment above the instruction of a multi-line Dockerfile FROM, with CRLF kept', () => {
    const doc = 'FROM scratch\r\n  FROM --platform=linux/amd64 \\\r\n  # note\r\n    nginx:1 AS x\r\n';
    const r = refIn(doc, 'nginx:1', 'dockerfile-from');
    assert.equal(instructionStart(splitLines(doc), 3), 1);
    const out = applyEdits(doc, [ignoreCommentEdit(doc, r)]);
    assert.equal(out, 'FROM scratch\r\n  # ar-migrate: ignore\r\n  FROM --platform=linux/amd64 \\\r\n  # note\r\n    nginx:1 AS x\r\n');
    assert.ok(hasIgnoreComment(splitLines(out), refIn(out, 'nginx:1', 'dockerfile-from')));
  });
  it('honours the escape directive', () => {
    const lines = splitLines('# escape=`\nFROM `\n  nginx\n');
    assert.equal(instructionStart(lines, 2), 1);
  });
  it('recognises a trailing comment and not one inside the value or far above', () => {
    const yes = 'image: nginx # ar-migrate: ignore\n';
    assert.ok(hasIgnoreComment(splitLines(yes), refIn(yes, 'nginx', 'k8s')));
    const no = '# ar-migrate: ignore\n\nimage: nginx\nx: "a#ar-migrate: ignore"\n';
    assert.equal(hasIgnoreComment(splitLines(no), refIn(no, 'nginx', 'k8s')), false);
    const df = 'FROM nginx  #  AR-MIGRATE: Ignore\n';
    assert.ok(hasIgnoreComment(splitLines(df), refIn(df, 'nginx', 'dockerfile-from')));
  });
  it('an ARG-sourced reference is silenced at the ARG or at the FROM using it', () => {
    const doc = 'ARG IMG=nginx:1\n# ar-migrate: ignore\nFROM $IMG\n';
    const r = refIn(doc, 'nginx:1', 'dockerfile-arg', { usedAt: { start: { line: 2, character: 5 }, end: { line: 2, character: 9 } } });
    assert.ok(hasIgnoreComment(splitLines(doc), r));
    const doc2 = '# ar-migrate: ignore\nARG IMG=nginx:1\nFROM $IMG\n';
    assert.ok(hasIgnoreComment(splitLines(doc2), refIn(doc2, 'nginx:1', 'dockerfile-arg')));
  });
});
