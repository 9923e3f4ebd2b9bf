import * as assert from 'assert';
import { DocumentExtractor, detectFileKind, extractReferences, splitYamlDocuments } from '../../../server/src/extract';
import { extract, refs, short } from './helpers';

const pod = (image: string, name = 'p') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;

describe('extract: YAML syntax', function () {
  it('multi-document files, with --- and ... markers', function () {
    const text = pod('nginx:1') + '---\n' + pod('redis:7') + '...\n---\n# only a comment\n---\n' + pod('busybox');
    assert.deepStrictEqual(short('m.yaml', text), [
      '7:11 nginx:1 -> docker.io/library/nginx:1 (k8s)',
      '16:11 redis:7 -> docker.io/library/redis:7 (k8s)',
      '28:11 busybox -> docker.io/library/busybox:latest (k8s)',
    ]);
  });

  it('a broken document in the middle: the others still yield references, an error names its line', function () {
    const text = pod('nginx:1') + '---\napiVersion: v1\nkind: Pod\nspec: [unclosed\n  containers: {\n---\n' + pod('redis:7');
    const res = extract('m.yaml', text);
    assert.deepStrictEqual(
      res.references.map((r) => r.text),
      ['nginx:1', 'redis:7'],
    );
    assert.strictEqual(res.errors.length, 1);
    assert.ok(res.errors[0].line >= 9 && res.errors[0].line <= 13, JSON.stringify(res.errors));
    assert.match(res.errors[0].message, /invalid YAML/);
  });

  it('quoted scalars: range excludes quotes; escapes resolved', function () {
    const text = pod('"nginx:1.27"') + '---\n' + pod("'redis:7'") + '---\n' + pod('"busybox\\x3a1.36"');
    const r = refs('q.yaml', text);
    assert.deepStrictEqual(
      r.map((x) => [x.line, x.col, x.text, x.resolved]),
      [
        [7, 12, 'nginx:1.27', 'nginx:1.27'],
        [16, 12, 'redis:7', 'redis:7'],
        [25, 12, 'busybox\\x3a1.36', 'busybox:1.36'],
      ],
    );
  });

  it('comments after values, value on the next line, flow style', function () {
    const text = 'apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: "nginx:1"}, {name: b, image: alpine # c\n  }]}\n';
    assert.deepStrictEqual(short('f.yaml', text), ['2:38 nginx:1 -> docker.io/library/nginx:1 (k8s)', '2:66 alpine -> docker.io/library/alpine:latest (k8s)']);
    const text2 = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image:\n      nginx:1.27   # pinned\n';
    assert.deepStrictEqual(short('n.yaml', text2), ['6:6 nginx:1.27 -> docker.io/library/nginx:1.27 (k8s)']);
  });

  it('plain multi-line scalars: range covers the text as written', function () {
    const text = 'services:\n  a:\n    image: nginx\n      :1.27\n';
    const res = extract('compose.yaml', text);
    assert.strictEqual(res.references.length, 1);
    assert.strictEqual(res.references[0].resolved, 'nginx :1.27');
    assert.ok(res.references[0].error, 'folded to a value with a space: invalid');
  });

  it('CRLF line ends and a BOM', function () {
    const text = '\uFEFF' + pod('nginx:1').replace(/\n/g, '\r\n') + '---\r\n' + pod("'redis:7'").replace(/\n/g, '\r\n');
    assert.deepStrictEqual(short('crlf.yaml', text), ['7:11 nginx:1 -> docker.io/library/nginx:1 (k8s)', '16:12 redis:7 -> docker.io/library/redis:7 (k8s)']);
  });

  it('UTF-16 columns: astral and accented characters before the reference', function () {
    const text = 'services:\n  a:\n    {labels: {x: "😀é"}, image: nginx:1}\n';
    assert.deepStrictEqual(short('compose.yaml', text), ['2:32 nginx:1 -> docker.io/library/nginx:1 (compose)']);
  });

  it('tabs inside values and after colons', function () {
    const text = 'services:\n  a:\n    image:\tnginx:1\t# tabbed\n';
    assert.deepStrictEqual(short('compose.yaml', text), ['2:11 nginx:1 -> docker.io/library/nginx:1 (compose)']);
  });

  it('YAML anchors in Kubernetes: reported once, at the anchor', function () {
    const text = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: &img nginx:1\n  initContainers:\n  - name: b\n    image: *img\n';
    assert.deepStrictEqual(short('a.yaml', text), ['5:16 nginx:1 -> docker.io/library/nginx:1 (k8s)']);
  });

  it('tags and anchors before a value are not part of the range', function () {
    const text = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: !!str nginx:1\n  - image: &a !!str "redis:7"\n  - image: !custom busybox\n';
    assert.deepStrictEqual(short('p.yaml', text), [
      '4:17 nginx:1 -> docker.io/library/nginx:1 (k8s)',
      '5:21 redis:7 -> docker.io/library/redis:7 (k8s)',
      '6:19 busybox -> docker.io/library/busybox:latest (k8s)',
    ]);
  });

  it('files that are not YAML at all never throw', function () {
    for (const t of ['{', ']]]', ':::', '- - - -', '\t\tkey: [', '"unterminated', '*alias', '&a [*a]', 'a: !!binary xx', '%YAML 9.9\n---\n']) {
      const res = extractReferences('x.yaml', t);
      assert.strictEqual(res.fileKind, 'yaml');
      assert.deepStrictEqual(res.references, []);
    }
  });
});

