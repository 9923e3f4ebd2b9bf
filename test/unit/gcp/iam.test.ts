import { strict as assert } from 'node:assert';
import { entryGrantsWrite, parseDatasetRef } from '../../../server/src/gcp/bigqueryAdmin';
import { addReaderBindingCommand, evaluateAccess, normalizeMember, Role, validateMember } from '../../../server/src/gcp/iam';
import { sameFilter } from '../../../server/src/gcp/logging';

const P = 'artifactregistry.repositories.downloadArtifacts';
const noLookup = async (r: string): Promise<Role> => {
  throw new Error(`unexpected lookup ${r}`);
};

describe('IAM evaluation', () => {
  it('normalises and validates principals', () => {
    assert.equal(normalizeMember('SA@p.iam.gserviceaccount.com'), 'serviceAccount:sa@p.iam.gserviceaccount.com');
    assert.equal(normalizeMember('Alice@Example.com'), 'user:alice@example.com');
    assert.equal(normalizeMember('serviceaccount:X@y.com'), 'serviceAccount:x@y.com');
    assert.equal(normalizeMember('allUsers'), 'allUsers');
    assert.equal(validateMember('group:g@example.com'), undefined);
    assert.match(validateMember('nobody')!, /not a principal/);
  });

  it('finds grants on repository and project, with conditions and groups', async () => {
    const me = 'serviceAccount:n@p.iam.gserviceaccount.com';
    let ev = await evaluateAccess(me, [{ level: 'project', policy: { bindings: [{ role: 'roles/viewer', members: [me] }] } }], P, noLookup);
    assert.deepEqual(ev.grants, [{ level: 'project', role: 'roles/viewer', via: me }]);
    ev = await evaluateAccess(
      me,
      [
        { level: 'repository', policy: { bindings: [{ role: 'roles/artifactregistry.writer', members: [me], condition: { title: 't', expression: 'true' } }] } },
        { level: 'project', policy: { bindings: [{ role: 'roles/artifactregistry.reader', members: ['group:ops@example.com'] }, { role: 'roles/logging.logWriter', members: [me] }] } },
      ],
      P,
      noLookup,
    );
    assert.equal(ev.grants.length, 0);
    assert.equal(ev.conditional.length, 1);
    assert.deepEqual(ev.possibleVia.map((g) => g.via), ['group:ops@example.com']);
  });

  it('looks up unknown roles and records lookups that fail', async () => {
    const me = 'user:a@example.com';
    const lookups: string[] = [];
    const ev = await evaluateAccess(
      me,
      [{ level: 'project', policy: { bindings: [{ role: 'organizations/1/roles/puller', members: [me] }, { role: 'roles/custom.missing', members: [me] }] } }],
      P,
      async (r) => {
        lookups.push(r);
        if (r === 'organizations/1/roles/puller') return { name: r, includedPermissions: [P] };
        throw new Error('not found');
      },
    );
    assert.deepEqual(lookups, ['organizations/1/roles/puller', 'roles/custom.missing']);
    assert.equal(ev.grants[0].role, 'organizations/1/roles/puller');
    assert.deepEqual(Object.keys(ev.unknownRoles), ['roles/custom.missing']);
  });

  it('builds the add-iam-policy-binding command', () => {
    assert.equal(
      addReaderBindingCommand({ repository: 'r', location: 'us', project: 'p-roj' }, 'x@p.iam.gserviceaccount.com'),
      'gcloud artifacts repositories add-iam-policy-binding r --location=us --project=p-roj --member=serviceAccount:x@p.iam.gserviceaccount.com --role=roles/artifactregistry.reader',
    );
  });
});

describe('BigQuery / Logging helpers', () => {
  it('parses PROJECT.DATASET', () => {
    assert.deepEqual(parseDatasetRef('logs-proj.image_pulls'), { ok: true, value: { project: 'logs-proj', datasetId: 'image_pulls' } });
    assert.deepEqual(parseDatasetRef('logs-proj:image_pulls'), { ok: true, value: { project: 'logs-proj', datasetId: 'image_pulls' } });
    assert.deepEqual(parseDatasetRef('example.com:logs-proj.ds'), { ok: true, value: { project: 'example.com:logs-proj', datasetId: 'ds' } });
    assert.equal(parseDatasetRef('ds').ok, false);
    assert.equal(parseDatasetRef('logs-proj.bad-name').ok, false);
  });
  it('recognises existing write access entries', () => {
    const m = 'serviceAccount:w@gcp-sa-logging.iam.gserviceaccount.com';
    assert.ok(entryGrantsWrite({ role: 'WRITER', userByEmail: 'W@gcp-sa-logging.iam.gserviceaccount.com' }, m));
    assert.ok(entryGrantsWrite({ role: 'roles/bigquery.dataEditor', iamMember: m }, m));
    assert.ok(!entryGrantsWrite({ role: 'READER', userByEmail: 'w@gcp-sa-logging.iam.gserviceaccount.com' }, m));
  });
  it('compares filters ignoring spacing', () => {
    assert.ok(sameFilter('resource.type = "k8s_pod"\n  jsonPayload.reason="Pulling"', 'resource.type="k8s_pod" jsonPayload.reason="Pulling"'));
    assert.ok(!sameFilter('resource.type="k8s_pod"', 'resource.type="k8s_pod" jsonPayload.reason="Pulling"'));
  });
});
