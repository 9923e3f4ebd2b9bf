/**
 * An editor keeps one YamlExtractor per open document and calls update on
 * every change. Results of unchanged documents are kept; their strings must
 * not keep each old version of the whole file alive (V8 slices reference
 * their parent string), or memory grows by one file per edit.
 */
import * as assert from 'assert';
import * as v8 from 'v8';
import * as vm from 'vm';
import { YamlExtractor } from '../../../server/src/extract/yaml';

describe('extract: YAML results do not keep old versions of the file alive', function () {
  this.timeout(120000);
  it('30 edits of a 2,000-document file grow the heap by far less than 30 copies of it', function () {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const doc = (i: number, v: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  labels: {v: "${v}"}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: registry.example.com/team/service-${i}:1.${v}\n` +
      `          args: ["--padding=${'x'.repeat(400)}"]\n`;
    const versions = Array.from({ length: 2000 }, () => 0);
    const text = () => versions.map((v, i) => doc(i, v)).join('---\n');
    const ex = new YamlExtractor('deploy.yaml');
    let r = ex.update(text());
    assert.strictEqual(r.references.length, 2000);
    const size = text().length;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let e = 1; e <= 30; e++) {
      versions[(e * 37) % 2000] = e; // one document changes per edit
      r = ex.update(text());
      assert.strictEqual(ex.lastParsed, 1);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.strictEqual(r.references.length, 2000);
    assert.ok(grown < 6 * size, `heap grew ${(grown / 1e6).toFixed(1)} MB over 30 edits of a ${(size / 1e6).toFixed(1)} MB file`);
  });
});
