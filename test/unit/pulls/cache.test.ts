import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeDirectory, makeDirectorySync } from '../../../server/src/makeDirectory';
import { cachePath, readCache, writeCache } from '../../../server/src/pulls/cache';
import { PullCounts, windowFor } from '../../../server/src/pulls/counts';

const COUNTS: PullCounts = {
  window: windowFor(new Date('2026-11-25T00:00:00Z'), 7),
  images: {},
  totalPulls: 0,
  source: { kind: 'logFile', description: 'log file x', fetchedAt: '2026-11-25T00:00:00.000Z' },
  warnings: [],
} as unknown as PullCounts;

describe('pulls/cache', function () {
  this.timeout(20_000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pulls-cache-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('creates missing parents and round-trips the counts', async () => {
    const dir = path.join(tmp, 'a', 'b', 'c');
    assert.equal(await writeCache(dir, 'k', COUNTS, COUNTS.source.fetchedAt!), undefined);
    assert.ok(fs.statSync(cachePath(dir, 'k')).isFile());
    const back = await readCache(dir, 'k');
    assert.equal(back?.key, 'k');
    // an existing directory is fine too
    await makeDirectory(dir);
  });

  // Regression: fs.mkdir(..., { recursive: true }) spins forever on /proc/x
  // (the parent exists but refuses children with ENOENT) on Node 20.
  it('a directory that cannot be created (/proc/x) fails fast with one warning naming it', async () => {
    for (const dir of ['/proc/x', '/proc/x/y/z']) {
      const started = Date.now();
      const warning = await writeCache(dir, 'k', COUNTS, COUNTS.source.fetchedAt!);
      assert.ok(Date.now() - started < 15_000);
      assert.equal(typeof warning, 'string');
      assert.ok(warning!.includes(dir), warning);
      assert.match(warning!, /pull count cache directory .*not cached/);
      assert.doesNotMatch(warning!, /ENOENT/);
      await assert.rejects(makeDirectory(dir), { code: 'ENOENT' });
    }
    assert.equal(await readCache('/proc/x', 'k'), undefined);
  });

  it('a path below a regular file names the directory and why', async () => {
    const file = path.join(tmp, 'plain');
    fs.writeFileSync(file, 'x');
    const w1 = await writeCache(file, 'k', COUNTS, COUNTS.source.fetchedAt!);
    assert.match(w1!, /cannot use .*plain as the pull count cache directory \(it exists and is not a directory\)/);
    const w2 = await writeCache(path.join(file, 'sub'), 'k', COUNTS, COUNTS.source.fetchedAt!);
    assert.match(w2!, /plain[\\/]sub as the pull count cache directory \(a part of the path is not a directory\)/);
  });

  // The CLI's V8 code cache lives under the same XDG_CACHE_HOME: with XDG_CACHE_HOME=/proc/x the
  // built CLI used to spin in fs.mkdirSync({ recursive: true }) before any command ran.
  it('the CLI start-up directory helper (makeDirectorySync) also fails fast on /proc/x and creates real parents', () => {
    for (const dir of ['/proc/x', '/proc/x/ar-migrate/v8']) assert.throws(() => makeDirectorySync(dir, 0o700), { code: 'ENOENT' });
    const nested = path.join(tmp, 'p', 'q', 'r');
    makeDirectorySync(nested, 0o700);
    assert.ok(fs.statSync(nested).isDirectory());
    makeDirectorySync(nested, 0o700); // exists: fine
    fs.writeFileSync(path.join(tmp, 'f'), '');
    assert.throws(() => makeDirectorySync(path.join(tmp, 'f')), { code: 'EEXIST' });
    assert.throws(() => makeDirectorySync(path.join(tmp, 'f', 'sub')), { code: 'ENOTDIR' });
  });
});
