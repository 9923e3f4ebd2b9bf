import * as assert from 'assert';
import { refs, short } from './helpers';

const y = (...lines: string[]) => lines.join('\n') + '\n';

describe('extract: Kubernetes and friends', function () {
  it('Deployment containers, initContainers, ephemeralContainers', function () {
    const text = y(
      'apiVersion: apps/v1',
      'kind: Deployment',
      'spec:',
      '  template:',
      '    spec:',
      '      initContainers:',
      '      - name: init',
      '        image: busybox:1.36',
      '      containers:',
      '        - name: app',
      '          image: "nginx:1.27"',
      '        - {name: side, image: envoyproxy/envoy:v1.30}',
      '      ephemeralContainers:',
      '      - image: debian',
    );
    assert.deepStrictEqual(short('deploy.yaml', text), [
      '7:15 busybox:1.36 -> docker.io/library/busybox:1.36 (k8s)',
      '10:18 nginx:1.27 -> docker.io/library/nginx:1.27 (k8s)',
      '11:30 envoyproxy/envoy:v1.30 -> docker.io/envoyproxy/envoy:v1.30 (k8s)',
      '13:15 debian -> docker.io/library/debian:latest (k8s)',
    ]);
  });

  it('CronJob jobTemplate, Pod, List items, image volumes', function () {
    const text = y(
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: batch/v1',
      '  kind: CronJob',
      '  spec:',
      '    jobTemplate:',
      '      spec:',
      '        template:',
      '          spec:',
      '            containers: [{name: c, image: "alpine:3.20"}]',
      '- apiVersion: v1',
      '  kind: Pod',
      '  spec:',
      '    containers:',
      "    - image: 'quay.io/x/y:1'",
      '    volumes:',
      '    - name: data',
      '      image:',
      '        reference: ghcr.io/acme/model-weights:v2',
      '        pullPolicy: IfNotPresent',
    );
    assert.deepStrictEqual(short('list.yaml', text), [
      '10:43 alpine:3.20 -> docker.io/library/alpine:3.20 (k8s)',
      '15:14 quay.io/x/y:1 -> quay.io/x/y:1 (k8s)',
      '19:19 ghcr.io/acme/model-weights:v2 -> ghcr.io/acme/model-weights:v2 (k8s)',
    ]);
  });

  it('custom resources with pod templates (Argo Rollout) are k8s; Argo Workflows and Tekton are other-yaml', function () {
    const rollout = y('apiVersion: argoproj.io/v1alpha1', 'kind: Rollout', 'spec:', '  template:', '    spec:', '      containers:', '      - image: argoproj/rollouts-demo:blue');
    assert.deepStrictEqual(short('r.yaml', rollout), ['6:15 argoproj/rollouts-demo:blue -> docker.io/argoproj/rollouts-demo:blue (k8s)']);
    const wf = y(
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Workflow',
      'spec:',
      '  templates:',
      '  - name: a',
      '    container:',
      '      image: alpine:3.20',
      '  - name: b',
      '    script:',
      '      image: python:3.12',
      '      source: |',
      '        image: not-this:1',
      '    sidecars:',
      '    - name: dind',
      '      image: docker:dind',
    );
    assert.deepStrictEqual(short('wf.yaml', wf), [
      '6:13 alpine:3.20 -> docker.io/library/alpine:3.20 (other-yaml)',
      '9:13 python:3.12 -> docker.io/library/python:3.12 (other-yaml)',
      '14:13 docker:dind -> docker.io/library/docker:dind (other-yaml)',
    ]);
    const tekton = y(
      'apiVersion: tekton.dev/v1',
      'kind: Task',
      'spec:',
      '  stepTemplate:',
      '    image: ubuntu:24.04',
      '  steps:',
      '  - name: s',
      '    image: alpine/git:2.45.2',
    );
    assert.deepStrictEqual(short('task.yaml', tekton), [
      '4:11 ubuntu:24.04 -> docker.io/library/ubuntu:24.04 (other-yaml)',
      '7:11 alpine/git:2.45.2 -> docker.io/alpine/git:2.45.2 (other-yaml)',
    ]);
  });

  it('Tekton StepAction spec.image is other-yaml', function () {
    const text = y('apiVersion: tekton.dev/v1beta1', 'kind: StepAction', 'metadata:', '  name: s', 'spec:', '  image: alpine:3.20', '  script: echo hi');
    assert.deepStrictEqual(short('stepaction.yaml', text), ['5:9 alpine:3.20 -> docker.io/library/alpine:3.20 (other-yaml)']);
  });

  it('Cloud Run / Knative Service and Cloud Run Job are cloudrun', function () {
    const svc = y('apiVersion: serving.knative.dev/v1', 'kind: Service', 'spec:', '  template:', '    spec:', '      containers:', '      - image: us-docker.pkg.dev/cloudrun/container/hello');
    assert.deepStrictEqual(short('service.yaml', svc), ['6:15 us-docker.pkg.dev/cloudrun/container/hello -> us-docker.pkg.dev/cloudrun/container/hello:latest (cloudrun)']);
    const job = y('apiVersion: run.googleapis.com/v1', 'kind: Job', 'spec:', '  template:', '    spec:', '      template:', '        spec:', '          containers:', '          - image: nginx');
    assert.deepStrictEqual(short('job.yaml', job), ['8:19 nginx -> docker.io/library/nginx:latest (cloudrun)']);
  });

  it('Skaffold: verify containers are other-yaml; build artifacts are not references', function () {
    const text = y(
      'apiVersion: skaffold/v4beta11',
      'kind: Config',
      'build:',
      '  artifacts:',
      '  - image: frontend',
      'verify:',
      '- name: smoke',
      '  container:',
      '    name: t',
      '    image: curlimages/curl:8.8.0',
    );
    assert.deepStrictEqual(short('skaffold.yaml', text), ['9:11 curlimages/curl:8.8.0 -> docker.io/curlimages/curl:8.8.0 (other-yaml)']);
    const more = y(
      'apiVersion: skaffold/v4beta11',
      'kind: Config',
      'customActions:',
      '- name: seed',
      '  containers:',
      '  - name: s',
      '    image: alpine:3.20',
      'profiles:',
      '- name: ci',
      '  build:',
      '    artifacts:',
      '    - image: app',
      '  verify:',
      '  - name: smoke',
      '    container:',
      '      name: t',
      '      image: busybox:1.36',
    );
    assert.deepStrictEqual(short('skaffold.yaml', more), [
      '6:11 alpine:3.20 -> docker.io/library/alpine:3.20 (other-yaml)',
      '16:13 busybox:1.36 -> docker.io/library/busybox:1.36 (other-yaml)',
    ]);
  });

  it('ConfigMap data and block scalars are not references', function () {
    const text = y('apiVersion: v1', 'kind: ConfigMap', 'data:', '  pod.yaml: |', '    containers:', '    - image: nginx:1', '  inline: "image: nginx"');
    assert.deepStrictEqual(short('cm.yaml', text), []);
  });

  it('placeholders that are not valid references are reported as errors; templates are not reported at all', function () {
    const text = y('apiVersion: v1', 'kind: Pod', 'spec:', '  containers:', '  - image: "%IMAGE%"', '  - image: "{{ .Values.image }}"', '  - image: ${REGISTRY}/app:1', '  - image:');
    const r = refs('pod.yaml', text);
    assert.strictEqual(r.length, 1);
    assert.strictEqual(r[0].text, '%IMAGE%');
    assert.ok(r[0].error);
  });
});

