import assert from 'node:assert/strict';
import {
  applyEdits,
  defaultTargetPath,
  parseTargetBase,
  rewriteFile,
  rewriteReference,
  targetName,
  targetReference,
  TargetBase,
} from '../../../server/src/edits/rewrite';
import { parseNormalized } from '../../../server/src/references/reference';
import { asFinding, refIn } from './helpers';

const BASE = 'us-central1-docker.pkg.dev/my-project/mirror';
function base(): TargetBase {
  const b = parseTargetBase(BASE);
  assert.ok(b.ok);
  return b.value;
}
function norm(s: string) {
  const r = parseNormalized(s);
  assert.ok(r.ok, s);
  return r.value;
}
function rewrite(doc: string, text: string, kind: Parameters<typeof refIn>[2], target: string, extra = {}) {
  const r = rewriteReference(doc, refIn(doc, text, kind, extra), { target });
  assert.ok(r.ok, r.ok ? '' : r.error);
  return applyEdits(doc, r.edits);
}

describe('edits/rewrite: target base', () => {
  it('accepts LOCATION-docker.pkg.dev/PROJECT/REPOSITORY, with scheme, trailing slash and sub-path', () => {
    const b = parseTargetBase('https://europe-west1-docker.pkg.dev/acme-prod/hub-mirror/');
    assert.ok(b.ok);
    assert.deepEqual(
      { host: b.value.host, location: b.value.location, project: b.value.project, repository: b.value.repository, base: b.value.base },
      { host: 'europe-west1-docker.pkg.dev', location: 'europe-west1', project: 'acme-prod', repository: 'hub-mirror', base: 'europe-west1-docker.pkg.dev/acme-prod/hub-mirror' },
    );
    const sub = parseTargetBase('us-docker.pkg.dev/acme-prod/mirror/third-party');
    assert.ok(sub.ok);
    assert.equal(sub.value.prefix, 'third-party');
  });
  it('accepts domain-scoped projects (project ID as the APIs spell it) and gcr.io-domain repositories', () => {
    const b = parseTargetBase('us-docker.pkg.dev/example.com/my-proj/repo');
    assert.ok(b.ok);
    assert.equal(b.value.project, 'example.com:my-proj');
    assert.equal(b.value.repository, 'repo');
    assert.equal(b.value.base, 'us-docker.pkg.dev/example.com/my-proj/repo');
    const g = parseTargetBase('gcr.io/my-project/mirror');
    assert.ok(g.ok);
    assert.equal(g.value.base, 'gcr.io/my-project/mirror');
    assert.equal(targetName(norm('nginx'), g.value), 'gcr.io/my-project/mirror/nginx');
  });
  for (const [input, why] of [
    ['', /empty/],
    ['quay.io/my-project/mirror', /not an Artifact Registry Docker host/],
    ['docker.pkg.dev/my-project/mirror', /not an Artifact Registry Docker host/],
    ['us-central1-docker.pkg.dev/my-project', /repository is missing/],
    ['us-central1-docker.pkg.dev/My_Project/mirror', /not a valid project ID/],
    ['us-central1-docker.pkg.dev/my-project/Mirror', /repository "Mirror" is not valid/],
    ['us-central1-docker.pkg.dev/my-project/mirror:1.0', /no tag/],
    ['us-central1-docker.pkg.dev/my-project/mir ror', /whitespace/],
  ] as const) {
    it(`rejects "${input}" with a clear error`, () => {
      const r = parseTargetBase(input);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.error, why);
        assert.match(r.error, /LOCATION-docker\.pkg\.dev\/PROJECT\/REPOSITORY/);
      }
    });
  }
});

