import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRegistry, RegistryHandle } from '../../harness/registry';
import { getManifest, manifestExists, pushImage } from '../../harness/images';
import { runCli as cli } from '../../harness/cli';

describe('ar-migrate mirror (CLI) against real registries', function () {
  this.timeout(120_000);
  let a: RegistryHandle;
  let b: RegistryHandle;
  let dir: string;

  before(async () => {
    [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armig-cli-'));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies SRC DST and prints only the JSON result on stdout', async () => {
    const img = await pushImage(a.url, 'src/one', '1.0', { kind: 'docker-list' });
    const r = await cli(['mirror', `${a.host}/src/one:1.0`, `${b.host}/mirror/one`, '--json', '--jobs', '3'], dir);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true);
    assert.equal(doc.targetDigest, img.digest);
    assert.equal(doc.sourceDigest, img.digest);
    assert.equal(doc.target, `${b.host}/mirror/one:1.0`);
    assert.match(r.stderr, /blob [0-9a-f]{12} .* copied/);
    assert.equal((await getManifest(b.url, 'mirror/one', '1.0')).digest, img.digest);
    // second run: up to date
    const again = await cli(['mirror', `${a.host}/src/one:1.0`, `${b.host}/mirror/one`, '--json'], dir);
    assert.equal(again.code, 0);
    assert.equal(JSON.parse(again.stdout).upToDate, true);
  });

  it('--from-file maps each image under --target and exits 1 when one fails', async () => {
    const i1 = await pushImage(a.url, 'team/api', 'v2', { kind: 'oci-index' });
    const i2 = await pushImage(a.url, 'web', 'latest', { kind: 'schema2' });
    const list = path.join(dir, 'images.txt');
    fs.writeFileSync(list, [`# images to mirror`, `${a.host}/team/api:v2`, '', `${a.host}/web   # trailing comment`, `${a.host}/team/missing:v9`, 'Not A Ref!!'].join('\n'));
    const r = await cli(['mirror', '--from-file', 'images.txt', '--target', `${b.host}/base`, '--json', '--platform', 'linux/amd64', '--platform', 'linux/arm64'], dir);
    assert.equal(r.code, 1);
    const docs = JSON.parse(r.stdout);
    assert.equal(docs.length, 3);
    const hostDir = a.host.replace(':', '-');
    assert.equal(docs[0].ok, true);
    assert.equal(docs[0].target, `${b.host}/base/${hostDir}/team/api:v2`);
    assert.equal(docs[0].digestChanged, false); // both platforms of the index asked for: unchanged
    assert.equal(docs[0].targetDigest, i1.digest);
    assert.equal(docs[1].ok, true);
    assert.equal(docs[1].targetDigest, i2.digest);
    assert.equal(docs[2].ok, false);
    assert.equal(docs[2].error.code, 'MANIFEST_UNKNOWN');
    assert.match(r.stderr, /images\.txt:6/);
    assert.ok(await manifestExists(b.url, `base/${hostDir}/web`, 'latest'));
    assert.ok(i1.digest);
  });

  it('usage errors exit 2', async () => {
    assert.equal((await cli(['mirror', 'only-one'], dir)).code, 2);
    assert.equal((await cli(['mirror', '--from-file', 'x.txt'], dir)).code, 2);
    assert.equal((await cli(['mirror', 'a', 'b', '--jobs', 'zero'], dir)).code, 2);
  });

  it('names the registry when the connection is refused', async () => {
    const r = await cli(['mirror', '127.0.0.1:1/x/y:1', `${b.host}/z:1`, '--retries', '0'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /127\.0\.0\.1:1.*refused/);
  });

  // Regression: the error of a failed copy was repeated on stderr (with the
  // image name twice on the FAILED line, and the full error again on every retry).
  it('a failed copy prints its error once on stderr (and once in the result on stdout)', async () => {
    const count = (text: string, part: string) => text.split(part).length - 1;
    const missing = `${a.host}/team/nothing-here:1`;
    const r = await cli(['mirror', missing, `${b.host}/m/nothing`], dir);
    assert.equal(r.code, 1);
    const lines = r.stderr.split('\n').filter((l) => l.includes('manifest not found'));
    assert.equal(lines.length, 1, r.stderr);
    assert.equal(count(lines[0], missing), 1, lines[0]);
    assert.match(lines[0], /^  .*nothing-here:1: FAILED: manifest not found on /);
    assert.equal(count(r.stdout, 'manifest not found'), 1, r.stdout);
    assert.match(r.stderr, /1 of 1 image\(s\) failed/);

    // with retries: the cause once per request while retrying, the final error once
    const refused = await cli(['mirror', '127.0.0.1:1/x/y:1', `${b.host}/m/y`, '--retries', '2'], dir);
    assert.equal(refused.code, 1);
    const final = refused.stderr.split('\n').filter((l) => l.includes('(after 3 attempts)'));
    assert.equal(final.length, 1, refused.stderr);
    assert.match(final[0], /FAILED: manifest 127\.0\.0\.1:1\/x\/y:1: connection to 127\.0\.0\.1:1 refused/);
    assert.equal(count(refused.stderr, 'is the registry running'), 2, refused.stderr); // first retry + final error
    assert.match(refused.stderr, /retry 2 in [0-9.]+s: manifest 127\.0\.0\.1:1\/x\/y:1 \(same error\)/);
  });
});
