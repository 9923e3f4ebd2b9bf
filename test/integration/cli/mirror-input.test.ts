// `ar-migrate mirror --from-file` with a list that cannot be read: a usage
// error (exit 2) that names the file and says why in words, not an errno code.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as cli } from '../../harness/cli';

describe('ar-migrate mirror --from-file: unreadable list', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ar-mirror-input-'));
    fs.mkdirSync(path.join(dir, 'lists'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a missing file: exit 2, "file not found", the file named', async () => {
    const r = await cli(['mirror', '--from-file', 'nope.txt', '--target', '127.0.0.1:1/mirror'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ar-migrate mirror: cannot read --from-file nope\.txt: file not found\n$/);
    assert.doesNotMatch(r.stderr, /ENOENT|undefined|\[object Object\]/);
    assert.equal(r.stdout, '');
  });

  it('a directory: exit 2, "it is a directory"', async () => {
    const r = await cli(['mirror', '--from-file', 'lists', '--target', '127.0.0.1:1/mirror'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read --from-file lists: it is a directory\n$/);
    assert.doesNotMatch(r.stderr, /EISDIR/);
  });
});

// Regression: an invalid SRC or DST was attempted and failed as a copy (exit 1);
// it is a usage error (exit 2) naming the reference and why, without credentials.
describe('ar-migrate mirror: invalid image references', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ar-mirror-refs-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an invalid SRC or DST on the command line: exit 2, the reference and the reason named, nothing copied', async () => {
    const cases: [string[], RegExp][] = [
      [['Not A Ref!!', '127.0.0.1:1/m/x'], /^ar-migrate mirror: invalid source image "Not A Ref!!": contains whitespace\n/],
      [['Nginx:1.27', '127.0.0.1:1/m/x'], /invalid source image "Nginx:1\.27": repository name "Nginx" must be lowercase/],
      [['https://docker.io/library/nginx:1.27', '127.0.0.1:1/m/x'], /invalid source image "https:\/\/docker\.io\/library\/nginx:1\.27": it is a URL \(https:\/\/\)/],
      [['127.0.0.1:1/app:1', '127.0.0.1:1/m//x'], /invalid destination "127\.0\.0\.1:1\/m\/\/x": repository name/],
      [['127.0.0.1:1/app:1', '127.0.0.1:1/m/x:'], /invalid destination "127\.0\.0\.1:1\/m\/x:": invalid tag/],
    ];
    for (const [args, want] of cases) {
      const r = await cli(['mirror', ...args, '--retries', '0'], dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /FAILED|image\(s\) failed/);
    }
  });

  it('credentials in SRC or DST: exit 2, said in words, never echoed', async () => {
    for (const args of [
      ['127.0.0.1:1/app:1', 'https://ci:pw-S3cret@us-docker.pkg.dev/p/r/app'],
      ['ci:pw-S3cret@127.0.0.1:1/app:1', '127.0.0.1:1/m/app'],
    ]) {
      const r = await cli(['mirror', ...args], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /invalid (source image|destination) "(https:\/\/)?\[REDACTED\]@[^"]+": it contains credentials/);
      assert.ok(!(r.stderr + r.stdout).includes('pw-S3cret'), r.stderr);
    }
  });

  it('--from-file: each invalid line is named FILE:LINE with the reference and why; the valid lines are still tried (exit 1)', async () => {
    fs.writeFileSync(
      path.join(dir, 'list.txt'),
      ['# list', '127.0.0.1:1/team/app:1', 'Nginx:1', 'https://bob:tok-S3cret@127.0.0.1:1/x:1', '127.0.0.1:1/team/web:2 https://bob:tok-S3cret@us-docker.pkg.dev/p/r/web', 'a b c'].join('\n'),
    );
    const r = await cli(['mirror', '--from-file', 'list.txt', '--target', '127.0.0.1:1/m', '--retries', '0'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /list\.txt:3: invalid image reference "Nginx:1": repository name "Nginx" must be lowercase/);
    assert.match(r.stderr, /list\.txt:4: invalid image reference "https:\/\/\[REDACTED\]@127\.0\.0\.1:1\/x:1": it contains credentials/);
    assert.match(r.stderr, /list\.txt:5: invalid target "https:\/\/\[REDACTED\]@us-docker\.pkg\.dev\/p\/r\/web": it contains credentials/);
    assert.match(r.stderr, /list\.txt:6: expected "IMAGE \[TARGET\]", got 3 words: "a b c"/);
    assert.ok(!(r.stderr + r.stdout).includes('tok-S3cret'));
    // the one valid line was attempted (and failed: nothing listens on port 1)
    assert.match(r.stdout, /127\.0\.0\.1:1\/team\/app:1 -> 127\.0\.0\.1:1\/m\/127\.0\.0\.1-1\/team\/app:1 FAILED/);
    assert.match(r.stderr, /5 of 5 image\(s\) failed/);
  });
});
