// `ar-migrate scan` loads the YAML library and dockerfile-ast (shared vendor
// bundles dist/cli/yaml.js, dist/cli/dockerfile-ast.js) only when a file
// needs them: plain block YAML and plain Dockerfiles take the fast readers.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist');

function scanListingLoaded(dir: string): { status: number | null; findings: { file: string; text: string }[]; loaded: string[] } {
  const probe = `
    process.on('exit', () => {
      const files = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(DIST + path.sep)}));
      require('fs').writeSync(2, '\\n@@loaded ' + JSON.stringify(files.map((f) => require('path').relative(${JSON.stringify(DIST)}, f))) + '\\n');
    });
    process.argv.splice(1, 0, ${JSON.stringify(path.join(ROOT, 'bin/ar-migrate.js'))});
    require(${JSON.stringify(path.join(ROOT, 'bin/ar-migrate.js'))});
  `;
  const r = spawnSync(process.execPath, ['-e', probe, '--', 'scan', '--json', '.'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  const m = /\n@@loaded (.*)\n/.exec(r.stderr);
  assert.ok(m, `no load list in stderr:\n${r.stderr}`);
  return { status: r.status, findings: JSON.parse(r.stdout).findings, loaded: JSON.parse(m[1]).sort() };
}

describe('CLI scan: vendor parsers loaded on demand', function () {
  this.timeout(180_000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-scanstart-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('plain files: neither the yaml library nor dockerfile-ast is loaded', function () {
    fs.writeFileSync(path.join(tmp, 'Dockerfile'), 'FROM node:20 AS b\nRUN npm ci\nFROM nginx:1.27\n');
    fs.writeFileSync(path.join(tmp, 'deploy.yaml'), 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: redis:7\n');
    const r = scanListingLoaded(tmp);
    assert.equal(r.status, 1);
    assert.deepEqual(r.findings.map((f) => `${f.file} ${f.text}`), ['Dockerfile node:20', 'Dockerfile nginx:1.27', 'deploy.yaml redis:7']);
    assert.ok(r.loaded.includes(path.join('cli', 'scan.js')), r.loaded.join(', '));
    assert.ok(!r.loaded.includes(path.join('cli', 'yaml.js')), r.loaded.join(', '));
    assert.ok(!r.loaded.includes(path.join('cli', 'dockerfile-ast.js')), r.loaded.join(', '));
  });

  it('anchors and heredocs: the full parsers are loaded and give the references', function () {
    fs.writeFileSync(path.join(tmp, 'Dockerfile'), '# syntax=docker/dockerfile:1\nFROM alpine:3.20\nRUN <<EOF\necho hi\nEOF\n');
    fs.writeFileSync(path.join(tmp, 'pod.yaml'), 'x: &img quay.io/a/b:1\nkind: Pod\nspec:\n  containers:\n    - image: *img\n');
    const r = scanListingLoaded(tmp);
    assert.equal(r.status, 1);
    assert.deepEqual(r.findings.map((f) => `${f.file} ${f.text}`), ['Dockerfile alpine:3.20', 'pod.yaml quay.io/a/b:1']);
    assert.ok(r.loaded.includes(path.join('cli', 'yaml.js')), r.loaded.join(', '));
    assert.ok(r.loaded.includes(path.join('cli', 'dockerfile-ast.js')), r.loaded.join(', '));
  });
});
