/**
 * The fast Dockerfile reader (extract/dockerfile.ts `fastInstructions`) must
 * give exactly what dockerfile-ast gives for every file it accepts, and the
 * extraction result must be identical either way, on the corpus and on
 * generated Dockerfiles mixing the awkward parts of the syntax (continuations,
 * comments inside them, flags, quotes, tabs, directives, heredocs, CRLF, BOM).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { astInstructions, DockerInstruction, extractDockerfile, fastInstructions } from '../../../server/src/extract/dockerfile';
import { isDockerfileName } from '../../../server/src/extract';

function corpusDir(): string {
  if (process.env.AR_MIGRATE_CORPUS) return path.resolve(process.env.AR_MIGRATE_CORPUS);
  return path.resolve(__dirname, '../../../../shared/corpus');
}

/** What the extractor reads of each instruction, in the shape both readers share. */
function view(list: DockerInstruction[]): unknown[] {
  const out: unknown[] = [];
  let sawFrom = false;
  for (const ins of list) {
    const k = ins.keyword;
    if (k === 'FROM' || (k === 'ARG' && !sawFrom)) {
      if (k === 'FROM') sawFrom = true;
      out.push({ k, range: ins.range(), args: ins.args() });
    } else if (k === 'COPY' || k === 'ADD' || k === 'RUN') {
      out.push({ k, flags: ins.flags().map((f) => ({ name: f.name, value: f.value, valueRange: f.valueRange })) });
    }
  }
  return out;
}