describe('extract: compose', function () {
  it('services.*.image, build: -> not pulled, ${VAR:-default}', function () {
    const text = y(
      'services:',
      '  web:',
      '    build: .',
      '    image: acme/web:dev',
      '  db:',
      '    image: postgres:${PG_VERSION:-16}',
      '  cache:',
      '    image: "redis:${REDIS_TAG}"',
      'volumes:',
      '  data: {}',
    );
    assert.deepStrictEqual(
      refs('compose.yaml', text).map((r) => [r.line, r.col, r.text, r.resolved, r.pulled, r.normalized ?? r.error]),
      [
        [3, 11, 'acme/web:dev', 'acme/web:dev', false, 'docker.io/acme/web:dev'],
        [5, 11, 'postgres:${PG_VERSION:-16}', 'postgres:16', true, 'docker.io/library/postgres:16'],
        [7, 12, 'redis:${REDIS_TAG}', 'redis:${REDIS_TAG}', true, 'docker.io/library/redis:${REDIS_TAG}'],
      ],
    );
  });

  it('x- extension blocks merged with <<: are reported once, at the anchor', function () {
    const text = y(
      'x-base: &base',
      '  image: ghcr.io/acme/base:1.0',
      '  restart: always',
      'services:',
      '  a:',
      '    <<: *base',
      '  b:',
      '    <<: [*base]',
      '    build: ./b',
      '  c:',
      '    <<: *base',
      '    image: nginx:alpine',
    );
    assert.deepStrictEqual(short('docker-compose.yml', text), [
      '1:9 ghcr.io/acme/base:1.0 -> ghcr.io/acme/base:1.0 (compose)',
      '11:11 nginx:alpine -> docker.io/library/nginx:alpine (compose)',
    ]);
  });

  it('anchors on the image value itself: reported at the anchor, not the alias', function () {
    const text = y('services:', '  a:', '    image: &img busybox:1.36', '  b:', '    image: *img');
    assert.deepStrictEqual(short('compose.yml', text), ['2:16 busybox:1.36 -> docker.io/library/busybox:1.36 (compose)']);
  });

  it('compose detected by content in any file name', function () {
    const text = y('services:', '  app:', '    image: traefik:v3.0', '    ports:', '      - "80:80"');
    assert.deepStrictEqual(short('stack.yaml', text), ['2:11 traefik:v3.0 -> docker.io/library/traefik:v3.0 (compose)']);
  });
});

