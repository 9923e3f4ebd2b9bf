/**
 * Pathological input must neither hang nor kill the process: the yaml
 * library runs out of memory on ~20,000 nested flow collections and slows
 * down badly on very deep indentation, so documents are refused before
 * parsing, with an error naming the line.
 */
import * as assert from 'assert';
import { detectFileKind, extractReferences, guardDocument, guardDocumentFully, maskTemplates, MAX_DOCKERFILE_CHARS, YAML_LIMITS } from '../../../server/src/extract';

const pod = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx:1\n';

describe('extract: guards', function () {
  this.timeout(60000);

  it('refuses deeply nested flow collections (would be an uncatchable OOM)', function () {
    for (const bomb of ['['.repeat(20000), '{a: '.repeat(20000), 'k: ' + '[{'.repeat(5000)]) {
      const res = extractReferences('x.yaml', bomb);
      assert.strictEqual(res.references.length, 0);
      assert.strictEqual(res.errors.length, 1);
      assert.match(res.errors[0].message, /nesting too deep/);
    }
  });

  it('brackets hidden behind a stray quote are still counted', function () {
    const res = extractReferences('x.yaml', "a: b 'c\nd: " + '['.repeat(20000) + '\n');
    assert.match(res.errors[0].message, /nesting too deep/);
  });

  it('refuses very deep indentation and compact nesting', function () {
    const deep = 'a:\n' + ' '.repeat(50000) + 'b: 1\n';
    const r1 = extractReferences('x.yaml', deep);
    assert.match(r1.errors[0].message, /indentation/);
    assert.strictEqual(r1.errors[0].line, 1);
    for (const bomb of ['- '.repeat(20000) + 'x', '? '.repeat(20000) + 'x']) {
      assert.match(extractReferences('x.yaml', bomb).errors[0].message, /nesting too deep/);
    }
  });

  it('whitespace-only deep lines are fine', function () {
    const res = extractReferences('x.yaml', pod + ' '.repeat(50000) + '\n');
    assert.deepStrictEqual(res.errors, []);
    assert.strictEqual(res.references.length, 1);
  });

  it('a refused document does not hide the other documents of the file', function () {
    const res = extractReferences('x.yaml', pod + '---\n' + '['.repeat(20000) + '\n---\n' + pod);
    assert.strictEqual(res.references.length, 2);
    assert.strictEqual(res.errors.length, 1);
    assert.strictEqual(res.errors[0].line, 6);
  });

  it('refuses oversized documents and files', function () {
    const big = 'a: "' + 'x'.repeat(YAML_LIMITS.maxDocumentChars) + '"\n';
    assert.match(extractReferences('x.yaml', big).errors[0].message, /too large/);
    assert.match(extractReferences('Dockerfile', 'FROM alpine\n' + '#'.repeat(MAX_DOCKERFILE_CHARS)).errors[0].message, /too large/);
  });

  it('alias and merge-key bombs finish and report each node once', function () {
    const laughs =
      'a: &a [x,x,x,x,x,x,x,x,x,x]\n' +
      Array.from({ length: 15 }, (_, i) => {
        const me = String.fromCharCode(98 + i);
        const prev = String.fromCharCode(97 + i);
        return `${me}: &${me} [` + Array(10).fill('*' + prev).join(',') + ']';
      }).join('\n') +
      '\n';
    assert.deepStrictEqual(extractReferences('values.yaml', laughs).references, []);
    const merges =
      '.a0: &a0 {image: alpine:3}\n' +
      Array.from({ length: 25 }, (_, i) => `.a${i + 1}: &a${i + 1}\n  <<: [*a${i}, *a${i}, *a${i}]`).join('\n') +
      '\njob:\n  <<: *a25\n  script: [x]\n';
    const res = extractReferences('.gitlab-ci.yml', merges);
    assert.deepStrictEqual(
      res.references.map((r) => [r.range.start.line, r.text]),
      [[0, 'alpine:3']],
    );
  });

  it('template masking and content sniffing stay linear on hostile input', function () {
    // These would take minutes with backtracking regular expressions; mocha's timeout catches a regression.
    const unclosed = maskTemplates('# ' + '{{ '.repeat(300000));
    assert.strictEqual(unclosed.length, 2 + 3 * 300000);
    const filler = maskTemplates('{{x}}' + '\u00a7'.repeat(300000) + 'x');
    assert.strictEqual(filler.length, 5 + 300000 + 1);
    assert.strictEqual(detectFileKind('x', 'ARG x\n' + '\n'.repeat(64000)), 'unknown');
  });

  it('self-referencing merge keys do not loop', function () {
    const res = extractReferences('.gitlab-ci.yml', 'job: &j\n  <<: *j\n  image: alpine\n  script: [x]\n');
    assert.ok(Array.isArray(res.references));
  });
});

describe('extract: guard shortcut', function () {
  it('guardDocument (with its native-search shortcut) decides exactly as the full pass, near every limit', function () {
    const saved = { ...YAML_LIMITS };
    // Small limits so that random documents land on both sides of each one.
    Object.assign(YAML_LIMITS, { maxDocumentChars: 900, maxIndent: 24, maxFlowDepth: 9, maxDocumentLines: 40 });
    try {
      let seed = 12345;
      const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
      const pieces = [' ', '  ', '\t', '- ', '? ', ': ', '-', '[', '{', ']', '}', 'a', 'key: v', "'", '"', '#', '\n', '\n', '\r\n', '\n    ', '\n- - '];
      let refused = 0;
      for (let i = 0; i < 4000; i++) {
        let t = '';
        const n = rnd(300);
        for (let k = 0; k < n; k++) t += pieces[rnd(pieces.length)];
        if (rnd(4) === 0) t = ' '.repeat(rnd(40)) + t;
        if (rnd(5) === 0) t += '\n' + '- '.repeat(rnd(30)) + 'x';
        const a = guardDocument(t);
        const b = guardDocumentFully(t);
        assert.deepStrictEqual(a, b, JSON.stringify(t));
        if (b) refused++;
      }
      assert.ok(refused > 400 && refused < 3600, `${refused} of 4000 refused: the generator must hit both sides`);
    } finally {
      Object.assign(YAML_LIMITS, saved);
    }
  });
});