describe('edits/rewrite: default mapping', () => {
  const cases: [string, string][] = [
    ['nginx', `${BASE}/nginx`],
    ['nginx:1.27-alpine', `${BASE}/nginx:1.27-alpine`],
    ['docker.io/library/nginx:1.27', `${BASE}/nginx:1.27`],
    ['index.docker.io/library/nginx', `${BASE}/nginx`],
    ['bitnami/redis:7.2', `${BASE}/bitnami/redis:7.2`],
    ['quay.io/prometheus/node-exporter:v1.8.0', `${BASE}/quay.io/prometheus/node-exporter:v1.8.0`],
    ['ghcr.io/org/app@sha256:' + 'a'.repeat(64), `${BASE}/ghcr.io/org/app@sha256:${'a'.repeat(64)}`],
    ['localhost:5000/team/app:dev', `${BASE}/localhost-5000/team/app:dev`],
    ['registry.example.com:8443/a/b', `${BASE}/registry.example.com-8443/a/b`],
    ['Registry.Example.com/a', `${BASE}/registry.example.com/a`],
    ['nginx:1.27@sha256:' + 'b'.repeat(64), `${BASE}/nginx:1.27@sha256:${'b'.repeat(64)}`],
  ];
  for (const [src, want] of cases) {
    it(`${src} -> ${want.slice(BASE.length)}`, () => assert.equal(targetReference(norm(src), base()), want));
  }
  it('keeps distinct sources distinct', () => {
    const srcs = ['nginx', 'library/nginx/x', 'nginx/nginx-ingress', 'quay.io/nginx', 'localhost/nginx', 'localhost:5000/nginx', 'docker.io/bitnami/nginx'];
    const targets = srcs.map((s) => targetName(norm(s), base()));
    assert.equal(new Set(targets).size, srcs.length, targets.join('\n'));
  });
  it('pins a digest when asked, keeping the tag', () => {
    const d = 'sha256:' + 'c'.repeat(64);
    assert.equal(targetReference(norm('redis:7'), base(), { digest: d }), `${BASE}/redis:7@${d}`);
  });
  it('applies the longest pathMapping prefix; absolute values leave the base', () => {
    const pathMapping = { 'docker.io/library': 'hub', 'docker.io/library/nginx': 'web/nginx', 'quay.io': 'europe-docker.pkg.dev/other-proj/quay' };
    assert.equal(targetName(norm('nginx'), base(), { pathMapping }), `${BASE}/web/nginx`);
    assert.equal(targetName(norm('redis'), base(), { pathMapping }), `${BASE}/hub/redis`);
    assert.equal(targetName(norm('quay.io/a/b'), base(), { pathMapping }), 'europe-docker.pkg.dev/other-proj/quay/a/b');
    assert.equal(targetName(norm('bitnami/redis'), base(), { pathMapping }), `${BASE}/bitnami/redis`);
    assert.equal(defaultTargetPath(norm('docker.io/library/a/b')), 'library/a/b');
  });
});