describe('extract: splitting into documents', function () {
  it('splits at --- and ..., keeping line numbers', function () {
    const parts = splitYamlDocuments('a: 1\n---\nb: 2\n...\nc: 3\n--- # x\nd: 4');
    assert.deepStrictEqual(
      parts.map((p) => [p.startLine, p.text]),
      [
        [0, 'a: 1\n'],
        [1, '---\nb: 2\n...\n'],
        [4, 'c: 3\n'],
        [5, '--- # x\nd: 4'],
      ],
    );
  });

  it('does not split at ---- or indented ---', function () {
    assert.strictEqual(splitYamlDocuments('a: |\n  ---\n----: x\n').length, 1);
  });
});

describe('extract: detectFileKind', function () {
  it('by name', function () {
    for (const n of ['Dockerfile', 'dockerfile', 'Dockerfile.prod', 'api.Dockerfile', 'x.dockerfile', 'Containerfile', 'Containerfile.dev', 'src/app/Dockerfile', 'C:\\x\\Dockerfile']) {
      assert.strictEqual(detectFileKind(n), 'dockerfile', n);
    }
    for (const n of ['a.yaml', 'b.YML', '.gitlab-ci.yml', 'compose.yaml']) assert.strictEqual(detectFileKind(n), 'yaml', n);
    for (const n of ['Dockerfile.dockerignore', 'README.md', 'main.go']) assert.strictEqual(detectFileKind(n), 'unknown', n);
  });

  it('by content for files without a telling name', function () {
    assert.strictEqual(detectFileKind('build/image', '# comment\nFROM alpine\nRUN true\n'), 'dockerfile');
    assert.strictEqual(detectFileKind('manifest', 'apiVersion: v1\nkind: Pod\n'), 'yaml');
    assert.strictEqual(detectFileKind('stack', '---\nservices:\n  a:\n    image: x\n'), 'yaml');
    assert.strictEqual(detectFileKind('notes.txt', 'hello world\n'), 'unknown');
    assert.strictEqual(detectFileKind('empty', ''), 'unknown');
    assert.strictEqual(detectFileKind('deploy.yaml.tmpl', 'apiVersion: v1\nkind: Pod\n'), 'yaml');
    assert.strictEqual(detectFileKind('Dockerfile.tpl', 'FROM alpine\n'), 'dockerfile');
    assert.strictEqual(detectFileKind('base.tmpl', 'ARG X=1\nFROM alpine\n'), 'dockerfile');
    // Front matter in Markdown, JSON, code: not ours.
    assert.strictEqual(detectFileKind('post.md', '---\ntitle: x\nimage: /a.png\n---\n# Hi\n'), 'unknown');
    assert.strictEqual(detectFileKind('notes', '---\ntitle: x\n---\n'), 'unknown');
    assert.strictEqual(detectFileKind('main.go', 'FROM alpine\n'), 'unknown');
    assert.strictEqual(detectFileKind('NOTICE', 'From the authors:\nfrom here on\n'), 'unknown');
  });

  it('unknown files yield nothing and no error', function () {
    assert.deepStrictEqual(extractReferences('main.go', 'package main // FROM alpine'), { fileKind: 'unknown', references: [], errors: [] });
  });
});

