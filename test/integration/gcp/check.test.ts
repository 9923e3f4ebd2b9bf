import { strict as assert } from 'node:assert';
import { FakeGcp } from '../../harness/gcpServer';
import { apiFor } from './helpers';
import { parseTargetBase } from '../../../server/src/gcp/artifactRegistry';
import { runChecks } from '../../../server/src/gcp/check';

function target(s: string) {
  const r = parseTargetBase(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('gcp check (library) against the loopback Google APIs', () => {
  let fake: FakeGcp;
  beforeEach(async () => {
    fake = await FakeGcp.start({ opPollsUntilDone: 2 });
    fake.addProject('my-proj', '123456789012', [
      { role: 'roles/owner', members: ['user:admin@example.com'] },
    ]);
  });
  afterEach(() => fake.close());

  it('reports a healthy repository and a node SA that can pull', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror', {
      bindings: [{ role: 'roles/artifactregistry.reader', members: ['serviceAccount:123456789012-compute@developer.gserviceaccount.com'] }],
    });
    const report = await runChecks(apiFor(fake), { target: target('us-central1-docker.pkg.dev/my-proj/mirror') });
    assert.equal(report.ok, true, JSON.stringify(report.findings, null, 2));
    assert.deepEqual(report.identities.map((i) => i.member), ['serviceAccount:123456789012-compute@developer.gserviceaccount.com']);
    assert.ok(report.findings.some((f) => f.id === 'push' && f.severity === 'ok'));
  });
});