describe('edits/rewrite: text edits', () => {
  const T = `${BASE}/nginx`;
  it('replaces only the reference characters in a Dockerfile FROM, keeping flags, stage name and comment', () => {
    const doc = 'FROM --platform=$BUILDPLATFORM nginx:1.27 AS web # base\n';
    assert.equal(rewrite(doc, 'nginx:1.27', 'dockerfile-from', T), `FROM --platform=$BUILDPLATFORM ${T}:1.27 AS web # base\n`);
  });
  it('keeps YAML quotes and trailing comments', () => {
    const doc = 'spec:\n  containers:\n    - name: web\n      image: "nginx:1.27" # pinned\n';
    assert.equal(rewrite(doc, 'nginx:1.27', 'k8s', T), `spec:\n  containers:\n    - name: web\n      image: "${T}:1.27" # pinned\n`);
    const single = "image: 'nginx'\n";
    assert.equal(rewrite(single, 'nginx', 'compose', T), `image: '${T}'\n`);
  });
  it('keeps digest and tag as written, no implicit :latest added', () => {
    const d = 'sha256:' + 'e'.repeat(64);
    const doc = `image: nginx:1.27@${d}\nother: nginx\n`;
    assert.equal(rewrite(doc, `nginx:1.27@${d}`, 'k8s', T), `image: ${T}:1.27@${d}\nother: nginx\n`);
    assert.equal(rewrite('image: nginx\n', 'nginx', 'k8s', T), `image: ${T}\n`);
  });
  it('pins a digest on request', () => {
    const d = 'sha256:' + 'f'.repeat(64);
    const doc = 'FROM nginx:1.27\n';
    const r = rewriteReference(doc, refIn(doc, 'nginx:1.27', 'dockerfile-from'), { target: T, digest: d });
    assert.ok(r.ok);
    assert.equal(applyEdits(doc, r.edits), `FROM ${T}:1.27@${d}\n`);
    const bad = rewriteReference(doc, refIn(doc, 'nginx:1.27', 'dockerfile-from'), { target: T, digest: 'sha256:abc' });
    assert.equal(bad.ok, false);
  });
  it('a full target reference brings its own tag', () => {
    assert.equal(rewrite('FROM nginx:1.27\n', 'nginx:1.27', 'dockerfile-from', `${T}:1.27-mirrored`), `FROM ${T}:1.27-mirrored\n`);
  });
  it('edits the ARG default line when the image comes from an ARG', () => {
    const doc = 'ARG BASE_IMAGE=node:20-alpine\nFROM ${BASE_IMAGE} AS build\n';
    const r = refIn(doc, 'node:20-alpine', 'dockerfile-arg', { usedAt: { start: { line: 1, character: 5 }, end: { line: 1, character: 18 } } });
    const out = rewriteReference(doc, r, { target: `${BASE}/node` });
    assert.ok(out.ok);
    assert.equal(out.edits.length, 1);
    assert.equal(out.edits[0].range.start.line, 0);
    assert.equal(applyEdits(doc, out.edits), `ARG BASE_IMAGE=${BASE}/node:20-alpine\nFROM \${BASE_IMAGE} AS build\n`);
  });
  it('keeps unresolved variables in the tag', () => {
    const doc = 'FROM node:${NODE_VERSION}-alpine\n';
    assert.equal(rewrite(doc, 'node:${NODE_VERSION}-alpine', 'dockerfile-from', `${BASE}/node`), `FROM ${BASE}/node:\${NODE_VERSION}-alpine\n`);
  });
  it('edits only the default inside a compose ${VAR:-default}', () => {
    const doc = 'services:\n  db:\n    image: ${DB_IMAGE:-postgres:16}\n';
    const out = rewrite(doc, '${DB_IMAGE:-postgres:16}', 'compose', `${BASE}/postgres`, { resolved: 'postgres:16' });
    assert.equal(out, `services:\n  db:\n    image: \${DB_IMAGE:-${BASE}/postgres:16}\n`);
  });
  it('refuses references assembled from variables it cannot place', () => {
    const doc = 'FROM ${REPO}:${TAG}\n';
    const r = rewriteReference(doc, refIn(doc, '${REPO}:${TAG}', 'dockerfile-from', { resolved: 'nginx:1.2' }), { target: T });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /assembled from variables/);
  });
  it('refuses invalid references', () => {
    const doc = 'image: Nginx:1\n';
    const r = rewriteReference(doc, refIn(doc, 'Nginx:1', 'k8s'), { target: T });
    assert.equal(r.ok, false);
  });
  it('Helm values: rewrites the repository scalar only, tag scalar untouched', () => {
    const doc = 'image:\n  repository: quay.io/metallb/controller\n  tag: v0.13.10\n  pullPolicy: IfNotPresent\n';
    const out = rewrite(doc, 'quay.io/metallb/controller', 'helm-values', `${BASE}/quay.io/metallb/controller`, {
      resolved: 'quay.io/metallb/controller:v0.13.10',
      composite: true,
    });
    assert.equal(out, `image:\n  repository: ${BASE}/quay.io/metallb/controller\n  tag: v0.13.10\n  pullPolicy: IfNotPresent\n`);
  });
  it('Helm values: a full target reference does not put a second tag into the repository; digest pins are refused', () => {
    const doc = 'image:\n  repository: bitnami/redis\n  tag: "7.2"\n';
    const r = refIn(doc, 'bitnami/redis', 'helm-values', { resolved: 'bitnami/redis:7.2', composite: true });
    const out = rewriteReference(doc, r, { target: `${BASE}/bitnami/redis:7.2` });
    assert.ok(out.ok);
    assert.equal(applyEdits(doc, out.edits), `image:\n  repository: ${BASE}/bitnami/redis\n  tag: "7.2"\n`);
    const pin = rewriteReference(doc, r, { target: `${BASE}/bitnami/redis`, digest: 'sha256:' + 'a'.repeat(64) });
    assert.equal(pin.ok, false);
    if (!pin.ok) assert.match(pin.error, /separate field/);
  });
  it('Helm values with a sibling registry scalar (Bitnami): rewrites registry and repository', () => {
    const doc = 'image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.4-debian-12-r0\n  digest: ""\nmetrics:\n  image:\n    registry: docker.io\n';
    const out = rewrite(doc, 'bitnami/redis', 'helm-values', `${BASE}/bitnami/redis`, { resolved: 'docker.io/bitnami/redis:7.2.4-debian-12-r0', composite: true });
    assert.equal(
      out,
      'image:\n  registry: us-central1-docker.pkg.dev\n  repository: my-project/mirror/bitnami/redis\n  tag: 7.2.4-debian-12-r0\n  digest: ""\nmetrics:\n  image:\n    registry: docker.io\n',
    );
  });
  it('kustomize newName: rewrites newName, keeps newTag', () => {
    const doc = 'images:\n  - name: postgres\n    newName: bitnami/postgresql\n    newTag: "16"\n';
    const out = rewrite(doc, 'bitnami/postgresql', 'kustomize', `${BASE}/bitnami/postgresql`, { resolved: 'bitnami/postgresql:16', composite: true });
    assert.equal(out, `images:\n  - name: postgres\n    newName: ${BASE}/bitnami/postgresql\n    newTag: "16"\n`);
  });
  it('kustomize name with only newTag: adds newName (the name is the match key)', () => {
    const doc = 'images:\n  - name: nginx\n    newTag: 1.27\n  - name: redis\n    newTag: "7"\n';
    const out = rewrite(doc, 'nginx', 'kustomize', T, { resolved: 'nginx:1.27', composite: true });
    assert.equal(out, `images:\n  - name: nginx\n    newName: ${T}\n    newTag: 1.27\n  - name: redis\n    newTag: "7"\n`);
  });
  it('keeps CRLF line endings and handles a UTF-16 prefix', () => {
    const doc = '# café ☕ 🚀\r\nFROM nginx:1 # é\r\n';
    assert.equal(rewrite(doc, 'nginx:1', 'dockerfile-from', T), `# café ☕ 🚀\r\nFROM ${T}:1 # é\r\n`);
    const doc2 = 'x: "🚀" \nimage: nginx\n';
    assert.equal(rewrite(doc2, 'nginx', 'k8s', T), `x: "🚀" \nimage: ${T}\n`);
  });
});

