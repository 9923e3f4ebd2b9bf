/**
 * Robustness of the language server over stdio: pathological documents,
 * out-of-range edits and positions, garbage settings, hostile workspaces.
 * The server must answer every request and stay alive.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as cli } from '../../harness/cli';
import { buildServer, LspClient, uri } from '../../harness/lspClient';

describe('language server robustness (LSP over stdio)', function () {
  this.timeout(120000);
  let tmp: string;
  let serverPath: string;
  let ws: string;
  const clients: LspClient[] = [];
  const start = async (opts: ConstructorParameters<typeof LspClient>[0] = {}) => {
    const c = new LspClient({ serverPath, rootPath: ws, ...opts });
    clients.push(c);
    await c.initialize();
    return c;
  };
  /** A request answered within `ms`, else a failure naming it. */
  const answered = async <R>(p: Promise<R>, what: string, ms = 20000): Promise<R> => {
    let t: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} not answered in ${ms} ms`)), ms)))]);
    } finally {
      clearTimeout(t);
    }
  };
  const hoverAt = (c: LspClient, u: string, line: number, character: number) =>
    answered(c.request('textDocument/hover', { textDocument: { uri: u }, position: { line, character } }), `hover ${line}:${character}`);

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-lsp-rb-'));
    serverPath = await buildServer(path.join(tmp, 'dist'));
    ws = path.join(tmp, 'ws');
    fs.mkdirSync(ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'Dockerfile'), 'FROM nginx:1.27\n');
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const pathological: [string, string, string][] = [
    ['deep-flow.yaml', 'a: ' + '['.repeat(20000) + '\n', 'yaml'],
    ['deep-indent.yaml', 'a:\n' + ' '.repeat(50000) + 'b: nginx\nimage: nginx:1\n', 'yaml'],
    ['alias-bomb.yaml', ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', 'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]', 'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]', 'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]', 'image: nginx:1', ''].join('\n'), 'yaml'],
    ['binary.yaml', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1'), 'yaml'],
    ['dashes.yaml', '---\n'.repeat(20000), 'yaml'],
    ['mixed.yaml', '\ufeffapiVersion: v1\r\nkind: Pod\nspec:\r\n  containers:\n    - image: nginx:1.27\r\n', 'yaml'],
    ['big.yaml', 'items:\n' + '  - name: x\n    image: busybox:1.36\n'.repeat(150000), 'yaml'],
    ['Dockerfile', 'FROM nginx:1.27\nRUN echo ' + 'x'.repeat(200 * 1024) + '\nFROM redis:7\n', 'dockerfile'],
  ];
  for (const [name, text, lang] of pathological) {
    it(`survives ${name} (${text.length} chars): diagnostics published, hover answered`, async () => {
      const c = await start();
      const u = uri(path.join(ws, 'p', name));
      await c.open(u, text, lang);
      await c.waitForDiagnostics(u, () => true, 60000);
      await hoverAt(c, u, 0, 0);
      await hoverAt(c, u, 1, 5);
      assert.ok(c.alive, c.stderr);
    });
  }

  // Regression: random bytes opened as values.yaml got bogus YAML syntax errors (or nothing), and a
  // Dockerfile with NUL bytes was analysed although `ar-migrate scan` skips it as binary.
  it('a binary file (NUL bytes near the start) gets one Information diagnostic saying so, like the CLI skips it', async () => {
    const c = await start();
    // deterministic "random" bytes with NULs, decoded as an editor that opens it anyway would
    let x = 12345;
    const bytes = Buffer.from(Array.from({ length: 6000 }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) >> 16) & 0xff));
    const binaryText = new TextDecoder().decode(bytes);
    const nulLate = 'FROM nginx:1.27\n' + '#'.repeat(9000) + '\0\n';
    const cases: [string, string, string, boolean][] = [
      ['bin/values.yaml', binaryText, 'yaml', true],
      ['bin/latin1.yaml', bytes.toString('latin1'), 'yaml', true],
      ['bin/Dockerfile', 'FROM nginx:1.27\n\0\0\0garbage\n', 'dockerfile', true],
      ['late/Dockerfile', nulLate, 'dockerfile', false],
    ];
    for (const [name, text, lang, binary] of cases) {
      const file = path.join(ws, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, name.includes('latin1') ? bytes : text);
      const u = uri(file);
      await c.open(u, text, lang);
      const d = await c.waitForDiagnostics(u, () => true, 60000);
      if (binary) {
        assert.equal(d.length, 1, `${name}: ${JSON.stringify(d)}`);
        assert.equal(d[0].severity, 3); // Information
        assert.equal(d[0].code, 'binary-file');
        assert.match(d[0].message, /looks binary/);
        assert.equal(await hoverAt(c, u, 0, 3), null);
      } else {
        assert.ok(d.some((x) => x.code === 'third-party-image'), `${name}: ${JSON.stringify(d)}`);
        assert.ok(!d.some((x) => x.code === 'binary-file'));
      }
      // the CLI decides the same for the file on disk
      const r = await cli(['scan', '--json', file], ws);
      const j = JSON.parse(r.stdout);
      const skipped = (j.errors ?? []).some((e: { message: string }) => /binary/.test(e.message));
      assert.equal(skipped, binary, `${name}: CLI ${r.stdout}`);
    }
    // replaced by text: analysed normally again, the binary note goes away
    const u = uri(path.join(ws, 'bin/values.yaml'));
    await c.change(u, 2, [{ text: 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: nginx:1.27\n' }]);
    const d = await c.waitForDiagnostics(u, (d) => d.some((x) => x.code === 'third-party-image'), 60000);
    assert.ok(!d.some((x) => x.code === 'binary-file'), JSON.stringify(d));
    await c.change(u, 3, [{ text: binaryText }]);
    const again = await c.waitForDiagnostics(u, (d) => d.length === 1 && d[0].code === 'binary-file', 60000);
    assert.equal(again[0].severity, 3);
    assert.ok(c.alive, c.stderr);
  });

  it('handles a burst of 100 incremental edits that break and fix syntax', async () => {
    const c = await start();
    const u = uri(path.join(ws, 'burst.yaml'));
    let text = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: nginx:1.27\n';
    await c.open(u, text);
    for (let v = 2; v <= 101; v++) {
      const broken = v % 2 === 0;
      // Toggle a `[` at the start of line 3.
      const change = broken
        ? { range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '[' }
        : { range: { start: { line: 3, character: 0 }, end: { line: 3, character: 1 } }, text: '' };
      text = broken ? text.replace('\n  containers', '\n[  containers') : text.replace('\n[  containers', '\n  containers');
      void c.change(u, v, [change]);
    }
    const d = await c.waitForDiagnostics(u, (d) => d.some((x) => x.code === 'third-party-image'), 30000);
    assert.equal(d.filter((x) => x.code === 'yaml-parse-error').length, 0);
    assert.ok(!text.includes('['));
    // Break it once more: the syntax error names the line.
    await c.change(u, 102, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '[' }]);
    const e = await c.waitForDiagnostics(u, (d) => d.some((x) => x.code === 'yaml-parse-error'), 30000);
    assert.ok(e.every((x) => x.range.start.line < 6), JSON.stringify(e));
  });

  it('clamps edits past the end of the document and answers hover/codeAction outside it', async () => {
    const c = await start();
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, 'FROM nginx:1.27\n', 'dockerfile');
    await c.waitForDiagnostics(u);
    await c.change(u, 2, [{ range: { start: { line: 50, character: 3 }, end: { line: 99, character: 9 } }, text: 'FROM redis:7\n' }]);
    await c.change(u, 3, [{ range: { start: { line: 0, character: 9999 }, end: { line: 0, character: 99999 } }, text: '' }]);
    await c.waitForDiagnostics(u, (d) => d.filter((x) => x.code === 'third-party-image').length === 2);
    assert.equal(await hoverAt(c, u, 1000, 1000), null);
    assert.equal(await hoverAt(c, u, -1, -5), null);
    const actions = await answered(
      c.request('textDocument/codeAction', { textDocument: { uri: u }, range: { start: { line: 500, character: 0 }, end: { line: 900, character: 4 } }, context: { diagnostics: [] } }),
      'codeAction',
    );
    assert.deepEqual(actions, []);
    await c.close(u);
    assert.equal(await hoverAt(c, u, 0, 6), null);
    assert.ok(c.alive, c.stderr);
  });

  it('accepts garbage settings without dying and keeps publishing', async () => {
    const c = await start({ configuration: false });
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, 'FROM nginx:1.27\n', 'dockerfile');
    await c.waitForDiagnostics(u);
    const garbage: unknown[] = [
      null,
      42,
      'x',
      { arMigrate: null },
      { arMigrate: 7 },
      { arMigrate: { target: 5, firstPartyRegistries: 'x', ignoredImages: [null, 3, {}], severity: 9, exclude: { a: 1 } } },
      { arMigrate: { target: null, severity: { 'third-party-image': 42 }, firstPartyRegistries: Array.from({ length: 200000 }, (_, i) => `r${i}.example`) } },
      { arMigrate: { ignoredImages: Array.from({ length: 50000 }, (_, i) => `img${i}/*`), target: ['a'] } },
    ];
    for (const settings of garbage) await c.connection.sendNotification('workspace/didChangeConfiguration', { settings });
    await c.change(u, 2, [{ text: 'FROM redis:7\n' }]);
    await c.waitForDiagnostics(u, (d) => d.some((x) => /redis/.test(x.message)), 60000);
    await hoverAt(c, u, 0, 6);
    assert.ok(c.alive, c.stderr);
  });

  it('never shows or logs credentials written into a bad target setting', async () => {
    const c = await start({ configuration: false });
    const u = uri(path.join(ws, 'Dockerfile'));
    await c.open(u, 'FROM nginx:1.27\n', 'dockerfile');
    await c.waitForDiagnostics(u);
    await c.connection.sendNotification('workspace/didChangeConfiguration', {
      settings: { arMigrate: { target: 'https://bob:s3cr3tT0ken@us-docker.pkg.dev/p/r' } },
    });
    await c.change(u, 2, [{ text: 'FROM redis:7\n' }]);
    await c.waitForDiagnostics(u, (d) => d.some((x) => /redis/.test(x.message)));
    const deadline = Date.now() + 20000;
    while (!c.messages.some((m) => /target/.test(m.message)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(c.messages.some((m) => /invalid Artifact Registry target/.test(m.message)), JSON.stringify(c.messages));
    const seen = JSON.stringify([c.messages, c.logs, c.stderr]);
    assert.ok(!seen.includes('s3cr3tT0ken'), seen);
  });

  it('arMigrate/scanWorkspace skips folder entries that are not paths and still scans the rest', async () => {
    const c = await start();
    const r = await answered(c.request<any>('arMigrate/scanWorkspace', { folders: [null, 3, uri(ws)] }), 'scanWorkspace');
    assert.ok(r.findings.some((f: any) => f.file === 'Dockerfile' && /nginx/.test(f.normalized)), JSON.stringify(r).slice(0, 2000));
    assert.equal(r.errors.filter((e: any) => /not a folder path/.test(e.message)).length, 2, JSON.stringify(r.errors));
    assert.ok(!c.logs.some((l) => /scanWorkspace failed/.test(l)), c.logs.join('\n'));
  });

  it('works without workspace folders', async () => {
    const c = new LspClient({ serverPath });
    clients.push(c);
    await c.initialize();
    const u = 'untitled:Untitled-1';
    await c.open(u, 'FROM nginx:1.27\n', 'dockerfile');
    const d = await c.waitForDiagnostics(u);
    assert.ok(d.some((x) => x.code === 'third-party-image'));
    const r = await answered(c.request('arMigrate/scanWorkspace', {}), 'scanWorkspace');
    assert.ok(r);
  });

  it('scans a workspace with a symlink loop and an unreadable directory', async function () {
    const w = path.join(tmp, 'loopws');
    fs.mkdirSync(path.join(w, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(w, 'a/b/Dockerfile'), 'FROM nginx:1.27\n');
    fs.symlinkSync(path.join(w, 'a'), path.join(w, 'a/b/loop'));
    fs.symlinkSync(w, path.join(w, 'root'));
    fs.mkdirSync(path.join(w, 'secret'));
    fs.writeFileSync(path.join(w, 'secret/Dockerfile'), 'FROM redis:7\n');
    fs.chmodSync(path.join(w, 'secret'), 0o000);
    try {
      const c = await start({ rootPath: w });
      const r = await answered(c.request<any>('arMigrate/scanWorkspace', {}), 'scanWorkspace', 60000);
      assert.ok(r.findings.some((f: any) => /nginx/.test(JSON.stringify(f))), JSON.stringify(r).slice(0, 2000));
      assert.ok(c.alive, c.stderr);
    } finally {
      fs.chmodSync(path.join(w, 'secret'), 0o755);
    }
  });
});
