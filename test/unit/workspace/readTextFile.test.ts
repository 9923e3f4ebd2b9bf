/**
 * readTextFile: whole files of every size around the read buffer and the size
 * limit, UTF-8 split across reads, binary files, directories and FIFOs (never
 * a hang), missing files.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readTextFile } from '../../../server/src/workspace/walk';

describe('readTextFile', function () {
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-read-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('returns the whole text for sizes around the buffer (256 KiB) and its doublings', function () {
    for (const size of [0, 1, 4095, 262143, 262144, 262145, 524288, 600001]) {
      // Multi-byte characters so that some land across read boundaries.
      const unit = 'image: nginx # é漢\n';
      const text = unit.repeat(Math.ceil(size / unit.length) + 1).slice(0, size);
      const f = path.join(tmp, `f${size}.yaml`);
      fs.writeFileSync(f, text);
      assert.deepStrictEqual(readTextFile(f, 10 * 1024 * 1024), { text: Buffer.from(text).toString('utf8') }, `size ${size}`);
    }
  });

  it('files over the limit are reported with their size, files at the limit are read', function () {
    const f = path.join(tmp, 'big.yaml');
    fs.writeFileSync(f, 'x'.repeat(5000));
    assert.deepStrictEqual(readTextFile(f, 4999), { error: 'skipped: 5000 bytes, larger than the 4999-byte limit' });
    assert.deepStrictEqual(readTextFile(f, 5000), { text: 'x'.repeat(5000) });
    const g = path.join(tmp, 'bigger.yaml');
    fs.writeFileSync(g, 'y'.repeat(700000));
    assert.deepStrictEqual(readTextFile(g, 300000), { error: 'skipped: 700000 bytes, larger than the 300000-byte limit' });
  });

  it('binary, directory, FIFO and missing files', function () {
    const b = path.join(tmp, 'bin.yaml');
    fs.writeFileSync(b, Buffer.from([65, 0, 66]));
    assert.deepStrictEqual(readTextFile(b), { binary: true });
    assert.deepStrictEqual(readTextFile(tmp), { error: 'not a regular file' });
    assert.deepStrictEqual(readTextFile(path.join(tmp, 'missing.yaml')), { error: 'cannot read: no such file or directory' });
    const fifo = path.join(tmp, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = readTextFile(fifo); // no writer: must return at once, not block
    assert.ok('error' in r || ('text' in r && r.text === ''), JSON.stringify(r));
  });
});
