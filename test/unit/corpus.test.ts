/**
 * The real-file corpus (/work/shared/corpus, or $AR_MIGRATE_CORPUS): every
 * labelled reference must be extracted at its line with its kind, resolved
 * text, normalised form and pulled flag; nothing else may be extracted
 * (unlabelled look-alike lines included). Precision and recall of
 * third-party pulled references must both be 1.0.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { extractReferences } from '../../server/src/extract';
import { Policy } from '../../server/src/references/policy';

interface Label {
  file: string;
  line: number;
  text: string;
  resolved: string;
  normalized: string;
  thirdParty: boolean;
  pulled: boolean;
  kind: string;
}

function corpusDir(): string {
  if (process.env.AR_MIGRATE_CORPUS) return path.resolve(process.env.AR_MIGRATE_CORPUS);
  return path.resolve(__dirname, '../../../shared/corpus');
}

const key = (f: { file: string; line: number; text: string }) => `${f.file}:${f.line}:${f.text}`;

describe('corpus of real files', function () {
  this.timeout(120000);
  const dir = corpusDir();
  let labels: Label[] = [];
  let found: Label[] = [];
  let invalid: { file: string; line: number; text: string; error: string }[] = [];
  let unlabelled: { file: string; line: number; reason: string }[] = [];
  let files: string[] = [];

  before(function () {
    assert.ok(fs.existsSync(path.join(dir, 'labels.jsonl')), `corpus not found at ${dir} (set AR_MIGRATE_CORPUS)`);
    labels = fs
      .readFileSync(path.join(dir, 'labels.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Label);
    files = fs
      .readFileSync(path.join(dir, 'files.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const unl = path.join(dir, 'unlabelled.tsv');
    unlabelled = fs.existsSync(unl)
      ? fs
          .readFileSync(unl, 'utf8')
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => {
            const [file, line, reason] = l.split('\t');
            return { file, line: Number(line), reason };
          })
      : [];
    const policy = new Policy();
    found = [];
    invalid = [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, 'files', file), 'utf8');
      const res = extractReferences(file, text);
      for (const r of res.references) {
        if (!r.ref) {
          // invalid references are diagnostics, never labels
          invalid.push({ file, line: r.range.start.line + 1, text: r.text, error: r.error ?? '' });
          continue;
        }
        found.push({
          file,
          line: r.range.start.line + 1,
          text: r.text,
          resolved: r.resolved,
          normalized: r.ref.normalized,
          thirdParty: !policy.isFirstParty(r.ref),
          pulled: r.pulled,
          kind: r.kind,
        });
      }
    }
  });

  it('finds files and labels', function () {
    assert.ok(files.length > 0);
    assert.ok(labels.length > 0);
  });

  it('third-party pulled references: precision 1.0 and recall 1.0 by (file, line, text)', function () {
    const want = new Set(labels.filter((l) => l.thirdParty && l.pulled).map(key));
    const got = new Set(found.filter((l) => l.thirdParty && l.pulled).map(key));
    const tp = [...got].filter((k) => want.has(k)).length;
    const fp = [...got].filter((k) => !want.has(k));
    const fn = [...want].filter((k) => !got.has(k));
    const precision = got.size ? tp / got.size : 1;
    const recall = want.size ? tp / want.size : 1;
    assert.deepStrictEqual({ precision, recall, falsePositives: fp, falseNegatives: fn }, { precision: 1, recall: 1, falsePositives: [], falseNegatives: [] });
  });

  it('every label is found with the same kind, resolved, normalized, thirdParty and pulled', function () {
    const byKey = new Map<string, Label[]>();
    for (const f of found) byKey.set(key(f), [...(byKey.get(key(f)) ?? []), f]);
    const problems: string[] = [];
    for (const l of labels) {
      const got = byKey.get(key(l));
      if (!got) {
        problems.push(`missing ${key(l)}`);
        continue;
      }
      const g = got[0];
      for (const field of ['kind', 'resolved', 'normalized', 'thirdParty', 'pulled'] as const) {
        if (g[field] !== l[field]) problems.push(`${key(l)}: ${field} ${JSON.stringify(g[field])}, expected ${JSON.stringify(l[field])}`);
      }
    }
    assert.deepStrictEqual(problems, []);
  });

  it('extracts nothing that is not labelled (first-party included)', function () {
    const want = new Set(labels.map(key));
    const extra = found.filter((f) => !want.has(key(f))).map(key);
    assert.deepStrictEqual(extra, []);
  });

  it('extracts no reference on the consciously unlabelled lines', function () {
    const labelled = new Set(labels.map((l) => `${l.file}:${l.line}`));
    const got = new Set(found.map((f) => `${f.file}:${f.line}`));
    const bad = unlabelled.filter((u) => !labelled.has(`${u.file}:${u.line}`) && got.has(`${u.file}:${u.line}`)).map((u) => `${u.file}:${u.line} (${u.reason})`);
    assert.deepStrictEqual(bad, []);
  });

  it('reports invalid-reference errors only where the corpus says a value is not a valid reference', function () {
    const invalidLines = new Set(unlabelled.filter((u) => /valid reference|invalid/i.test(u.reason)).map((u) => `${u.file}:${u.line}`));
    const stray = invalid.filter((i) => !invalidLines.has(`${i.file}:${i.line}`)).map((i) => `${i.file}:${i.line} ${i.text}: ${i.error}`);
    assert.deepStrictEqual(stray, []);
    assert.ok(invalid.length > 0, 'the corpus has invalid values (placeholders, short digests) that are diagnosed');
  });

  it('reports no extraction errors: every corpus file is a valid Dockerfile, YAML stream or Helm template', function () {
    const errs: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, 'files', file), 'utf8');
      for (const e of extractReferences(file, text).errors) errs.push(`${file}:${e.line + 1}: ${e.message}`);
    }
    assert.deepStrictEqual(errs, []);
  });
});
