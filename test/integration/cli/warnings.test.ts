// The real entry (bin/ar-migrate.js) drops gcp-metadata's MetadataLookupWarning:
// without credentials off Google Cloud, google-auth-library's GCE probe fails and
// Node would print "(node:PID) MetadataLookupWarning: received unexpected error =
// All promises were rejected ..." next to the command's own "No Google Cloud
// credentials found" error. Other process warnings still print.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/ar-migrate.js');

describe('CLI process warnings', function () {
  this.timeout(180_000);

  before(function () {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
      const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });

  it('does not print MetadataLookupWarning (the GCE metadata probe), but prints other warnings', function () {
    // The same call gcp-metadata makes when the probe fails with an unexpected error.
    const script = `
      process.argv.splice(1, 0, ${JSON.stringify(BIN)});
      require(${JSON.stringify(BIN)});
      process.emitWarning('received unexpected error = All promises were rejected code = UNKNOWN', 'MetadataLookupWarning');
      process.emitWarning('some other warning', 'ArMigrateProbeWarning');
    `;
    const r = spawnSync(process.execPath, ['-e', script, '--', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ar-migrate /);
    assert.doesNotMatch(r.stderr, /MetadataLookupWarning|All promises were rejected/);
    assert.match(r.stderr, /ArMigrateProbeWarning: some other warning/);
  });
});