describe('extract: CI and build files', function () {
  it('Cloud Build steps[].name; top-level images: are outputs', function () {
    const text = y(
      'steps:',
      "- name: 'gcr.io/cloud-builders/docker'",
      '  args: [build, -t, gcr.io/$PROJECT_ID/app, .]',
      '- name: node:20',
      '  entrypoint: npm',
      '- name: ${_REGISTRY}/tool',
      'images:',
      '- gcr.io/$PROJECT_ID/app',
    );
    assert.deepStrictEqual(short('cloudbuild.yaml', text), [
      '1:9 gcr.io/cloud-builders/docker -> gcr.io/cloud-builders/docker:latest (cloudbuild)',
      '3:8 node:20 -> docker.io/library/node:20 (cloudbuild)',
    ]);
  });

  it('GitHub Actions: container string and .image, services string and .image, uses docker://', function () {
    const text = y(
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    container: node:20-bookworm',
      '    services:',
      '      redis:',
      '        image: redis:7',
      '      pg: postgres:16',
      '    steps:',
      '    - uses: actions/checkout@v4',
      '    - uses: docker://alpine:3.20',
      '    - uses: "docker://ghcr.io/acme/lint:1"',
      '  b:',
      '    runs-on: ubuntu-latest',
      '    container:',
      '      image: ${{ matrix.image }}',
      '  c:',
      '    runs-on: ubuntu-latest',
      '    container:',
      '      image: python:3.12',
    );
    assert.deepStrictEqual(short('.github/workflows/ci.yml', text), [
      '4:15 node:20-bookworm -> docker.io/library/node:20-bookworm (github-actions)',
      '7:15 redis:7 -> docker.io/library/redis:7 (github-actions)',
      '8:10 postgres:16 -> docker.io/library/postgres:16 (github-actions)',
      '11:21 alpine:3.20 -> docker.io/library/alpine:3.20 (github-actions)',
      '12:22 ghcr.io/acme/lint:1 -> ghcr.io/acme/lint:1 (github-actions)',
      '20:13 python:3.12 -> docker.io/library/python:3.12 (github-actions)',
    ]);
  });

  it('action.yml runs.image docker://; a Dockerfile path is not a reference', function () {
    assert.deepStrictEqual(short('action.yml', y('name: x', 'runs:', '  using: docker', "  image: 'docker://debian:12'")), [
      '3:19 debian:12 -> docker.io/library/debian:12 (github-actions)',
    ]);
    assert.deepStrictEqual(short('action.yaml', y('name: x', 'runs:', '  using: docker', '  image: Dockerfile')), []);
  });

  it('GitLab CI: image string / .name, services entries, default: and job level, hidden jobs', function () {
    const text = y(
      'image: ruby:3.3',
      'services:',
      '  - postgres:16',
      'default:',
      '  image:',
      '    name: alpine:3.20',
      '    entrypoint: [""]',
      '  services:',
      '    - name: docker:dind',
      '      alias: docker',
      'stages: [build]',
      'variables:',
      '  IMAGE: not-an-image:1',
      '.tmpl:',
      '  image: node:20',
      'build:',
      '  stage: build',
      '  image: $CI_REGISTRY_IMAGE/builder:latest',
      '  services: [redis:7]',
      '  script:',
      '    - docker build .',
    );
    assert.deepStrictEqual(short('.gitlab-ci.yml', text), [
      '0:7 ruby:3.3 -> docker.io/library/ruby:3.3 (gitlab-ci)',
      '2:4 postgres:16 -> docker.io/library/postgres:16 (gitlab-ci)',
      '5:10 alpine:3.20 -> docker.io/library/alpine:3.20 (gitlab-ci)',
      '8:12 docker:dind -> docker.io/library/docker:dind (gitlab-ci)',
      '14:9 node:20 -> docker.io/library/node:20 (gitlab-ci)',
      '18:13 redis:7 -> docker.io/library/redis:7 (gitlab-ci)',
    ]);
  });

  it('GitLab CI anchors and merge keys: reported at the anchor', function () {
    const text = y('.base: &base', '  image: golang:1.22', 'test:', '  <<: *base', '  script: [go test]', 'lint:', '  <<: *base', '  script: [golangci-lint run]');
    assert.deepStrictEqual(short('.gitlab-ci.yml', text), ['1:9 golang:1.22 -> docker.io/library/golang:1.22 (gitlab-ci)']);
  });
});

