/**
 * walk() builds child paths by concatenation below the root (speed): the
 * paths must still be exactly path.join(root, relative path), whatever the
 * spelling of the root (trailing slash, `.` and `..` segments, relative).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isCandidateFile, walk } from '../../../server/src/workspace/walk';

describe('walk: paths', function () {
  let tmp: string;
  const rels = ['Dockerfile', 'a/k8s.yaml', 'a/b/c/compose.yml', 'a/b/Containerfile.dev', 'z/app.Dockerfile', 'z/readme.md', 'node_modules/x/Dockerfile'];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-walkpaths-'));
    for (const r of rels) {
      fs.mkdirSync(path.dirname(path.join(tmp, r)), { recursive: true });
      fs.writeFileSync(path.join(tmp, r), 'FROM alpine\n');
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const spelling of ['plain', 'trailing slash', 'dot segments', 'relative']) {
    it(`root spelled with ${spelling}`, async function () {
      let root = tmp;
      if (spelling === 'trailing slash') root = tmp + path.sep;
      if (spelling === 'dot segments') root = path.join(tmp, 'a') + `${path.sep}..${path.sep}.${path.sep}`;
      if (spelling === 'relative') root = path.relative(process.cwd(), tmp) || '.';
      const r = await walk([root]);
      const want = ['Dockerfile', 'a/b/Containerfile.dev', 'a/b/c/compose.yml', 'a/k8s.yaml', 'z/app.Dockerfile'].map((x) => path.join(root, x));
      assert.deepStrictEqual(r.files.map((f) => f.path), want);
    });
  }

  it('isCandidateFile: names of every sort', function () {
    const yes = ['Dockerfile', 'dockerfile', 'Dockerfile.prod', 'api.Dockerfile', 'x-dockerfile', 'Containerfile', 'a.yaml', 'B.YML', 'Dockerfile_dev'];
    const no = ['README.md', 'makefile', 'Dockerfiles', 'mydockerfile', 'a.yaml.bak', 'x.json', 'profile', 'file.xml'];
    for (const n of yes) assert.ok(isCandidateFile(n), n);
    for (const n of no) assert.ok(!isCandidateFile(n), n);
  });
});

describe('scan: displayPath', function () {
  it('equals path.relative with / separators for paths of every shape', function () {
    const { displayPath } = require('../../../server/src/cli/scan') as typeof import('../../../server/src/cli/scan');
    const cwds = ['/repo', '/repo/', '/repo/./sub', '/repo/sub/..', '/r.e.p.o', '/', '/repo//x'];
    const files = ['/repo/a/Dockerfile', '/repo/.github/workflows/ci.yml', '/repo/a/../b.yaml', '/repo/./c.yaml', '/repo//d.yaml', '/repo', '/repo/', '/other/x.yaml', '/repo/sub/x.yaml', '/repo/..x/y.yml', '/r.e.p.o/k.yaml', '/repo/x/'];
    for (const cwd of cwds) {
      for (const f of files) {
        const rel = path.relative(cwd, f);
        const want = (rel === '' ? path.basename(f) : rel).split(path.sep).join('/');
        assert.strictEqual(displayPath(cwd, f), want, `${cwd} ${f}`);
      }
    }
  });
});
