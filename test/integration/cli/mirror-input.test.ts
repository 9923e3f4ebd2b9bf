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
