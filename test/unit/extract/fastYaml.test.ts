/**
 * The fast block-YAML parser must agree exactly (structure, values, source
 * ranges) with the yaml library on everything it accepts, and give up on
 * anything outside its subset.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { isMap, isScalar, isSeq, parseDocument, Scalar } from 'yaml';
import { fastParse } from '../../../server/src/extract/fastYaml';
import { maskTemplates, splitYamlDocuments } from '../../../server/src/extract/yaml';

function canon(node: unknown, src: string): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) {
    const s = node as Scalar;
    if (s.type === 'BLOCK_LITERAL' || s.type === 'BLOCK_FOLDED') return '<block>';
    if (s.value === null) return null;
    const [a, b] = s.range!;
    if (s.type === 'PLAIN') return { plain: src.slice(a, b), at: a };
    return { quoted: String(s.value), at: [a, b] };
  }
  if (isMap(node)) return { map: node.items.map((p) => [canon(p.key, src), canon(p.value, src)]) };
  if (isSeq(node)) return { seq: node.items.map((i) => canon(i, src)) };
  return { other: String(node) };
}

function agree(src: string): 'accepted' | 'declined' {
  const fast = fastParse(src);
  if (fast === undefined) return 'declined';
  const doc = parseDocument(src, { uniqueKeys: false, merge: true, strict: false });
  assert.deepStrictEqual(doc.errors.map((e) => e.message), [], `fast parser accepted invalid YAML:\n${src}`);
  assert.deepStrictEqual(canon(fast, src), canon(doc.contents, src), `disagreement on:\n${src}`);
  return 'accepted';
}

const ACCEPTED: string[] = [
  'a: 1\nb: two\n',
  'a:\n  b: c\n  d:\n  - x\n  - "y"\n  - \'z\'\'s\'\n',
  'list:\n- a\n- b: c\n  d: e\n-\n  f: g\n',
  'k: v # comment\n# full comment\nk2: "q" # c\n',
  'cmd: ["sh", "-c", \'echo hi\']\nempty: []\nemap: {}\n',
  'script: |\n  echo a: b\n  - not a list\n\n  # not a comment\nnext: x\n',
  'folded: >-\n    long\n    text\nafter: 1\n',
  'a: b\r\nc:\r\n  - d\r\n',
  '\uFEFFapiVersion: v1\nkind: Pod\n',
  '---\na: 1\n',
  '--- # comment\na: 1\n',
  'a: 1\n...\n',
  'url: http://example.com:8080/x\nimage: nginx:1.27@sha256:abc\n',
  'spaced key: value\n"quoted key": v\n',
  'a:\n    deep:\n        deeper: x\n',
  'tab:\tvalue\n',
  '- top\n- level\n',
  'n: ~\nm: null\no:\n',
  'hash: a#b\n',
  'k: v  \n',
  'a: {b: c}\n',
  'a: [x, [y]]\n',
  'spec: {containers: [{name: a, image: "nginx:1"}, {name: b, image: alpine}]}\n',
  'a: {url: http://x:80/y, "q k": v, n: [1, 2,], e: {}, f: []}\n',
  "env:\n- {name: A, value: 'x'}\n- {name: B, value: b c}\n",
  'limits: {cpu: 500m, memory: 256Mi}\nports: [{containerPort: 80}]\n',
  'key   : v\n',
  '  a: 1\n  b: 2\n',
  'a:   \n  - x\n',
  "a: 'x' \nb: \"\" \nc: ''\n",
  'a:\n- b:\n  - c\n  d: e\n',
  'on: push\njobs: {}\n',
];

const DECLINED: string[] = [
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  '<<: {a: 1}\n',
  'a: "multi\n  line"\n',
  'a: plain\n  continued\n',
  'a: {b}\n',
  'a: {b: }\n',
  'a: [b: c]\n',
  'a: {b: c\n  }\n',
  'a: {? b: c}\n',
  'a: {b: &x c}\n',
  'a: {<<: *x}\n',
  '? complex\n: value\n',
  'a:\n\t- tab\n',
  'a: "esc\\"aped"\n',
  '%YAML 1.2\n---\na: 1\n',
  '--- value\n',
  'a: b: c\n',
  'just a scalar\n',
  'a: |2\n   x\n',
];

describe('fastYaml', function () {
  it('agrees with the yaml library on the supported subset', function () {
    for (const src of ACCEPTED) assert.strictEqual(agree(src), 'accepted', `expected the fast parser to accept:\n${src}`);
  });

  it('declines anchors, tags, merge keys, multi-line scalars, flow maps, tabs, escapes, directives', function () {
    for (const src of DECLINED) assert.strictEqual(fastParse(src), undefined, `expected decline:\n${src}`);
  });

  it('content after a ... end marker: comments and blank lines only (checked in linear time)', function () {
    assert.strictEqual(fastParse('a: 1\n...\n' + '\n'.repeat(5000) + 'x'), undefined);
    assert.notStrictEqual(fastParse('a: 1\n...\n\n# c\n  \n'), undefined);
  });

  it('never disagrees with the yaml library on the corpus documents', function () {
    const dir = process.env.AR_MIGRATE_CORPUS ? path.resolve(process.env.AR_MIGRATE_CORPUS) : path.resolve(__dirname, '../../../../shared/corpus');
    const list = fs.readFileSync(path.join(dir, 'files.txt'), 'utf8').split('\n').filter((f) => /\.ya?ml$/.test(f));
    let accepted = 0;
    let total = 0;
    for (const f of list) {
      const text = fs.readFileSync(path.join(dir, 'files', f), 'utf8');
      for (const ch of splitYamlDocuments(text)) {
        if (!ch.text.trim()) continue;
        total++;
        if (agree(maskTemplates(ch.text)) === 'accepted') accepted++;
      }
    }
    assert.ok(total > 50);
    assert.ok(accepted > total / 3, `fast path accepted only ${accepted}/${total} corpus documents`);
    if (process.env.AR_MIGRATE_VERBOSE) console.log(`fast path: ${accepted}/${total}`);
  });
});

describe('fastYaml: long documents', function () {
  it('agrees with the yaml library on documents of thousands of lines, one after another', function () {
    const item = (i: number) => `   - name: c${i}\n     image: "nginx:1.${i}"\n     args: [a, "b"]\n     env:\n       - name: X\n         value: |\n           line ${i}\n`;
    for (const n of [10, 300, 1500, 40]) {
      const src = 'kind: Pod\nspec:\n containers:\n' + Array.from({ length: n }, (_, i) => item(i)).join('');
      assert.strictEqual(agree(src), 'accepted', `${n} items`);
    }
  });
});

describe('fastYaml: randomised differential test', function () {
  it('agrees with the yaml library on 5,000 generated documents', function () {
    this.timeout(120000);
    let seed = Number(process.env.AR_MIGRATE_FUZZ_SEED || 12345);
    const total = Number(process.env.AR_MIGRATE_FUZZ_N || 5000);
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
    const keys = ['a', 'image', 'name', 'k8s.io/x', 'spaced key', '"q"', "'s'", '1', 'null', '-k', 'a-b', 'x_y'];
    const scalars = [
      'nginx:1.27',
      '"nginx:1"',
      "'it''s'",
      'http://h:80/x',
      'a #c',
      'a#b',
      '~',
      '-x',
      ':x',
      'a b',
      '[a, "b", {c: d}]',
      '{k: v, n: [1, 2]}',
      '[]',
      '{}',
      '|',
      '>-',
      'v  ',
      'v\t# t',
      '"a: b"',
      '{a: b',
      'a: b',
      '&x v',
      '*x',
      '!t v',
      '"e\\"s"',
      '{a}',
      '[a: b]',
      '? x',
    ];
    let accepted = 0;
    for (let n = 0; n < total; n++) {
      const lines: string[] = [];
      const gen = (indent: number, depth: number) => {
        const count = 1 + Math.floor(rnd() * 3);
        const asSeq = rnd() < 0.3;
        for (let i = 0; i < count; i++) {
          const pad = ' '.repeat(indent);
          const lead = asSeq ? '- ' : '';
          const r = rnd();
          if (rnd() < 0.05) lines.push(pad + '# comment');
          if (rnd() < 0.03) lines.push('');
          if (asSeq && r < 0.3) {
            lines.push(pad + '- ' + pick(scalars));
          } else if (depth < 3 && r < 0.55) {
            lines.push(pad + lead + pick(keys) + ':' + (rnd() < 0.2 ? ' # c' : ''));
            const childIndent = asSeq ? indent + 2 + (rnd() < 0.8 ? 2 : 0) : indent + (rnd() < 0.85 ? 2 : 0);
            gen(childIndent, depth + 1);
          } else {
            const v = pick(scalars);
            lines.push(pad + lead + pick(keys) + ': ' + v);
            if (v === '|' || v === '>-') {
              lines.push(pad + '    text: ' + pick(scalars));
              if (rnd() < 0.5) lines.push('');
              lines.push(pad + '    more');
            }
            if (asSeq && rnd() < 0.5) lines.push(pad + '  ' + pick(keys) + ': ' + pick(scalars));
          }
          if (rnd() < 0.02) lines.push(pad + '  continued');
        }
      };
      gen(0, 0);
      const src = lines.join(rnd() < 0.1 ? '\r\n' : '\n') + '\n';
      const fast = fastParse(src);
      if (fast === undefined) continue;
      const doc = parseDocument(src, { uniqueKeys: false, merge: true, strict: false });
      assert.deepStrictEqual(doc.errors.map((e) => e.message), [], `fast parser accepted invalid YAML:\n${src}`);
      assert.deepStrictEqual(canon(fast, src), canon(doc.contents, src), `disagreement on:\n${src}`);
      accepted++;
    }
    assert.ok(accepted > total / 10, `only ${accepted} generated documents were accepted`);
    if (process.env.AR_MIGRATE_VERBOSE) console.log(`accepted ${accepted}/${total}`);
  });
});