function lines(src: string): string[] {
  return src.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Asserts agreement; returns whether the fast reader took the file. */
function agree(text: string, label: string): boolean {
  const fast = extractDockerfile(text);
  const slow = extractDockerfile(text, { parser: 'dockerfile-ast' });
  assert.deepStrictEqual(fast, slow, `extraction differs on ${label}:\n${text}`);
  const src = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text;
  const f = fastInstructions(src, lines(src));
  if (!f) return false;
  assert.deepStrictEqual(view(f), view(astInstructions(src)), `instructions differ on ${label}:\n${text}`);
  return true;
}

/** Small seeded PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)], chance: (p: number) => next() < p };
}

const IMAGES = ['alpine', 'alpine:3.19', 'nginx:1.27-alpine', 'quay.io/org/app:1.0', 'ghcr.io/o/r@sha256:' + 'a'.repeat(64), 'localhost:5000/x', 'us-docker.pkg.dev/p/r/i:1', '"quoted:1"', "'single:2'", 'Bad/UPPER', 'scratch', 'build', 'Build', '0', 'a--b'];
const VARS = ['$BASE', '${BASE}', '${BASE:-alpine}', '$REG/app:$V', '${REG}/x:${V}', '$UNSET', 'node:$V-alpine', '\\$NOTVAR'];

const AWKWARD = [3, 5, 8, 9, 10, 12, 14];

function fragment(r: ReturnType<typeof rng>, plain: boolean): string[] {
  const img = () => (r.chance(0.3) ? r.pick(VARS) : r.pick(IMAGES));
  const sp = () => r.pick([' ', ' ', '  ', '\t']);
  const kw = (k: string) => (r.chance(0.15) ? k.toLowerCase() : k);
  let k = Math.floor(r.next() * 16);
  while (plain && AWKWARD.includes(k)) k = Math.floor(r.next() * 16);
  switch (k) {
    case 0:
      return [`${kw('ARG')}${sp()}${r.pick(['BASE', 'REG', 'V', 'X'])}${r.pick(['', '=' + img(), '=' + r.pick(['quay.io', '1.2', '"3.4"', "'q'"]), '=', ' A=1 B=2'])}`];
    case 1:
    case 2:
      return [`${kw('FROM')}${sp()}${r.chance(0.3) ? r.pick(['--platform=$BUILDPLATFORM ', '--platform=linux/amd64 ', '--platform ', '--x=a--b ']) : ''}${img()}${r.chance(0.5) ? `${sp()}${r.pick(['AS', 'as', 'As'])}${sp()}${r.pick(['build', 'Build', 'base', 'stage1'])}` : ''}${r.pick(['', '', ' ', '\t'])}`];
    case 3:
      return [`${kw('FROM')} \\`, `${r.pick(['', '  ', '# c', ''])}`, `  ${img()} AS x`];
    case 4:
      return [`${kw(r.pick(['COPY', 'ADD']))}${sp()}${r.pick(['', '--chown=1:1 ', '--link '])}${r.pick(['--from=', '--FROM=', '--from '])}${img()} /a /b`];
    case 5:
      return [`COPY --link \\`, `${r.pick(['    ', '# comment', ''])}`, `    --from=${img()} /a /b`];
    case 6:
      return [`COPY a--b --from=${img()} c d`];
    case 7:
      return [`${kw('RUN')} set -eux; \\`, '    apt-get update && apt-get install -y --no-install-recommends ca-certificates; \\', r.pick(['# inside', '', '  # x \\', '    true; \\']), '    rm -rf /var/lib/apt/lists/*'];
    case 8:
      return [`RUN --mount=type=cache,target=/root/.cache${r.chance(0.5) ? `,from=${img()}` : ''} make`];
    case 9:
      return [`RUN ${r.pick(['\\', 'echo "a \\ b"', 'echo --x', '#notcomment', 'a\\b', 'echo hi \\\\'])}`, '  echo next'];
    case 10:
      return [`ONBUILD COPY --from=${img()} /a /b`];
    case 11:
      return [r.pick(['# FROM alpine:3.12 was the old base', '  # comment', '', '   ', '\t'])];
    case 12:
      return [`RUN <<EOF`, `FROM ${img()}`, `EOF`];
    case 13:
      return [`${r.pick(['WORKDIR /app', 'ENV A=1', 'CMD ["x"]', 'ENTRYPOINT ["/app/server"]', 'EXPOSE 80', 'LABEL a="b c"', 'USER 1000'])}`];
    case 14:
      return [`COPY ${r.pick(['--from=build', '--chown=1:1'])} \\`, `  --from=${img()} /a /b`];
    default:
      return [`${kw('FROM')} ${img()}`, `COPY --from=${img()} /x /y`];
  }
}

function generate(seed: number): string {
  const r = rng(seed);
  const out: string[] = [];
  const plain = r.chance(0.5);
  if (!plain && r.chance(0.1)) out.push(r.pick(['# syntax=docker/dockerfile:1', '# escape=`', '#escape=\\', '# just a comment']));
  const n = 2 + Math.floor(r.next() * 12);
  for (let i = 0; i < n; i++) out.push(...fragment(r, plain));
  let text = out.join('\n') + (r.chance(0.8) ? '\n' : '');
  if (!plain && r.chance(0.1)) text = text.replace(/\n/g, '\r\n');
  if (r.chance(0.05)) text = '\uFEFF' + text;
  return text;
}

describe('fast Dockerfile reader agrees with dockerfile-ast', function () {
  this.timeout(120000);

  it('on hand-written edge cases', function () {
    const cases = [
      'FROM alpine',
      'FROM alpine\n',
      'from alpine as build\nFROM build\n',
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n',
      'ARG BASE=alpine:3.19\nFROM $BASE\n',
      'ARG BASE="alpine:3.19"\nFROM ${BASE}\nARG LATE=x\n',
      'FROM a--b AS c\n',
      'FROM\n',
      'FROM   \n',
      'COPY --from=busybox:1.36 /a /b\n',
      'COPY --from= /a /b\nCOPY --from /a /b\n',
      'COPY --chown=1:1 --from=quay.io/x/y:1 /a /b\n',
      'RUN set -eux; \\\n  apt-get update; \\\n# comment\n\n  rm -rf /x\nFROM nginx\n',
      'RUN a \\\n  b\nCOPY --from=alpine / /\n',
      'FROM alpine\nRUN echo \\\n',
      'FROM alpine\nRUN echo \\',
      '  FROM\talpine\t AS\tx  \n',
      'FROM alpine\n\n\n# c\nCOPY --from=nginx:1 /a /b',
    ];
    let taken = 0;
    for (const c of cases) if (agree(c, JSON.stringify(c))) taken++;
    assert.ok(taken >= cases.length - 2, `fast reader took only ${taken} of ${cases.length} plain cases`);
    // What it must leave to dockerfile-ast.
    for (const c of ['# escape=`\nFROM alpine', 'FROM alpine\r\n', 'RUN <<EOF\nFROM x\nEOF\n', 'FROM \\\n alpine\n', 'ONBUILD COPY --from=x / /\n', 'RUN --mount=from=x,target=/y true\n', 'RUN \\ \n echo\n']) {
      agree(c, JSON.stringify(c));
      const src = c.charCodeAt(0) === 0xfeff ? ' ' + c.slice(1) : c;
      assert.strictEqual(fastInstructions(src, lines(src)), undefined, `fast reader should decline ${JSON.stringify(c)}`);
    }
  });

  it('on every Dockerfile of the corpus', function () {
    const dir = corpusDir();
    const list = fs.readFileSync(path.join(dir, 'files.txt'), 'utf8').split('\n').filter(Boolean);
    let n = 0;
    let taken = 0;
    for (const rel of list) {
      if (!isDockerfileName(rel)) continue;
      const text = fs.readFileSync(path.join(dir, 'files', rel), 'utf8');
      if (agree(text, rel)) taken++;
      n++;
    }
    assert.ok(n >= 10, `only ${n} corpus Dockerfiles`);
    assert.ok(taken > 0, 'the fast reader took no corpus Dockerfile');
  });

  it('on 1,500 generated Dockerfiles', function () {
    let taken = 0;
    const N = 1500;
    for (let seed = 1; seed <= N; seed++) if (agree(generate(seed), `generated #${seed}`)) taken++;
    // The check above only means something if the fast reader takes a fair share.
    assert.ok(taken > N / 10, `fast reader took only ${taken} of ${N}`);
  });
});
