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
];

const DECLINED: string[] = [
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  '<<: {a: 1}\n',
  'a: "multi\n  line"\n',
  'a: plain\n  continued\n',
  'a: {b: c}\n',
  'a: [x, [y]]\n',
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