describe('extract: kustomize and Helm values', function () {
  it('kustomize images: newName(+newTag/digest) at newName; name+newTag at name; name only: nothing', function () {
    const text = y(
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'images:',
      '- name: nginx',
      '  newName: my.registry.io/nginx',
      '  newTag: "1.27"',
      '- name: redis',
      '  newTag: 7.2.4',
      '- name: postgres',
      '  digest: sha256:' + 'b'.repeat(64),
      '- name: untouched',
    );
    const r = refs('kustomization.yaml', text);
    assert.deepStrictEqual(
      r.map((x) => [x.line, x.col, x.text, x.resolved, x.kind]),
      [
        [4, 11, 'my.registry.io/nginx', 'my.registry.io/nginx:1.27', 'kustomize'],
        [6, 8, 'redis', 'redis:7.2.4', 'kustomize'],
        [8, 8, 'postgres', 'postgres@sha256:' + 'b'.repeat(64), 'kustomize'],
      ],
    );
  });

  it('Helm values: image / *Image mappings with registry, repository, tag (as written), digest', function () {
    const text = y(
      'image:',
      '  registry: docker.io',
      '  repository: bitnami/nginx',
      '  tag: 1.27.0-debian-12-r0',
      '  digest: ""',
      'metrics:',
      '  exporterImage:',
      '    repository: prom/nginx-exporter',
      '    tag: 8.0',
      'images:',
      '  repository: us-docker.pkg.dev/x/y',
      'config:',
      '  image: not-a-mapping:1',
      'init:',
      '  image: {repository: "busybox", tag: "1.36"}',
    );
    assert.deepStrictEqual(short('values.yaml', text), [
      '2:14 bitnami/nginx -> docker.io/bitnami/nginx:1.27.0-debian-12-r0 (helm-values)',
      '7:16 prom/nginx-exporter -> docker.io/prom/nginx-exporter:8.0 (helm-values)',
      '14:23 busybox -> docker.io/library/busybox:1.36 (helm-values)',
    ]);
  });

  it('Helm values: null or empty tag/digest are left out', function () {
    const text = y('image:', '  repository: nginx', '  tag: ~', 'sideImage:', '  repository: redis', '  tag: null', '  digest:', 'initImage:', '  repository: busybox', '  tag: ""');
    assert.deepStrictEqual(
      refs('values.yaml', text).map((r) => r.resolved),
      ['nginx', 'redis', 'busybox'],
    );
  });

  it('Helm values embedded in a Flux HelmRelease', function () {
    const text = y('apiVersion: helm.toolkit.fluxcd.io/v2', 'kind: HelmRelease', 'spec:', '  values:', '    controller:', '      image:', '        repository: quay.io/metallb/controller', '        tag: v0.14.5');
    assert.deepStrictEqual(short('release.yaml', text), ['6:20 quay.io/metallb/controller -> quay.io/metallb/controller:v0.14.5 (helm-values)']);
  });

  it('Helm templates: literal values reported, {{ }} values not', function () {
    const text = y(
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ include "x.fullname" . }}',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      {{- if .Values.sidecar }}',
      '      - name: sidecar',
      '        image: "envoyproxy/envoy:v1.30.1"',
      '      {{- end }}',
      '      - name: app',
      '        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
      '      - name: app2',
      '        image: nginx:{{ .Chart.AppVersion }}',
    );
    assert.deepStrictEqual(short('chart/templates/deployment.yaml', text), ['10:16 envoyproxy/envoy:v1.30.1 -> docker.io/envoyproxy/envoy:v1.30.1 (k8s)']);
  });
});