describe('edits/rewrite: rewriteFile', () => {
  it('rewrites every mapped finding in one pass, leaves unmapped ones', () => {
    const doc = [
      'services:',
      '  web:',
      '    image: nginx:1.27 # front',
      '  cache:',
      "    image: 'redis:7'",
      '  own:',
      '    image: us-docker.pkg.dev/p/r/own:1',
      '  other:',
      '    image: nginx:1.27',
      '',
    ].join('\n');
    const findings = [
      asFinding(refIn(doc, 'nginx:1.27', 'compose')),
      asFinding(refIn(doc, 'redis:7', 'compose')),
      asFinding(refIn(doc, 'us-docker.pkg.dev/p/r/own:1', 'compose')),
      asFinding(refIn(doc, 'nginx:1.27', 'compose', { occurrence: 1 })),
    ];
    const mapping = { 'docker.io/library/nginx': `${BASE}/nginx`, 'docker.io/library/redis:7': `${BASE}/redis:7` };
    const r = rewriteFile(doc, findings, mapping);
    assert.equal(r.rewritten.length, 3);
    assert.equal(r.skipped.length, 0);
    assert.equal(r.edits.length, 3);
    assert.equal(
      r.text,
      doc.replace('image: nginx:1.27 # front', `image: ${BASE}/nginx:1.27 # front`).replace("'redis:7'", `'${BASE}/redis:7'`).replace(/image: nginx:1.27$/m, `image: ${BASE}/nginx:1.27`),
    );
  });
  it('accepts a function mapping and reports what it could not rewrite', () => {
    const doc = 'FROM $REG/x:1\nFROM ${A}:${B}\nFROM alpine:3\n';
    const f1 = asFinding(refIn(doc, '${A}:${B}', 'dockerfile-from', { resolved: 'busybox:1' }));
    const f2 = asFinding(refIn(doc, 'alpine:3', 'dockerfile-from'));
    const b = base();
    const r = rewriteFile(doc, [f1, f2], (f) => (f.ref ? targetName(f.ref, b) : undefined));
    assert.equal(r.text, `FROM $REG/x:1\nFROM \${A}:\${B}\nFROM ${BASE}/alpine:3\n`);
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0].reason, /by hand/);
  });
});
