import { strict as assert } from 'node:assert';
import { toGcpError } from '../../../server/src/gcp/errors';

const ctx = { action: 'read repository r', project: 'my-proj' };
const res = (status: number, data: unknown) => ({ response: { status, data }, message: 'Request failed' });

describe('toGcpError', () => {
  it('maps SERVICE_DISABLED to the enable command', () => {
    const e = toGcpError(
      res(403, {
        error: {
          code: 403,
          message: 'Cloud Logging API has not been used in project 42 before or it is disabled.',
          status: 'PERMISSION_DENIED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', metadata: { service: 'logging.googleapis.com', consumer: 'projects/42' } }],
        },
      }),
      ctx,
    );
    assert.equal(e.kind, 'service-disabled');
    assert.equal(e.fix, 'gcloud services enable logging.googleapis.com --project my-proj');
    // Without a project in the context, the consumer number is used.
    const e2 = toGcpError(res(403, { error: { code: 403, message: 'x', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', metadata: { service: 'bigquery.googleapis.com', consumer: 'projects/42' } }] } }), { action: 'a' });
    assert.equal(e2.fix, 'gcloud services enable bigquery.googleapis.com --project 42');
    // BigQuery's older accessNotConfigured shape.
    const e3 = toGcpError(res(403, { error: { code: 403, message: 'BigQuery API has not been used in project 42 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/bigquery.googleapis.com/overview?project=42', errors: [{ reason: 'accessNotConfigured' }] } }), ctx);
    assert.equal(e3.kind, 'service-disabled');
    assert.equal(e3.service, 'bigquery.googleapis.com');
  });

  it('tells user credentials without a quota project to set one', () => {
    const e = toGcpError(
      res(403, {
        error: {
          code: 403,
          message: 'Your application is authenticating by using local Application Default Credentials. The cloudresourcemanager.googleapis.com API requires a quota project, which is not set by default.',
          status: 'PERMISSION_DENIED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', metadata: { service: 'cloudresourcemanager.googleapis.com', consumer: 'projects/764086051850' } }],
        },
      }),
      ctx,
    );
    assert.equal(e.kind, 'failed-precondition');
    assert.equal(e.fix, 'gcloud auth application-default set-quota-project my-proj');
  });

  it('names the missing permission', () => {
    const e = toGcpError(
      res(403, { error: { code: 403, message: "Permission 'artifactregistry.repositories.get' denied on resource '//x' (or it may not exist).", status: 'PERMISSION_DENIED' } }),
      ctx,
    );
    assert.equal(e.kind, 'permission-denied');
    assert.equal(e.permission, 'artifactregistry.repositories.get');
    assert.match(e.message, /^Could not read repository r: you are missing the IAM permission artifactregistry\.repositories\.get \(or the resource does not exist\)/);
    const bq = toGcpError(res(403, { error: { code: 403, message: 'Access Denied: Project p: User does not have bigquery.datasets.create permission in project p.', errors: [{ reason: 'accessDenied' }] } }), ctx);
    assert.equal(bq.permission, 'bigquery.datasets.create');
  });

  it('maps 401, 404, 409, 429, 5xx, OAuth errors and network errors', () => {
    assert.match(toGcpError(res(401, { error: { code: 401, message: 'Request had invalid authentication credentials.' } }), ctx).message, /gcloud auth application-default login/);
    assert.equal(toGcpError(res(404, { error: { code: 404, message: 'Requested entity was not found.' } }), ctx).kind, 'not-found');
    assert.equal(toGcpError(res(409, { error: { code: 409, message: 'exists', status: 'ALREADY_EXISTS' } }), ctx).kind, 'already-exists');
    assert.equal(toGcpError(res(429, { error: { code: 429, message: 'quota' } }), ctx).kind, 'rate-limited');
    assert.equal(toGcpError(res(503, 'Service Unavailable'), ctx).kind, 'unavailable');
    const oauth = toGcpError(res(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }), ctx);
    assert.equal(oauth.kind, 'unauthenticated');
    assert.match(oauth.message, /invalid_grant.*application-default login/);
    const net = toGcpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), ctx);
    assert.equal(net.kind, 'network');
    assert.equal(toGcpError(Object.assign(new Error('aborted'), { name: 'AbortError' }), ctx).kind, 'cancelled');
    assert.equal(toGcpError(new Error('Could not load the default credentials. Browse to ...'), ctx).kind, 'no-credentials');
    const bad = toGcpError(new Error('private_key and client_email are required.'), ctx);
    assert.equal(bad.kind, 'unauthenticated');
    assert.match(bad.message, /GOOGLE_APPLICATION_CREDENTIALS/);
  });
});