describe('extract: unrelated YAML', function () {
  it('image: keys in front matter, app config, OpenAPI, etc. are not references', function () {
    assert.deepStrictEqual(short('post.yaml', y('title: Hello', 'image: /img/cover.png', 'author: me')), []);
    assert.deepStrictEqual(short('config.yml', y('app:', '  image: nginx:1.27', '  replicas: 3')), []);
    assert.deepStrictEqual(short('mkdocs.yml', y('theme:', '  name: material', '  logo: image.png', 'nav:', '- Home: index.md')), []);
    assert.deepStrictEqual(short('steps.yml', y('steps:', '- name: Build the thing', '- name: Test it')), []);
  });
});

describe('extract: more CI dialects (other-yaml)', function () {
  it('CircleCI jobs and executors docker images', function () {
    const text = y(
      'version: 2.1',
      'executors:',
      '  node:',
      '    docker:',
      '      - image: cimg/node:20.11',
      'jobs:',
      '  test:',
      '    docker:',
      '      - image: cimg/python:3.12',
      '      - image: postgres:16',
      '    steps: [checkout]',
    );
    assert.deepStrictEqual(short('.circleci/config.yml', text), [
      '4:15 cimg/node:20.11 -> docker.io/cimg/node:20.11 (other-yaml)',
      '8:15 cimg/python:3.12 -> docker.io/cimg/python:3.12 (other-yaml)',
      '9:15 postgres:16 -> docker.io/library/postgres:16 (other-yaml)',
    ]);
  });

  it('Bitbucket Pipelines: top-level, step and service images', function () {
    const text = y(
      'image: node:20',
      'definitions:',
      '  services:',
      '    db:',
      '      image: mysql:8',
      'pipelines:',
      '  default:',
      '    - step:',
      '        image:',
      '          name: python:3.12',
      '        script: [pytest]',
      '        services: [db]',
    );
    assert.deepStrictEqual(short('bitbucket-pipelines.yml', text), [
      '0:7 node:20 -> docker.io/library/node:20 (other-yaml)',
      '4:13 mysql:8 -> docker.io/library/mysql:8 (other-yaml)',
      '9:16 python:3.12 -> docker.io/library/python:3.12 (other-yaml)',
    ]);
  });

  it('Drone pipelines: steps and services', function () {
    const text = y('kind: pipeline', 'type: docker', 'steps:', '- name: test', '  image: golang:1.22', 'services:', '- name: cache', '  image: redis:7');
    assert.deepStrictEqual(short('.drone.yml', text), [
      '4:9 golang:1.22 -> docker.io/library/golang:1.22 (other-yaml)',
      '7:9 redis:7 -> docker.io/library/redis:7 (other-yaml)',
    ]);
  });

  it('Kubernetes fragments without apiVersion (kustomize patches)', function () {
    const text = y('kind: Deployment', 'metadata:', '  name: web', 'spec:', '  template:', '    spec:', '      containers:', '      - name: web', '        image: nginx:1.27');
    assert.deepStrictEqual(short('patch.yaml', text), ['8:15 nginx:1.27 -> docker.io/library/nginx:1.27 (k8s)']);
  });
});
