import * as assert from 'node:assert/strict';
import { computeRewrites, dryRunResult, ExecutionResult, planMigration, PlanInputFile, resolveBase } from '../../../server/src/migrate';
import { Policy } from '../../../server/src/references/policy';
import { scanText } from '../../../server/src/workspace/scan';

const BASE = 'us-central1-docker.pkg.dev/my-project/mirror';
const policy = new Policy({ ignoredImages: ['docker.io/library/busybox'] });

function file(p: string, text: string): PlanInputFile {
  return { path: p, text, findings: scanText(p, text, policy).findings };
}

describe('migrate/plan', () => {
  const dockerfile = file(
    '/w/Dockerfile',
    ['ARG BASE=python:3.12-slim', 'ARG TAG', 'FROM ${BASE} AS build', 'FROM quay.io/prometheus/node-exporter:${TAG} AS ne', 'FROM nginx:1.27', 'FROM busybox', 'FROM us-docker.pkg.dev/own-proj/repo/app:1', ''].join('\n'),
  );
  const k8s = file(
    '/w/k8s.yaml',
    ['apiVersion: v1', 'kind: Pod', 'spec:', '  containers:', '    - name: a', '      image: "nginx:1.27" # web', '    - name: b', '      image: bitnami/redis:7.2', '    - name: c', '      image: docker.io/library/nginx:1.25', '    - name: d', '      image: "NOT A REF"', ''].join('\n'),
  );
  const compose = file('/w/compose.yaml', ['services:', '  app:', '    build: .', '    image: ghcr.io/acme/app:dev', '  cache:', '    image: redis', ''].join('\n'));

  it('groups third-party pulled references by normalised image and maps them under the base', () => {
    const plan = planMigration([dockerfile, k8s, compose], BASE);
    const pending = plan.images.filter((i) => i.status === 'pending');
    const by = Object.fromEntries(plan.images.map((i) => [i.image, i]));
    assert.deepEqual(
      pending.map((i) => [i.image, i.target]),
      [
        ['docker.io/library/python:3.12-slim', `${BASE}/python:3.12-slim`],
        ['docker.io/library/nginx:1.27', `${BASE}/nginx:1.27`],
        ['docker.io/bitnami/redis:7.2', `${BASE}/bitnami/redis:7.2`],
        ['docker.io/library/nginx:1.25', `${BASE}/nginx:1.25`],
        ['docker.io/library/redis:latest', `${BASE}/redis:latest`],
      ],
    );
    assert.equal(by['docker.io/library/nginx:1.27'].references.length, 2);
    assert.deepEqual(by['docker.io/library/nginx:1.27'].files, ['/w/Dockerfile', '/w/k8s.yaml']);
    assert.equal(by['quay.io/prometheus/node-exporter:${TAG}'].status, 'skipped');
    assert.match(by['quay.io/prometheus/node-exporter:${TAG}'].reason!, /unresolved variables/);
    assert.equal(by['ghcr.io/acme/app:dev'].status, 'skipped');
    assert.match(by['ghcr.io/acme/app:dev'].reason!, /built here/);
    // ignored, first-party and invalid references are not planned
    assert.ok(!plan.images.some((i) => /busybox|own-proj|NOT/.test(i.image)));
  });

  it('--only matches familiar and normalised names, tags and globs', () => {
    const names = (only: string[]) => planMigration([dockerfile, k8s, compose], BASE, { only }).images.map((i) => i.image);
    assert.deepEqual(names(['nginx']), ['docker.io/library/nginx:1.27', 'docker.io/library/nginx:1.25']);
    assert.deepEqual(names(['nginx:1.25']), ['docker.io/library/nginx:1.25']);
    assert.deepEqual(names(['docker.io/bitnami/redis']), ['docker.io/bitnami/redis:7.2']);
    assert.deepEqual(names(['bitnami/*']), ['docker.io/bitnami/redis:7.2']);
    assert.deepEqual(names(['quay.io/**']), ['quay.io/prometheus/node-exporter:${TAG}']);
    const plan = planMigration([k8s], BASE, { only: ['alpine', 'nginx'] });
    assert.deepEqual(plan.unmatchedOnly, ['alpine']);
  });

  it('path mapping and bad bases', () => {
    const plan = planMigration([k8s], BASE, { pathMapping: { 'docker.io/bitnami': 'vendors/bitnami' } });
    assert.ok(plan.images.some((i) => i.target === `${BASE}/vendors/bitnami/redis:7.2`));
    assert.throws(() => resolveBase('not a base'), /invalid/);
    assert.throws(() => resolveBase('LOCATION-docker.pkg.dev/PROJECT/REPOSITORY'), /placeholder/);
    assert.throws(() => resolveBase('us-central1-docker.pkg.dev/my-project'), /names no repository/);
    assert.throws(() => resolveBase('us-maven.pkg.dev/my-project/r'), /not a Docker host/);
    assert.equal(resolveBase('localhost:5000/mirror/team').base, 'localhost:5000/mirror/team');
    assert.equal(resolveBase('https://us-central1-docker.pkg.dev/my-project/mirror/').base, BASE);
    assert.throws(() => planMigration([k8s], 'us-central1-docker.pkg.dev/UPPER/x'), /invalid/);
  });

  it('computeRewrites rewrites only verified images, only the reference characters; dry run assumes all', () => {
    const plan = planMigration([dockerfile, k8s, compose], BASE);
    const dry = computeRewrites(plan, dryRunResult(plan), { assumeVerified: true });
    const k = dry.find((c) => c.path === '/w/k8s.yaml')!;
    assert.equal(
      k.newText,
      k8s.text
        .replace('"nginx:1.27" # web', `"${BASE}/nginx:1.27" # web`)
        .replace('bitnami/redis:7.2', `${BASE}/bitnami/redis:7.2`)
        .replace('docker.io/library/nginx:1.25', `${BASE}/nginx:1.25`),
    );
    const d = dry.find((c) => c.path === '/w/Dockerfile')!;
    assert.ok(d.newText.startsWith(`ARG BASE=${BASE}/python:3.12-slim\n`));
    assert.ok(d.newText.includes('FROM quay.io/prometheus/node-exporter:${TAG} AS ne'));
    const c = dry.find((x) => x.path === '/w/compose.yaml')!;
    assert.ok(c.newText.includes('image: ghcr.io/acme/app:dev') && c.newText.includes(`image: ${BASE}/redis\n`));

    // only nginx:1.27 verified, pinned
    const digest = 'sha256:' + 'a'.repeat(64);
    const result: ExecutionResult = {
      cancelled: false,
      bytesMoved: 0,
      images: plan.images.map((p) =>
        p.image === 'docker.io/library/nginx:1.27'
          ? { planned: p, status: 'copied', sourceDigest: digest, targetDigest: digest }
          : { planned: p, status: p.status === 'skipped' ? 'skipped' : 'failed', reason: 'x' },
      ),
    };
    const real = computeRewrites(plan, result, { pinDigest: true });
    assert.deepEqual(real.map((x) => x.path), ['/w/Dockerfile', '/w/k8s.yaml']);
    const k2 = real.find((x) => x.path === '/w/k8s.yaml')!;
    assert.equal(k2.newText, k8s.text.replace('"nginx:1.27" # web', `"${BASE}/nginx:1.27@${digest}" # web`));
    assert.equal(k2.rewritten.length, 1);
  });
});
