// Deterministic repository-like tree for the scan benchmark: Dockerfiles, Kubernetes
// YAML, compose files, other YAML, source/docs/binary files, plus node_modules and
// .git folders holding decoy references that a scanner must skip.
// Returns the planted references (outside ignored folders) so recall can be checked.
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRng } from '../rng.mjs';
import { pickImage } from './images.mjs';

/**
 * @typedef {{file:string, line:number, text:string, thirdParty:boolean, kind:string}} Planted
 *   file: posix path relative to the root; line: 1-based; text: the image as written.
 */

const SRC_DIRS = ['api', 'core', 'handlers', 'models', 'util', 'internal'];
const SVC_WORDS = ['billing', 'auth', 'search', 'cart', 'orders', 'users', 'mailer', 'gateway', 'reports', 'media', 'geo', 'audit'];

/**
 * @param {string} root directory to fill (created)
 * @param {{files?:number, seed?:number}} o
 * @returns {Promise<{files:number, planted:Planted[], decoys:number, ignoredFiles:number, counts:Record<string,number>}>}
 */
export async function generateTree(root, { files: total = 20000, seed = 1234 } = {}) {
  const rng = createRng(seed);
  /** @type {Planted[]} */
  const planted = [];
  const counts = {};
  let written = 0;
  let decoys = 0;
  let ignoredFiles = 0;
  const madeDirs = new Set();
  const seen = new Set();
  /** @type {[string, string|Buffer][]} */
  const pendingWrites = [];
  const write = (rel, content, kind) => {
    if (seen.has(rel)) throw new Error(`tree generator: duplicate path ${rel}`);
    seen.add(rel);
    const abs = join(root, rel);
    const d = dirname(abs);
    if (!madeDirs.has(d)) {
      mkdirSync(d, { recursive: true });
      madeDirs.add(d);
    }
    pendingWrites.push([abs, content]);
    written++;
    counts[kind] = (counts[kind] ?? 0) + 1;
  };

  // Builds file text line by line, recording planted images at their 1-based line.
  const doc = (rel, plant) => {
    const lines = [];
    const refs = [];
    return {
      line: (s) => lines.push(s),
      image: (prefix, img, suffix = '', kind = 'ref') => {
        lines.push(prefix + img.text + suffix);
        refs.push({ file: rel, line: lines.length, text: img.text, thirdParty: img.thirdParty, kind });
      },
      done: () => {
        if (plant) planted.push(...refs);
        else decoys += refs.length;
        return lines.join('\n') + '\n';
      },
    };
  };

  const dockerfile = (rel, plant = true) => {
    const b = doc(rel, plant);
    const useArg = rng.chance(0.2);
    let argImg;
    if (useArg) {
      argImg = pickImage(rng, { digestRate: 0.03 });
      b.image('ARG BASE_IMAGE=', argImg, '', 'dockerfile-arg');
    }
    const stages = rng.int(1, 3);
    for (let s = 0; s < stages; s++) {
      if (s === 0 && useArg) b.line('FROM ${BASE_IMAGE} AS build');
      else if (s === stages - 1 && rng.chance(0.1)) b.line('FROM scratch');
      else b.image(rng.chance(0.2) ? 'FROM --platform=$BUILDPLATFORM ' : 'FROM ', pickImage(rng, { digestRate: 0.05 }), s < stages - 1 ? ` AS stage${s}` : '', 'dockerfile-from');
      b.line('WORKDIR /app');
      if (s > 0) b.line(`COPY --from=${s === 1 && useArg ? 'build' : `stage${s - 1}`} /app/out /app/`);
      if (rng.chance(0.2)) b.image('COPY --from=', pickImage(rng, { digestRate: 0 }), ' /bin/tool /usr/local/bin/tool', 'dockerfile-copy-from');
      b.line('RUN set -eux; \\');
      b.line('    apt-get update && apt-get install -y --no-install-recommends ca-certificates; \\');
      b.line('    rm -rf /var/lib/apt/lists/*');
      if (rng.chance(0.3)) b.line('# FROM alpine:3.12 was the old base (comment, not a reference)');
    }
    b.line('ENTRYPOINT ["/app/server"]');
    return b.done();
  };

  // Kubernetes YAML is mostly block style; about one file in ten uses flow mappings.
  let flow = false;
  const small = (b, indent, key, entries) => {
    if (flow) b.line(`${indent}${key}: {${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
    else {
      b.line(`${indent}${key}:`);
      for (const [k, v] of entries) b.line(`${indent}  ${k}: ${v}`);
    }
  };
  const podSpec = (b, indent) => {
    b.line(`${indent}containers:`);
    const n = rng.chance(0.2) ? 2 : 1;
    for (let i = 0; i < n; i++) {
      b.line(`${indent}  - name: c${i}`);
      const img = pickImage(rng);
      if (rng.chance(0.2)) b.image(`${indent}    image: "`, img, '"', 'k8s');
      else b.image(`${indent}    image: `, img, '', 'k8s');
      if (flow) b.line(`${indent}    ports: [{containerPort: ${rng.pick([80, 8080, 9090])}}]`);
      else {
        b.line(`${indent}    ports:`);
        b.line(`${indent}      - containerPort: ${rng.pick([80, 8080, 9090])}`);
      }
      b.line(`${indent}    resources:`);
      small(b, `${indent}      `, 'limits', [['cpu', '500m'], ['memory', '256Mi']]);
    }
  };
  const k8sFile = (rel, plant = true) => {
    const b = doc(rel, plant);
    flow = rng.chance(0.1);
    const docsN = rng.int(1, 3);
    for (let d = 0; d < docsN; d++) {
      if (d > 0) b.line('---');
      const kind = rng.pick(['Deployment', 'Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'Pod', 'Service', 'ConfigMap']);
      const name = `${rng.pick(SVC_WORDS)}-${rng.word(4)}`;
      b.line(kind === 'CronJob' ? 'apiVersion: batch/v1' : kind === 'Job' ? 'apiVersion: batch/v1' : ['Pod', 'Service', 'ConfigMap'].includes(kind) ? 'apiVersion: v1' : 'apiVersion: apps/v1');
      b.line(`kind: ${kind}`);
      b.line('metadata:');
      b.line(`  name: ${name}`);
      small(b, '  ', 'labels', [['app', name]]);
      if (kind === 'Service') {
        b.line('spec:');
        small(b, '  ', 'selector', [['app', name]]);
        b.line('  ports:');
        b.line('    - port: 80');
        b.line('      targetPort: 8080');
      } else if (kind === 'ConfigMap') {
        b.line('data:');
        b.line('  notes.txt: |');
        b.line('    image: busybox:1.36   # text inside a block scalar, not a reference');
        b.line('  LOG_LEVEL: info');
      } else if (kind === 'Pod') {
        b.line('spec:');
        podSpec(b, '  ');
      } else if (kind === 'CronJob') {
        b.line('spec:');
        b.line('  schedule: "*/15 * * * *"');
        b.line('  jobTemplate:');
        b.line('    spec:');
        b.line('      template:');
        b.line('        spec:');
        b.line('          restartPolicy: OnFailure');
        podSpec(b, '          ');
      } else {
        b.line('spec:');
        if (kind !== 'Job') {
          b.line('  selector:');
          small(b, '    ', 'matchLabels', [['app', name]]);
        }
        b.line('  template:');
        b.line('    metadata:');
        small(b, '      ', 'labels', [['app', name]]);
        b.line('    spec:');
        if (rng.chance(0.1)) {
          b.line('      initContainers:');
          b.line('        - name: init');
          b.image('          image: ', pickImage(rng), '', 'k8s');
        }
        podSpec(b, '      ');
      }
    }
    return b.done();
  };

  const composeFile = (rel, plant = true) => {
    const b = doc(rel, plant);
    b.line('services:');
    const n = rng.int(1, 4);
    for (let i = 0; i < n; i++) {
      b.line(`  ${rng.pick(SVC_WORDS)}${i}:`);
      b.image('    image: ', pickImage(rng, { digestRate: 0.02 }), '', 'compose');
      b.line('    restart: unless-stopped');
      b.line(`    ports: ["${8000 + i}:80"]`);
      b.line('    environment:');
      b.line(`      - TZ=UTC`);
    }
    return b.done();
  };

  const otherYaml = () =>
    rng.pick([
      'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm test\n',
      'site_name: Docs\nnav:\n  - Home: index.md\ntheme:\n  name: material\n',
      'linters:\n  enable: [govet, errcheck]\nrun:\n  timeout: 5m\n',
      'openapi: 3.0.0\ninfo: {title: API, version: "1"}\npaths: {}\n',
      'imagePullPolicy: Always\nreplicaCount: 2\nresources: {}\n',
    ]);

  const source = () => {
    const kind = rng.pick(['js', 'ts', 'go', 'py', 'md', 'json', 'txt', 'sh', 'bin']);
    switch (kind) {
      case 'js':
        return ['js', `export function f${rng.word(4)}(x) {\n  return x * ${rng.int(1, 9)};\n}\n`];
      case 'ts':
        return ['ts', `export const image: string = 'nginx:${rng.int(1, 2)}.${rng.int(0, 27)}'; // string in code, not scanned\n`];
      case 'go':
        return ['go', `package main\n\nfunc main() { println("${rng.word(8)}") }\n`];
      case 'py':
        return ['py', `def handler(event):\n    return {"status": ${rng.int(200, 204)}}\n`];
      case 'md':
        return ['md', `# ${rng.word(6)}\n\nBuild with:\n\n\`\`\`\nFROM node:20-alpine\n\`\`\`\n`];
      case 'json':
        return ['json', JSON.stringify({ name: rng.word(6), version: '1.0.0', image: 'redis:7' }) + '\n'];
      case 'txt':
        return ['txt', `${rng.word(10)} ${rng.word(5)}\n`];
      case 'sh':
        return ['sh', `#!/bin/sh\ndocker run --rm nginx:1.25 nginx -t\n`];
      default:
        return ['png', Buffer.from(Array.from({ length: 256 }, () => rng.int(0, 255)))];
    }
  };

  // ---- budget ----
  const nNodeModules = Math.round(total * 0.12);
  const nGit = Math.round(total * 0.08);
  const nDocker = Math.round(total * 0.05);
  const nK8s = Math.round(total * 0.11);
  const nCompose = Math.round(total * 0.02);
  const nOtherYaml = Math.round(total * 0.04);
  const nSource = total - nNodeModules - nGit - nDocker - nK8s - nCompose - nOtherYaml;

  // ---- planted (scanned) files ----
  const svcCount = Math.max(1, Math.round(total / 40));
  const svc = (i) => `services/${SVC_WORDS[i % SVC_WORDS.length]}-${String(i).padStart(3, '0')}`;
  for (let i = 0; i < nDocker; i++) {
    const s = svc(i % svcCount);
    const name = rng.pick(['Dockerfile', 'Dockerfile', 'Dockerfile.dev', 'Dockerfile.prod', 'build.Dockerfile', 'docker/Dockerfile']);
    const rel = `${s}/${i < svcCount ? '' : `v${i}/`}${name}`;
    write(rel, dockerfile(rel), 'dockerfile');
  }
  for (let i = 0; i < nK8s; i++) {
    const env = rng.pick(['dev', 'staging', 'prod']);
    const rel = rng.chance(0.5)
      ? `deploy/k8s/${env}/${rng.pick(SVC_WORDS)}-${i}.${rng.chance(0.8) ? 'yaml' : 'yml'}`
      : `${svc(i % svcCount)}/k8s/${rng.pick(['deployment', 'cronjob', 'workload'])}-${i}.yaml`;
    write(rel, k8sFile(rel), 'k8s-yaml');
  }
  for (let i = 0; i < nCompose; i++) {
    const rel = `${svc(i % svcCount)}/${i < svcCount ? '' : `env${i}/`}${rng.pick(['docker-compose.yml', 'compose.yaml', 'docker-compose.override.yml'])}`;
    write(rel, composeFile(rel), 'compose');
  }
  for (let i = 0; i < nOtherYaml; i++) {
    write(`${svc(i % svcCount)}/config/${rng.pick(['ci', 'mkdocs', 'lint', 'openapi', 'settings'])}-${i}.yaml`, otherYaml(), 'other-yaml');
  }
  for (let i = 0; i < nSource; i++) {
    const [ext, body] = source();
    // About 10 files per directory, as in real repositories.
    write(`${svc(i % svcCount)}/src/${rng.pick(SRC_DIRS)}/${rng.word(6)}-${i}.${ext}`, body, 'source');
  }

  // ---- ignored folders with decoys ----
  const pkgNames = Array.from({ length: 300 }, (_, k) => `${rng.pick(['', '@scope/'])}${rng.word(5)}${k}`);
  for (let i = 0; i < nNodeModules; i++) {
    const pkg = pkgNames[i % pkgNames.length];
    const base = i % 7 === 0 ? `${svc(i % svcCount)}/node_modules/${pkg}` : `node_modules/${pkg}`;
    const r = i % 10;
    if (r === 0) write(`${base}/examples/e${i}/Dockerfile`, dockerfile(`${base}/examples/e${i}/Dockerfile`, false), 'decoy');
    else if (r === 1) write(`${base}/deploy/k8s-${i}.yaml`, k8sFile(`${base}/deploy/k8s-${i}.yaml`, false), 'decoy');
    else if (r === 2) write(`${base}/examples/e${i}/docker-compose.yml`, composeFile(`${base}/examples/e${i}/docker-compose.yml`, false), 'decoy');
    else write(`${base}/lib/i${i}.js`, `module.exports = ${i};\n`, 'ignored-other');
    ignoredFiles++;
  }
  for (let i = 0; i < nGit; i++) {
    const r = i % 20;
    if (r === 0) write(`.git/modules/charts-${i}/Dockerfile`, dockerfile(`.git/modules/charts-${i}/Dockerfile`, false), 'decoy');
    else if (r === 1) write(`.git/rr-cache/${rng.hex(40)}/deploy-${i}.yaml`, k8sFile(`.git/rr-cache/x/deploy-${i}.yaml`, false), 'decoy');
    else if (r === 2) write(`.git/logs/refs/heads/branch-${i}`, `0000 ${rng.hex(40)} bench <b@example.com> 0 +0000\tcommit: bump FROM node:18 to node:20\n`, 'ignored-other');
    else if (r === 3) write(`.git/hooks/hook-${i}.sample`, '#!/bin/sh\nexit 0\n', 'ignored-other');
    else write(`.git/objects/${rng.hex(2)}/${rng.hex(38)}`, Buffer.from(Array.from({ length: 120 }, () => rng.int(0, 255))), 'ignored-other');
    ignoredFiles++;
  }
  await flush(pendingWrites, 32);
  return { files: written, planted, decoys, ignoredFiles, counts };
}

async function flush(items, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const [abs, content] = items[next++];
      await writeFile(abs, content);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
