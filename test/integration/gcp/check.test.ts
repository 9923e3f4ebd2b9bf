import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeGcp } from '../../harness/gcpServer';
import { apiFor, captureIO } from './helpers';
import { ArtifactRegistry, OperationProgress, parseTargetBase } from '../../../server/src/gcp/artifactRegistry';
import { runChecks } from '../../../server/src/gcp/check';
import { GcpApi } from '../../../server/src/gcp/auth';
import { GcpError, NoCredentialsError } from '../../../server/src/gcp/errors';
import { main } from '../../../server/src/cli/main';

function target(s: string) {
  const r = parseTargetBase(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const NODE_SA = 'serviceAccount:123456789012-compute@developer.gserviceaccount.com';
const RUN_AGENT_OTHER = 'serviceAccount:service-555000111222@serverless-robot-prod.iam.gserviceaccount.com';
const T = 'us-central1-docker.pkg.dev/my-proj/mirror';

describe('check: target repository and permissions (loopback Google APIs)', function () {
  this.timeout(30000);
  let fake: FakeGcp;
  let tmp: string;
  beforeEach(async () => {
    fake = await FakeGcp.start({ opPollsUntilDone: 2 });
    fake.addProject('my-proj', '123456789012', [{ role: 'roles/owner', members: ['user:admin@example.com'] }]);
    fake.addProject('run-proj', '555000111222');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-check-'));
  });
  afterEach(async () => {
    await fake.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reports a healthy repository and a node service account that can pull', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror', { bindings: [{ role: 'roles/artifactregistry.reader', members: [NODE_SA] }] });
    const report = await runChecks(apiFor(fake), { target: target(T) });
    assert.equal(report.ok, true, JSON.stringify(report.findings, null, 2));
    assert.deepEqual(report.identities.map((i) => i.member), [NODE_SA]);
    assert.ok(report.findings.some((f) => f.id === 'push' && f.severity === 'ok'));
    const pull = report.findings.find((f) => f.id === 'pull')!;
    assert.equal(pull.severity, 'ok');
    assert.match(pull.message, /roles\/artifactregistry\.reader on the repository/);
    // The project number came from Resource Manager projects.get.
    assert.ok(fake.requestsTo('cloudresourcemanager', 'GET').some((r) => r.path === '/v1/projects/my-proj'));
    // testIamPermissions asked for uploadArtifacts.
    const tip = fake.requestsTo('artifactregistry', 'POST').find((r) => r.path.endsWith(':testIamPermissions'))!;
    assert.deepEqual((tip.body as { permissions: string[] }).permissions, ['artifactregistry.repositories.uploadArtifacts']);
  });

  it('finds identities without pull access and prints the exact gcloud fix', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror');
    const report = await runChecks(apiFor(fake), {
      target: target(T),
      identities: { gkeProjects: ['my-proj'], cloudRunProjects: ['run-proj'] },
    });
    assert.equal(report.ok, false);
    const pulls = report.findings.filter((f) => f.id === 'pull');
    assert.equal(pulls.length, 2);
    for (const f of pulls) assert.equal(f.severity, 'error');
    assert.equal(
      pulls[0].fix,
      `gcloud artifacts repositories add-iam-policy-binding mirror --location=us-central1 --project=my-proj --member=${NODE_SA} --role=roles/artifactregistry.reader`,
    );
    assert.equal(pulls[1].member, RUN_AGENT_OTHER);
    assert.match(pulls[1].fix!, /--member=serviceAccount:service-555000111222@serverless-robot-prod\.iam\.gserviceaccount\.com --role=roles\/artifactregistry\.reader$/);
  });

  it('accepts project-level basic roles and looks up custom roles with roles.get', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror');
    fake.projects.get('my-proj')!.policy.bindings.push(
      { role: 'roles/editor', members: [NODE_SA] },
      { role: 'projects/my-proj/roles/imagePuller', members: [RUN_AGENT_OTHER] },
      { role: 'projects/my-proj/roles/logsOnly', members: ['serviceAccount:ci@my-proj.iam.gserviceaccount.com'] },
    );
    fake.addRole('projects/my-proj/roles/imagePuller', ['artifactregistry.repositories.downloadArtifacts', 'artifactregistry.repositories.get']);
    fake.addRole('projects/my-proj/roles/logsOnly', ['logging.logEntries.create']);
    const report = await runChecks(apiFor(fake), {
      target: target(T),
      identities: { members: ['ci@my-proj.iam.gserviceaccount.com'], gkeProjects: ['my-proj'], cloudRunProjects: ['run-proj'] },
    });
    const byMember = new Map(report.findings.filter((f) => f.id === 'pull').map((f) => [f.member, f]));
    assert.equal(byMember.get(NODE_SA)!.severity, 'ok');
    assert.match(byMember.get(NODE_SA)!.message, /roles\/editor on the project/);
    assert.equal(byMember.get(RUN_AGENT_OTHER)!.severity, 'ok');
    assert.equal(byMember.get('serviceAccount:ci@my-proj.iam.gserviceaccount.com')!.severity, 'error');
    const looked = fake.requestsTo('iam', 'GET').map((r) => r.path);
    assert.ok(looked.includes('/v1/projects/my-proj/roles/imagePuller'), looked.join(','));
    assert.ok(!looked.includes('/v1/roles/editor'), 'basic roles are known without a lookup');
  });

  it('treats conditional and group grants as warnings, allUsers as access', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror', {
      bindings: [
        { role: 'roles/artifactregistry.reader', members: ['serviceAccount:a@p1-proj.iam.gserviceaccount.com'], condition: { title: 'weekdays', expression: 'request.time.getDayOfWeek() < 5' } },
        { role: 'roles/artifactregistry.reader', members: ['group:pullers@example.com'] },
      ],
    });
    fake.addRepository('my-proj', 'us-central1', 'public', { bindings: [{ role: 'roles/artifactregistry.reader', members: ['allUsers'] }] });
    let report = await runChecks(apiFor(fake), { target: target(T), identities: { members: ['serviceAccount:a@p1-proj.iam.gserviceaccount.com'] } });
    const f = report.findings.find((x) => x.id === 'pull')!;
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /conditionally.*weekdays/);
    assert.match(f.message, /group:pullers@example\.com/);
    report = await runChecks(apiFor(fake), { target: target('us-central1-docker.pkg.dev/my-proj/public'), identities: { members: ['user:x@example.com'] } });
    assert.equal(report.findings.find((x) => x.id === 'pull')!.severity, 'ok');
  });

  it('reports a missing repository with the create command, and --create makes it through the long-running operation', async () => {
    let report = await runChecks(apiFor(fake), { target: target(T) });
    const repo = report.findings.find((f) => f.id === 'repository')!;
    assert.equal(repo.severity, 'error');
    assert.match(repo.message, /does not exist/);
    assert.match(repo.fix!, /^gcloud artifacts repositories create mirror --repository-format=docker --location=us-central1 --project=my-proj/);

    const events: OperationProgress[] = [];
    report = await runChecks(apiFor(fake), {
      target: target(T),
      create: true,
      pollIntervalMs: 20,
      onProgress: (_m, op) => op && events.push(op),
    });
    assert.equal(report.findings.find((f) => f.id === 'repository')!.severity, 'ok');
    assert.equal(report.repository?.format, 'DOCKER');
    assert.deepEqual(events.map((e) => e.phase), ['started', 'waiting', 'done']);
    const create = fake.requestsTo('artifactregistry', 'POST').find((r) => r.path.endsWith('/repositories'))!;
    assert.equal(create.query.repositoryId, 'mirror');
    assert.equal((create.body as { format: string }).format, 'DOCKER');
    assert.ok(fake.requestsTo('artifactregistry', 'GET').filter((r) => r.path.includes('/operations/')).length >= 2);
    assert.ok(fake.repositories.has('projects/my-proj/locations/us-central1/repositories/mirror'));
  });

  it('surfaces an operation that ends in an error, and stops polling on cancellation', async () => {
    const ar = new ArtifactRegistry(apiFor(fake));
    fake.nextOperationError = { code: 7, message: "Permission 'artifactregistry.repositories.create' denied on resource" };
    await assert.rejects(
      ar.createRepository({ project: 'my-proj', location: 'us-central1', repository: 'x-one' }, { pollIntervalMs: 10 }),
      (e: GcpError) => e.kind === 'permission-denied' && /artifactregistry\.repositories\.create/.test(e.message),
    );
    fake.opPollsUntilDone = 1000;
    const ac = new AbortController();
    const p = ar.createRepository(
      { project: 'my-proj', location: 'us-central1', repository: 'x-two' },
      { pollIntervalMs: 10, signal: ac.signal, onProgress: (e) => e.phase === 'waiting' && e.polls >= 2 && ac.abort() },
    );
    await assert.rejects(p, (e: GcpError) => e.kind === 'cancelled' && /keeps running/.test(e.message));
  });

  it('retries reads on 503 but not a create', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror');
    const ar = new ArtifactRegistry(apiFor(fake));
    fake.failNext = 2;
    const repo = await ar.getRepository({ project: 'my-proj', location: 'us-central1', repository: 'mirror' });
    assert.equal(repo?.format, 'DOCKER');
    fake.failNext = 1;
    await assert.rejects(
      ar.createRepository({ project: 'my-proj', location: 'us-central1', repository: 'other' }),
      (e: GcpError) => e.kind === 'unavailable' && /503/.test(e.message),
    );
    assert.equal(fake.failNext, 0);
  });

  it('explains a disabled Artifact Registry API with the exact enable command', async () => {
    fake.disableService('my-proj', 'artifactregistry');
    const report = await runChecks(apiFor(fake), { target: target(T) });
    const f = report.findings.find((x) => x.id === 'api')!;
    assert.equal(f.severity, 'error');
    assert.equal(f.fix, 'gcloud services enable artifactregistry.googleapis.com --project my-proj');
    assert.match(f.message, /Artifact Registry API .*not enabled in project my-proj/);
  });

  it('names the missing permission, and a repository that is not Docker', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror');
    fake.addRepository('my-proj', 'us-central1', 'jars', { format: 'MAVEN' });
    fake.denied.add('artifactregistry.repositories.uploadArtifacts');
    let report = await runChecks(apiFor(fake), { target: target(T), identities: { members: ['serviceAccount:x@my-proj.iam.gserviceaccount.com'] } });
    const push = report.findings.find((f) => f.id === 'push')!;
    assert.equal(push.severity, 'error');
    assert.match(push.fix!, /--role=roles\/artifactregistry\.writer$/);
    // A writer usually cannot read the repository's IAM policy: pull access is then a warning, not an error.
    fake.denied.add('artifactregistry.repositories.getIamPolicy');
    report = await runChecks(apiFor(fake), { target: target(T), identities: { members: ['serviceAccount:x@my-proj.iam.gserviceaccount.com'] } });
    assert.ok(report.findings.some((f) => f.id === 'policy' && f.severity === 'warning' && /getIamPolicy/.test(f.message)));
    const pull = report.findings.find((f) => f.id === 'pull')!;
    assert.equal(pull.severity, 'warning');
    assert.match(pull.message, /the repository policy could not be read/);
    report = await runChecks(apiFor(fake), { target: target('us-central1-docker.pkg.dev/my-proj/jars') });
    assert.match(report.findings.find((f) => f.id === 'repository')!.message, /format is MAVEN, not DOCKER/);
    fake.denied.add('artifactregistry.repositories.get');
    report = await runChecks(apiFor(fake), { target: target(T) });
    assert.match(report.findings.find((f) => f.id === 'repository')!.message, /missing the IAM permission artifactregistry\.repositories\.get/);
  });

  it('CLI: credentials file refreshed at the loopback token endpoint, --json report, exit codes', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror', { bindings: [{ role: 'roles/artifactregistry.reader', members: [NODE_SA] }] });
    let c = captureIO(fake.cliEnv(tmp), tmp);
    let code = await main(['check', '--target', T, '--json'], c.io);
    assert.equal(code, 0, c.err());
    const json = JSON.parse(c.out());
    assert.equal(json.ok, true);
    assert.equal(json.target.repository, 'mirror');
    assert.ok(fake.tokenRequests >= 1);

    // A named identity without access: exit 1, text output with the fix.
    c = captureIO(fake.cliEnv(tmp), tmp);
    code = await main(['check', '--target', T, '--identity', 'serviceAccount:web@other-proj.iam.gserviceaccount.com'], c.io);
    assert.equal(code, 1);
    assert.match(
      c.out(),
      /fix: gcloud artifacts repositories add-iam-policy-binding mirror --location=us-central1 --project=my-proj --member=serviceAccount:web@other-proj\.iam\.gserviceaccount\.com --role=roles\/artifactregistry\.reader/,
    );
    assert.doesNotMatch(c.out() + c.err(), /ya29\.|refresh-|secret-/, 'no token or secret in output');

    // The target from .ar-migrate.json.
    fs.writeFileSync(path.join(tmp, '.ar-migrate.json'), JSON.stringify({ target: T }));
    c = captureIO(fake.cliEnv(tmp), tmp);
    code = await main(['check'], c.io);
    assert.equal(code, 0, c.out() + c.err());
    assert.match(c.out(), /No problems found/);
  });

  it('CLI: usage errors for a target without repository (the runbook mistake) and bad identities', async () => {
    let c = captureIO(fake.cliEnv(tmp), tmp);
    let code = await main(['check', '--target', 'us-central1-docker.pkg.dev/my-proj'], c.io);
    assert.equal(code, 2);
    assert.match(c.err(), /names no repository/);
    assert.match(c.err(), /gcrane/);
    c = captureIO(fake.cliEnv(tmp), tmp);
    code = await main(['check', '--target', T, '--identity', 'not a principal'], c.io);
    assert.equal(code, 2);
    assert.match(c.err(), /is not a principal/);
    c = captureIO({}, tmp);
    code = await main(['check'], c.io);
    assert.equal(code, 2);
    assert.match(c.err(), /no target/);
    // --config naming a missing file, and an invalid config: usage errors naming the file, no errno text
    c = captureIO({}, tmp);
    code = await main(['check', '--config', 'no-such-config.json'], c.io);
    assert.equal(code, 2);
    assert.equal(c.err(), 'ar-migrate check: config file no-such-config.json not found\n');
    fs.writeFileSync(path.join(tmp, 'broken-config.json'), '{"target": ');
    c = captureIO({}, tmp);
    code = await main(['check', '--config', 'broken-config.json'], c.io);
    assert.equal(code, 2);
    assert.match(c.err(), /^ar-migrate check: .*broken-config\.json: invalid JSON/);
  });

  it('maps rejected credentials and missing credentials to the login command', async () => {
    fake.addRepository('my-proj', 'us-central1', 'mirror');
    // Refresh token refused by the token endpoint.
    const env = fake.cliEnv(tmp);
    const file = env.GOOGLE_APPLICATION_CREDENTIALS;
    const creds = JSON.parse(fs.readFileSync(file, 'utf8'));
    creds.refresh_token = 'revoked';
    fs.writeFileSync(file, JSON.stringify(creds));
    let c = captureIO(env, tmp);
    let code = await main(['check', '--target', T], c.io);
    assert.equal(code, 1);
    assert.match(c.err(), /gcloud auth application-default login/);
    assert.doesNotMatch(c.err(), /revoked"|client_secret/);

    // 401 from the API (a token the server no longer accepts).
    const api = apiFor(fake);
    fake.revokeTokens();
    await assert.rejects(runChecks(api, { target: target(T) }), (e: GcpError) => e.kind === 'unauthenticated' && /application-default login/.test(e.message));

    // No credentials at all (no file, no gcloud config, no metadata server probe).
    const saved = { ...process.env };
    try {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.CLOUDSDK_CONFIG = path.join(tmp, 'empty-gcloud');
      process.env.HOME = tmp;
      process.env.METADATA_SERVER_DETECTION = 'none';
      const noCreds = new GcpApi({ env: {}, endpoints: fake.endpoints });
      await assert.rejects(noCreds.client(), (e: Error) => e instanceof NoCredentialsError && /gcloud auth application-default login/.test(e.message));
      c = captureIO({ ...fake.cliEnv(tmp), GOOGLE_APPLICATION_CREDENTIALS: '' }, tmp);
      code = await main(['check', '--target', T], c.io);
      assert.equal(code, 1);
      assert.match(c.err(), /No Google Cloud credentials found.*gcloud auth application-default login/);
    } finally {
      for (const k of ['GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG', 'HOME', 'METADATA_SERVER_DETECTION']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});
