import * as assert from 'assert';
import { extract, refs, short } from './helpers';

const D = 'Dockerfile';

describe('extract: Dockerfile', function () {
  it('FROM with tag, digest, registry, port; AS name; lowercase keywords', function () {
    const text = [
      'FROM nginx:1.27 AS web',
      'from quay.io/prometheus/node-exporter@sha256:' + 'a'.repeat(64) + ' as exp',
      'FROM localhost:5000/team/app',
    ].join('\n');
    assert.deepStrictEqual(short(D, text), [
      '0:5 nginx:1.27 -> docker.io/library/nginx:1.27 (dockerfile-from)',
      `1:5 quay.io/prometheus/node-exporter@sha256:${'a'.repeat(64)} -> quay.io/prometheus/node-exporter@sha256:${'a'.repeat(64)} (dockerfile-from)`,
      '2:5 localhost:5000/team/app -> localhost:5000/team/app:latest (dockerfile-from)',
    ]);
  });

  it('--platform flag before the image, with variables', function () {
    assert.deepStrictEqual(short(D, 'FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM --platform=linux/amd64 alpine'), [
      '0:31 golang:1.22 -> docker.io/library/golang:1.22 (dockerfile-from)',
      '1:28 alpine -> docker.io/library/alpine:latest (dockerfile-from)',
    ]);
  });

  it('scratch and earlier stage names (case-insensitive) are not images', function () {
    const text = ['FROM golang:1.22 AS Builder', 'FROM builder AS test', 'FROM SCRATCH', 'FROM BUILDER', 'FROM test'].join('\n');
    assert.deepStrictEqual(short(D, text), ['0:5 golang:1.22 -> docker.io/library/golang:1.22 (dockerfile-from)']);
  });

  it('a name used as an image before the stage of that name is declared is an image', function () {
    assert.deepStrictEqual(short(D, 'FROM base\nFROM alpine AS base'), [
      '0:5 base -> docker.io/library/base:latest (dockerfile-from)',
      '1:5 alpine -> docker.io/library/alpine:latest (dockerfile-from)',
    ]);
  });

  it('COPY --from= image, not stage name or numeric index; ADD --from too', function () {
    const text = [
      'FROM golang:1.22 AS build',
      'FROM alpine',
      'COPY --from=build /a /a',
      'COPY --from=0 /b /b',
      'COPY --from=BUILD /c /c',
      'COPY --chown=1:1 --from=busybox:1.36 /bin/sh /sh',
      'COPY --from=later /x /x',
      'FROM debian AS later',
    ].join('\n');
    assert.deepStrictEqual(short(D, text), [
      '0:5 golang:1.22 -> docker.io/library/golang:1.22 (dockerfile-from)',
      '1:5 alpine -> docker.io/library/alpine:latest (dockerfile-from)',
      '5:24 busybox:1.36 -> docker.io/library/busybox:1.36 (dockerfile-copy-from)',
      '7:5 debian -> docker.io/library/debian:latest (dockerfile-from)',
    ]);
  });

  it('RUN --mount=…,from=image is dockerfile-copy-from; from=stage is not', function () {
    const text = [
      'FROM golang:1.22 AS build',
      'RUN --mount=type=cache,target=/root/.cache,from=ghcr.io/acme/cache:1 --mount=type=bind,from=build,source=/x,target=/y make',
    ].join('\n');
    assert.deepStrictEqual(short(D, text), [
      '0:5 golang:1.22 -> docker.io/library/golang:1.22 (dockerfile-from)',
      '1:48 ghcr.io/acme/cache:1 -> ghcr.io/acme/cache:1 (dockerfile-copy-from)',
    ]);
  });

  it('ONBUILD COPY --from and ONBUILD RUN --mount', function () {
    const text = ['FROM alpine', 'ONBUILD COPY --from=busybox:1 /bin/busybox /bin/', 'onbuild RUN --mount=from=node:20,target=/n ls'].join('\n');
    assert.deepStrictEqual(short(D, text), [
      '0:5 alpine -> docker.io/library/alpine:latest (dockerfile-from)',
      '1:20 busybox:1 -> docker.io/library/busybox:1 (dockerfile-copy-from)',
      '2:25 node:20 -> docker.io/library/node:20 (dockerfile-copy-from)',
    ]);
  });

  it('whole image from a global ARG default: located at the ARG value, usedAt the FROM', function () {
    const text = ['ARG BASE=python:3.12-slim', 'FROM $BASE', 'FROM ${BASE} AS two'].join('\n');
    const res = extract(D, text);
    assert.strictEqual(res.references.length, 1, 'one reference per ARG value');
    const r = res.references[0];
    assert.strictEqual(r.kind, 'dockerfile-arg');
    assert.strictEqual(r.text, 'python:3.12-slim');
    assert.deepStrictEqual(r.range, { start: { line: 0, character: 9 }, end: { line: 0, character: 25 } });
    assert.strictEqual(r.usedAt?.start.line, 1);
    assert.strictEqual(r.ref?.normalized, 'docker.io/library/python:3.12-slim');
  });

  it('usedAt is the FROM instruction; ARG defaults may use earlier ARGs', function () {
    const text = ['ARG REGISTRY=quay.io', 'ARG BASE=${REGISTRY}/centos/centos:stream9', '', 'FROM ${BASE:-fedora} AS a', 'RUN true'].join('\n');
    const res = extract(D, text);
    assert.strictEqual(res.references.length, 1);
    const r = res.references[0];
    assert.deepStrictEqual([r.kind, r.text, r.resolved, r.ref?.normalized], ['dockerfile-arg', '${REGISTRY}/centos/centos:stream9', 'quay.io/centos/centos:stream9', 'quay.io/centos/centos:stream9']);
    assert.deepStrictEqual(r.range, { start: { line: 1, character: 9 }, end: { line: 1, character: 42 } });
    assert.deepStrictEqual(r.usedAt, { start: { line: 3, character: 0 }, end: { line: 3, character: 25 } });
  });

  it('${X:-default} with X declared without a default resolves to the default on the FROM line', function () {
    assert.deepStrictEqual(short(D, 'ARG BASE\nFROM ${BASE:-debian:12}'), ['1:5 ${BASE:-debian:12} -> docker.io/library/debian:12 (dockerfile-from)']);
  });

  it('a later ARG redeclaration before the first FROM wins', function () {
    const r = refs(D, 'ARG B=alpine:3.19\nARG B=alpine:3.20\nFROM $B');
    assert.deepStrictEqual(r.map((x) => [x.line, x.text]), [[1, 'alpine:3.20']]);
  });

  it('single-quoted ARG defaults are not expanded', function () {
    const r = refs(D, "ARG V=1\nARG B='node:$V'\nFROM $B");
    assert.deepStrictEqual(r.map((x) => [x.text, x.resolved]), [['node:$V', 'node:$V']]);
  });

  it('quoted ARG default: range excludes the quotes', function () {
    const res = refs(D, 'ARG IMG="nginx:1.27"\nFROM ${IMG}');
    assert.deepStrictEqual(res.map((r) => [r.line, r.col, r.text, r.kind]), [[0, 9, 'nginx:1.27', 'dockerfile-arg']]);
  });

  it('partially variable FROM resolves from ARG defaults but is located on the FROM line', function () {
    const text = ['ARG NODE_VERSION=20', 'ARG VARIANT', 'FROM node:${NODE_VERSION}-alpine', 'FROM node:$VARIANT', 'FROM gcr.io/$PROJECT/app:${TAG:-v1}'].join('\n');
    assert.deepStrictEqual(
      refs(D, text).map((r) => [r.line, r.col, r.text, r.resolved, r.kind, r.normalized]),
      [
        [2, 5, 'node:${NODE_VERSION}-alpine', 'node:20-alpine', 'dockerfile-from', 'docker.io/library/node:20-alpine'],
        [3, 5, 'node:$VARIANT', 'node:$VARIANT', 'dockerfile-from', 'docker.io/library/node:$VARIANT'],
        [4, 5, 'gcr.io/$PROJECT/app:${TAG:-v1}', 'gcr.io/$PROJECT/app:v1', 'dockerfile-from', 'gcr.io/$PROJECT/app:v1'],
      ],
    );
  });

  it('${X:-default}, ${X:+alt}, ${X-default} substitution', function () {
    const text = ['ARG SET=1.0', 'ARG EMPTY=', 'FROM a:${UNSET:-2.0}', 'FROM b:${SET:+alt}', 'FROM c:${EMPTY:-3.0}', 'FROM d:${EMPTY-4.0}x'].join('\n');
    assert.deepStrictEqual(
      refs(D, text).map((r) => r.resolved),
      ['a:2.0', 'b:alt', 'c:3.0', 'd:x'],
    );
  });

  it('stage-scoped ARGs do not feed FROM; variable host or repository is not reported', function () {
    const text = ['FROM alpine AS one', 'ARG LATE=nginx:1', 'FROM $LATE', 'FROM ${REGISTRY}/app:1', 'FROM $NOTHING'].join('\n');
    assert.deepStrictEqual(short(D, text), ['0:5 alpine -> docker.io/library/alpine:latest (dockerfile-from)']);
  });

  it('an ARG default that names a stage or scratch is not an image', function () {
    const text = ['ARG BASE=builder', 'ARG EMPTY=scratch', 'FROM golang AS builder', 'FROM $BASE', 'FROM $EMPTY'].join('\n');
    assert.deepStrictEqual(short(D, text), ['2:5 golang -> docker.io/library/golang:latest (dockerfile-from)']);
  });

  it('line continuations and comments inside a multi-line FROM: located at the image token', function () {
    const text = ['FROM \\', '  --platform=linux/arm64 \\', '  # a comment', '  redis:7 \\', '  AS cache'].join('\n');
    assert.deepStrictEqual(short(D, text), ['3:2 redis:7 -> docker.io/library/redis:7 (dockerfile-from)']);
  });

  it('escape directive with backtick (Windows Dockerfiles)', function () {
    const text = ['# escape=`', 'FROM mcr.microsoft.com/windows/servercore:ltsc2022 `', '  AS base', 'RUN dir c:\\', 'FROM `', '  mcr.microsoft.com/powershell:lts'].join('\r\n');
    assert.deepStrictEqual(short(D, text), [
      '1:5 mcr.microsoft.com/windows/servercore:ltsc2022 -> mcr.microsoft.com/windows/servercore:ltsc2022 (dockerfile-from)',
      '5:2 mcr.microsoft.com/powershell:lts -> mcr.microsoft.com/powershell:lts (dockerfile-from)',
    ]);
  });

  it('escape directive after a BOM', function () {
    const text = '\uFEFF# escape=`\nFROM alpine `\n  AS x\nFROM `\n  busybox\n';
    assert.deepStrictEqual(short(D, text), ['1:5 alpine -> docker.io/library/alpine:latest (dockerfile-from)', '4:2 busybox -> docker.io/library/busybox:latest (dockerfile-from)']);
  });

  it('parser directives and comments are ignored', function () {
    const text = ['# syntax=docker/dockerfile:1.7', '# FROM commented:1', 'FROM alpine:3.20'].join('\n');
    assert.deepStrictEqual(short(D, text), ['2:5 alpine:3.20 -> docker.io/library/alpine:3.20 (dockerfile-from)']);
  });

  it('heredoc bodies are not instructions', function () {
    const text = ['FROM alpine', 'RUN <<EOF', 'FROM notanimage:1', 'COPY --from=nope /a /b', 'EOF', 'COPY <<EOT /etc/x', 'FROM also-not', 'EOT'].join('\n');
    assert.deepStrictEqual(short(D, text), ['0:5 alpine -> docker.io/library/alpine:latest (dockerfile-from)']);
  });

  it('CRLF, BOM and tabs', function () {
    const text = '\uFEFFFROM\tnode:20\r\nCOPY\t--from=busybox /a /b\r\n';
    assert.deepStrictEqual(short(D, text), [
      '0:6 node:20 -> docker.io/library/node:20 (dockerfile-from)',
      '1:12 busybox -> docker.io/library/busybox:latest (dockerfile-copy-from)',
    ]);
  });

  it('UTF-16 columns after non-ASCII text on the line', function () {
    // U+1F600 is two UTF-16 code units.
    const text = 'ARG NOTE="😀é"  BASE=alpine:3\nFROM $BASE';
    const r = refs(D, text);
    assert.deepStrictEqual(r.map((x) => [x.line, x.col, x.text]), [[0, 21, 'alpine:3']]);
  });

  it('invalid literal references are reported with an error (invalid-image-reference)', function () {
    const r = refs(D, 'FROM Nginx/Web:1\nFROM node:20@sha256:abc');
    assert.strictEqual(r.length, 2);
    assert.ok(r.every((x) => x.error && !x.normalized), JSON.stringify(r));
    assert.match(r[1].error!, /digest/);
  });

  it('quoted image in FROM: range excludes quotes', function () {
    assert.deepStrictEqual(short(D, 'FROM "alpine:3"'), ['0:6 alpine:3 -> docker.io/library/alpine:3 (dockerfile-from)']);
  });

  it('empty, comment-only and garbage files never throw', function () {
    for (const t of ['', '\n\n', '# just a comment', 'FROM', 'FROM --platform=x', '\\\n\\\n', 'ARG', 'COPY --from= a b', '\u0000\u0001']) {
      const res = extract(D, t);
      assert.strictEqual(res.fileKind, 'dockerfile');
      assert.ok(Array.isArray(res.references));
    }
  });
});