describe('extract: DocumentExtractor (incremental)', function () {
  it('re-parses only the documents whose text changed and shifts the others', function () {
    const docs = Array.from({ length: 50 }, (_, i) => pod(`nginx:1.${i}`, `p${i}`));
    const text = docs.join('---\n');
    const de = new DocumentExtractor();
    const first = de.update('big.yaml', text);
    assert.strictEqual(first.references.length, 50);
    assert.strictEqual(de.lastParsedDocuments, 50);

    // Edit document 10 (same line count): only it is parsed.
    const edited = text.replace('image: nginx:1.10\n', 'image: nginx:2.10\n');
    const second = de.update('big.yaml', edited);
    assert.strictEqual(de.lastParsedDocuments, 1);
    assert.deepStrictEqual(second.references.map((r) => r.text)[10], 'nginx:2.10');
    assert.deepStrictEqual(second, extractReferences('big.yaml', edited));

    // Insert two lines into document 0: documents after it move down, none re-parsed but the edited one.
    const inserted = edited.replace('metadata:\n  name: p0\n', 'metadata:\n  name: p0\n  labels:\n    a: b\n');
    const third = de.update('big.yaml', inserted);
    assert.strictEqual(de.lastParsedDocuments, 1);
    assert.deepStrictEqual(third, extractReferences('big.yaml', inserted));
    assert.strictEqual(third.references[1].range.start.line, second.references[1].range.start.line + 2);

    // No change at all: nothing parsed.
    de.update('big.yaml', inserted);
    assert.strictEqual(de.lastParsedDocuments, 0);
  });

  it('returned references are not shared with the cache', function () {
    const de = new DocumentExtractor();
    const a = de.update('a.yaml', pod('nginx:1'));
    a.references[0].pulled = false;
    a.references[0].range.start.line = 99;
    const b = de.update('a.yaml', pod('nginx:1'));
    assert.strictEqual(b.references[0].pulled, true);
    assert.strictEqual(b.references[0].range.start.line, 7);
  });

  it('switching file name or kind resets the cache', function () {
    const de = new DocumentExtractor();
    de.update('a.yaml', pod('nginx'));
    const d = de.update('Dockerfile', 'FROM alpine');
    assert.strictEqual(d.fileKind, 'dockerfile');
    const y = de.update('compose.yaml', 'services:\n  a:\n    image: x:1\n');
    assert.strictEqual(y.references[0].kind, 'compose');
  });

  it('extracts a 2,000-Deployment manifest and an edit re-parses one document', function () {
    this.timeout(60000);
    const docs = Array.from({ length: 2000 }, (_, i) =>
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        `  name: app-${i}`,
        '  labels:',
        `    app: app-${i}`,
        'spec:',
        '  replicas: 2',
        '  template:',
        '    spec:',
        '      containers:',
        '      - name: app',
        `        image: nginx:1.${i % 30}`,
        '        args: ["--port", "8080"]',
        '        env:',
        '        - name: MODE',
        '          value: "prod"',
        '        resources:',
        '          limits: {}',
        '      - name: sidecar',
        '        image: "envoyproxy/envoy:v1.30.1"',
        '        command:',
        '        - /bin/sh',
        '        - -c',
        '        - |',
        '          echo image: not-this',
        '',
      ].join('\n'),
    );
    const text = docs.join('---\n');
    const de = new DocumentExtractor();
    const res = de.update('big.yaml', text);
    assert.strictEqual(res.references.length, 4000);
    assert.strictEqual(res.errors.length, 0);
    const edited = text.replace('name: app-1000\n', 'name: app-1000-x\n');
    de.update('big.yaml', edited);
    assert.strictEqual(de.lastParsedDocuments, 1);
  });
});
