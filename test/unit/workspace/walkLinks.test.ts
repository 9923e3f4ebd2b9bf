/**
 * walk and symbolic links: every real file is listed once, under a name inside
 * the roots when it has one; links out of the roots are followed once; loops
 * (a link to the root, to an ancestor of the root, between two outside trees)
 * end; dangling links are passed over.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { walk } from '../../../server/src/workspace/walk';

function write(root: string, rel: string, text = 'FROM nginx\n') {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}

describe('walk: symbolic links', function () {
  let tmp: string;
  let repo: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'arm-walklinks-')));
    repo = path.join(tmp, 'repo');
    write(repo, 'a/Dockerfile');
    write(repo, 'z/deploy.yaml', 'image: nginx\n');
    write(tmp, 'shared/base/Dockerfile');
    write(tmp, 'sibling/x.yaml', 'image: redis\n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const rel = (files: { path: string }[]) => files.map((f) => path.relative(repo, f.path).split(path.sep).join('/'));

  it('a link to a directory inside the root is not walked again, whatever the order of names', async () => {
    fs.symlinkSync(path.join(repo, 'z'), path.join(repo, '0-link-to-z'));
    fs.symlinkSync(path.join(repo, 'a'), path.join(repo, 'zz-link-to-a'));
    fs.symlinkSync(repo, path.join(repo, 'a', 'loop'));
    const r = await walk([repo]);
    assert.deepStrictEqual(rel(r.files), ['a/Dockerfile', 'z/deploy.yaml']);
    assert.deepStrictEqual(r.problems, []);
  });

  it('a link out of the root is followed once; a second link to the same tree and loops out there are not', async () => {
    fs.symlinkSync(path.join(tmp, 'shared'), path.join(repo, 'shared'));
    fs.symlinkSync(path.join(tmp, 'shared', 'base'), path.join(repo, 'z', 'base-again'));
    fs.symlinkSync(path.join(tmp, 'shared'), path.join(tmp, 'shared', 'base', 'loop'));
    const r = await walk([repo]);
    assert.deepStrictEqual(rel(r.files), ['a/Dockerfile', 'shared/base/Dockerfile', 'z/deploy.yaml']);
  });

  it('the same outside tree reached first at a subdirectory, then at its parent: each file once', async () => {
    fs.symlinkSync(path.join(tmp, 'shared', 'base'), path.join(repo, 'a', 'base'));
    fs.symlinkSync(path.join(tmp, 'shared'), path.join(repo, 'z', 'shared'));
    const r = await walk([repo]);
    assert.deepStrictEqual(rel(r.files), ['a/Dockerfile', 'a/base/Dockerfile', 'z/deploy.yaml']);
  });

  it('a link to an ancestor of the root walks the rest of the ancestor, not the root a second time', async () => {
    fs.symlinkSync(tmp, path.join(repo, 'up'));
    const r = await walk([repo]);
    assert.deepStrictEqual(rel(r.files), ['a/Dockerfile', 'up/shared/base/Dockerfile', 'up/sibling/x.yaml', 'z/deploy.yaml']);
  });

  it('links to files: inside the root skipped, outside read once; dangling links passed over', async () => {
    fs.symlinkSync(path.join(repo, 'a', 'Dockerfile'), path.join(repo, 'Dockerfile'));
    fs.symlinkSync(path.join(tmp, 'sibling', 'x.yaml'), path.join(repo, 'one.yaml'));
    fs.symlinkSync(path.join(tmp, 'sibling', 'x.yaml'), path.join(repo, 'two.yaml'));
    fs.symlinkSync(path.join(tmp, 'nowhere'), path.join(repo, 'gone.yaml'));
    fs.symlinkSync(path.join(tmp, 'nowhere-dir'), path.join(repo, 'gone-dir'));
    const r = await walk([repo]);
    assert.deepStrictEqual(rel(r.files), ['a/Dockerfile', 'one.yaml', 'z/deploy.yaml']);
    assert.deepStrictEqual(r.problems, []);
  });

  it('two roots, one inside the other through a link: each file once', async () => {
    fs.symlinkSync(path.join(tmp, 'sibling'), path.join(repo, 'sib'));
    const r = await walk([repo, path.join(tmp, 'sibling')]);
    assert.deepStrictEqual(r.files.map((f) => f.path), [path.join(repo, 'a/Dockerfile'), path.join(repo, 'z/deploy.yaml'), path.join(tmp, 'sibling/x.yaml')]);
  });
});
