import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../../server/src/cli/main';

const ROOT = path.resolve(__dirname, '../../..');
const CORPUS = path.resolve(ROOT, '../shared/corpus');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

async function scan(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(['scan', ...args], { stdout, stderr, cwd, env: {}, signal: new AbortController().signal, isTTY: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function write(root: string, files: Record<string, string>) {
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
}

describe('ar-migrate scan', function () {
  this.timeout(60000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-scan-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // The contract: exit 0 no third-party reference, 1 some, 2 usage error. Problems (broken YAML,
  // invalid references, binary files) do not change it, but they must be visible in every mode.
  it('problems without a third-party reference: exit 0, each problem named FILE:LINE on stderr / in "errors", and said in the summary', async () => {
    write(tmp, {
      'broken.yaml': 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: [broken\n',
      'invalid.yaml': 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: "Nginx:BAD TAG"\n    - image: us-docker.pkg.dev/p/r/app:1\n',
    });
    const table = await scan([], tmp);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stderr, /^broken\.yaml:\d+: invalid YAML/m);
    assert.match(table.stderr, /^invalid\.yaml:5: Invalid image reference "Nginx:BAD TAG"/m);
    assert.match(table.stdout, /No third-party image references in 2 files scanned/);
    assert.match(table.stdout, /2 problems reported above on stderr \(references in those places may be missing; problems do not change the exit status\)/);

    const json = await scan(['--json'], tmp);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    assert.deepEqual(out.findings, []);
    assert.deepEqual(out.errors.map((e: { file: string; line: number }) => `${e.file}:${e.line > 0}`).sort(), ['broken.yaml:true', 'invalid.yaml:true']);
    assert.match(json.stderr, /^ar-migrate scan: 2 problems, listed in "errors" of the JSON output/);

    const sarif = await scan(['--sarif'], tmp);
    assert.equal(sarif.code, 0);
    const ids = JSON.parse(sarif.stdout).runs[0].results.map((r: { ruleId: string }) => r.ruleId).sort();
    assert.deepEqual(ids, ['invalid-image-reference', 'yaml-parse-error']);
    assert.match(sarif.stderr, /2 problems, listed in the SARIF results/);

    // with a third-party reference as well: 1, problems still reported
    write(tmp, { 'Dockerfile': 'FROM nginx:1.27\n' });
    const both = await scan([], tmp);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /invalid\.yaml:5:/);
    assert.match(both.stdout, /2 problems reported above on stderr/);
    // --exit-zero keeps 0; a usage error stays 2
    assert.equal((await scan(['--exit-zero'], tmp)).code, 0);
    assert.equal((await scan(['--json', '--sarif'], tmp)).code, 2);
  });

  it('--json: findings with relative paths, 1-based UTF-16 columns (end exclusive), kinds; exit 1', async () => {
    write(tmp, {
      'app/Dockerfile': 'FROM node:20 AS b\nFROM us-docker.pkg.dev/p/r/base:1\n',
      'deploy/k8s.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n    - name: é🚀\n      image: "quay.io/org/app:1.0" # c\n',
    });
    const r = await scan(['--json'], tmp);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['errors', 'findings']);
    assert.deepEqual(out.findings, [
      {
        file: 'app/Dockerfile',
        line: 1,
        column: 6,
        endLine: 1,
        endColumn: 13,
        text: 'node:20',
        resolved: 'node:20',
        normalized: 'docker.io/library/node:20',
        registry: 'docker.io',
        thirdParty: true,
        pulled: true,
        kind: 'dockerfile-from',
      },
      {
        file: 'deploy/k8s.yaml',
        line: 7,
        column: 15,
        endLine: 7,
        endColumn: 34,
        text: 'quay.io/org/app:1.0',
        resolved: 'quay.io/org/app:1.0',
        normalized: 'quay.io/org/app:1.0',
        registry: 'quay.io',
        thirdParty: true,
        pulled: true,
        kind: 'k8s',
      },
    ]);
    assert.deepEqual(out.errors, []);
    const all = JSON.parse((await scan(['--json', '--all', 'app'], tmp)).stdout);
    assert.deepEqual(
      all.findings.map((f: any) => [f.file, f.thirdParty]),
      [
        ['app/Dockerfile', true],
        ['app/Dockerfile', false],
      ],
    );
  });

  it('exit 0 with only first-party references; --exit-zero; ignore comments and --ignore / --first-party', async () => {
    write(tmp, { Dockerfile: 'FROM gcr.io/distroless/static:nonroot\nFROM europe-docker.pkg.dev/p/r/x:1\n' });
    assert.equal((await scan([], tmp)).code, 0);
    write(tmp, {
      'ci/Dockerfile': 'FROM harbor.corp.example/base/java:21\n# ar-migrate: ignore\nFROM busybox:1\nFROM alpine:3 # ar-migrate: ignore\nFROM redis:7\n',
    });
    const r = await scan(['--json'], tmp);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).findings.map((f: any) => f.text), ['harbor.corp.example/base/java:21', 'redis:7']);
    const r2 = await scan(['--json', '--first-party', '*.corp.example', '--ignore', 'docker.io/library/redis'], tmp);
    assert.equal(r2.code, 0);
    assert.deepEqual(JSON.parse(r2.stdout).findings, []);
    assert.equal((await scan(['--exit-zero'], tmp)).code, 0);
  });

  it('reads .ar-migrate.json (firstPartyRegistries, ignoredImages, exclude); bad config is a usage error naming the file', async () => {
    write(tmp, {
      'a/Dockerfile': 'FROM harbor.corp.example/x:1\nFROM nginx:1\nFROM redis:7\n',
      'fixtures/Dockerfile': 'FROM ubuntu:24.04\n',
      '.ar-migrate.json': JSON.stringify({ firstPartyRegistries: ['harbor.corp.example'], ignoredImages: ['redis'], exclude: ['fixtures/**'] }),
    });
    const r = await scan(['--json'], tmp);
    assert.deepEqual(JSON.parse(r.stdout).findings.map((f: any) => f.text), ['nginx:1']);
    fs.writeFileSync(path.join(tmp, 'other.json'), JSON.stringify({ ignoredImages: ['nginx', 'redis'] }));
    const other = await scan(['--json', '--config', 'other.json', 'a'], tmp);
    assert.deepEqual(JSON.parse(other.stdout).findings.map((f: any) => f.text), ['harbor.corp.example/x:1']);
    const missing = await scan(['--config', 'nope.json'], tmp);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json not found/);
    fs.writeFileSync(path.join(tmp, '.ar-migrate.json'), '{"firstPartyRegistries": "x"');
    const bad = await scan([], tmp);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\.ar-migrate\.json/);
  });

  it('skips .git, node_modules, vendor, dist; survives symlink loops; reports files over the size limit; scans explicit files', async () => {
    write(tmp, {
      'src/Dockerfile': 'FROM nginx:1\n',
      '.git/Dockerfile': 'FROM a1:1\n',
      'node_modules/x/Dockerfile': 'FROM a2:1\n',
      'vendor/y/compose.yaml': 'services: {a: {image: a3:1}}\n',
      'dist/Dockerfile': 'FROM a4:1\n',
      'big/values.yaml': 'image: nginx:1\n' + '# pad\n'.repeat(2000),
      'notes.txt': 'FROM a5:1\n',
      'Containerfile.dev': 'FROM fedora:40\n',
    });
    fs.symlinkSync(tmp, path.join(tmp, 'src', 'loop'));
    fs.symlinkSync(path.join(tmp, 'src'), path.join(tmp, 'src-link'));
    const r = await scan(['--json', '--max-file-size', '5000'], tmp);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.findings.map((f: any) => `${f.file}:${f.text}`), ['Containerfile.dev:fedora:40', 'src/Dockerfile:nginx:1']);
    assert.equal(out.errors.length, 1);
    assert.equal(out.errors[0].file, 'big/values.yaml');
    assert.match(out.errors[0].message, /larger than/);
    // A file given by name is always read (its kind sniffed from the content), even in a skipped directory.
    const explicit = JSON.parse((await scan(['--json', 'notes.txt', 'node_modules/x/Dockerfile'], tmp)).stdout);
    assert.deepEqual(explicit.findings.map((f: any) => f.text), ['a5:1', 'a2:1']);
    fs.writeFileSync(path.join(tmp, 'readme.md'), '# hello\n');
    const md = JSON.parse((await scan(['--json', 'readme.md'], tmp)).stdout);
    assert.deepEqual(md.errors, [{ file: 'readme.md', line: 0, message: 'skipped: neither a Dockerfile nor YAML (by name or content)' }]);
    const all = JSON.parse((await scan(['--json', '--no-default-excludes'], tmp)).stdout);
    assert.ok(all.findings.some((f: any) => f.text === 'a2:1'));
  });

  it('reports invalid references and YAML errors in "errors" with file and line', async () => {
    write(tmp, {
      'k.yaml': 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: Nginx:Latest\n',
      'broken.yaml': 'apiVersion: v1\nkind: Pod\nspec: [\n',
    });
    const out = JSON.parse((await scan(['--json'], tmp)).stdout);
    assert.deepEqual(out.findings, []);
    const inv = out.errors.find((e: any) => e.file === 'k.yaml');
    assert.equal(inv.line, 5);
    assert.match(inv.message, /Nginx:Latest/);
    const y = out.errors.find((e: any) => e.file === 'broken.yaml');
    assert.ok(y, JSON.stringify(out.errors));
    assert.equal(typeof y.line, 'number');
  });

  it('--sarif: SARIF 2.1.0 with rules and regions', async () => {
    write(tmp, { Dockerfile: 'FROM nginx:1.27\nFROM Bad:Ref\n' });
    const r = await scan(['--sarif'], tmp);
    assert.equal(r.code, 1);
    const s = JSON.parse(r.stdout);
    assert.equal(s.version, '2.1.0');
    const run = s.runs[0];
    assert.equal(run.tool.driver.name, 'ar-migrate');
    const ids = run.tool.driver.rules.map((x: any) => x.id);
    assert.ok(ids.includes('third-party-image') && ids.includes('invalid-image-reference'));
    const third = run.results.find((x: any) => x.ruleId === 'third-party-image');
    assert.equal(run.tool.driver.rules[third.ruleIndex].id, 'third-party-image');
    assert.equal(third.level, 'warning');
    assert.match(third.message.text, /docker\.io\/library\/nginx:1\.27/);
    assert.deepEqual(third.locations[0].physicalLocation.artifactLocation.uri, 'Dockerfile');
    const reg = third.locations[0].physicalLocation.region;
    assert.deepEqual([reg.startLine, reg.startColumn, reg.endLine, reg.endColumn], [1, 6, 1, 16]);
    assert.ok(run.results.some((x: any) => x.ruleId === 'invalid-image-reference' && x.locations[0].physicalLocation.region.startLine === 2));
  });

  it('table output: location, image, registry, kind, a summary and next steps', async () => {
    write(tmp, { 'svc/Dockerfile': 'FROM python:3.12-slim\nFROM gcr.io/distroless/python3\n' });
    const r = await scan([], tmp);
    assert.equal(r.code, 1);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^LOCATION\s+IMAGE\s+REGISTRY\s+KIND$/);
    assert.match(lines[1], /^svc\/Dockerfile:1:6\s+python:3\.12-slim\s+docker\.io\s+dockerfile-from$/);
    assert.match(r.stdout, /Found 1 third-party image reference \(1 distinct image\) in 1 of 1 file scanned/);
    assert.match(r.stdout, /1 first-party not shown \(--all\)/);
    assert.match(r.stdout, /ar-migrate migrate --target/);
    const empty = await scan([], fs.mkdtempSync(path.join(tmp, 'e-')));
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /No Dockerfile, Containerfile or YAML file found/);
  });

  it('usage errors exit 2', async () => {
    for (const args of [['--json', '--sarif'], ['--bogus'], ['no/such/dir'], ['--max-file-size', 'x']]) {
      const r = await scan(args, tmp);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^ar-migrate scan: /);
    }
    const h = await scan(['--help'], tmp);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--sarif/);
  });

  it('matches every labelled reference of the shared corpus', async () => {
    assert.ok(fs.existsSync(CORPUS), `corpus not found at ${CORPUS}`);
    const r = await scan(['--json', '--all', 'files'], CORPUS);
    const out = JSON.parse(r.stdout);
    const labels = fs
      .readFileSync(path.join(CORPUS, 'labels.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const key = (f: any) => `${f.file}:${f.line}:${f.text}`;
    const got = new Map<string, any>(out.findings.map((f: any) => [key({ ...f, file: f.file.replace(/^files\//, '') }), f]));
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const l of labels) {
      const g = got.get(key(l));
      if (!g) missing.push(key(l));
      else for (const k of ['resolved', 'normalized', 'thirdParty', 'pulled', 'kind']) if (g[k] !== l[k]) wrong.push(`${key(l)} ${k}: ${g[k]} != ${l[k]}`);
    }
    assert.deepEqual({ missing, wrong }, { missing: [], wrong: [] });
    assert.equal(out.findings.length, labels.length);
  });

  it('npm start: bin/ar-migrate.js scan --exit-zero examples prints a table and a summary', function () {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
    const r = spawnSync(process.execPath, ['bin/ar-migrate.js', 'scan', '--exit-zero', 'examples'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^LOCATION/);
    assert.match(r.stdout, /Found \d+ third-party image references/);
    const j = spawnSync(process.execPath, ['bin/ar-migrate.js', 'scan', '--json', 'examples'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(j.status, 1);
    const kinds = new Set(JSON.parse(j.stdout).findings.map((f: any) => f.kind));
    for (const k of ['dockerfile-from', 'dockerfile-arg', 'dockerfile-copy-from', 'k8s', 'compose', 'cloudbuild', 'github-actions', 'kustomize', 'helm-values']) {
      assert.ok(kinds.has(k), `examples lack ${k}`);
    }
  });
});
