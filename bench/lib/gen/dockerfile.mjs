// Deterministic multi-stage Dockerfile (global ARGs, several stages, COPY --from,
// long RUN lines with continuations), padded to a target line count.
import { createRng } from '../rng.mjs';

const BASES = [
  { repo: 'golang', tags: ['1.22.1-bookworm', '1.21-alpine'] },
  { repo: 'node', tags: ['20.11.1-alpine', '22-bookworm-slim'] },
  { repo: 'python', tags: ['3.12-slim', '3.11.9-bookworm'] },
  { repo: 'rust', tags: ['1.77-slim'] },
  { repo: 'eclipse-temurin', tags: ['21-jdk-jammy'] },
  { repo: 'quay.io/centos/centos', tags: ['stream9'] },
  { repo: 'ghcr.io/astral-sh/uv', tags: ['0.4.18'] },
  { repo: 'gcr.io/distroless/base-debian12', tags: ['nonroot'] },
];

/**
 * @returns {{text:string, lines:number, images:{line:number, col:number, tagStart:number, tagEnd:number, text:string, thirdParty:boolean}[]}}
 */
export function generateDockerfile({ lines: target = 300, seed = 7 } = {}) {
  const rng = createRng(seed);
  const out = [];
  const images = [];
  const push = (s) => out.push(s);
  /** push `prefix + image + suffix` and record the image position */
  const img = (prefix, repo, tag, suffix = '') => {
    push(prefix + `${repo}:${tag}` + suffix);
    images.push({
      line: out.length - 1,
      col: prefix.length,
      tagStart: prefix.length + repo.length + 1,
      tagEnd: prefix.length + repo.length + 1 + tag.length,
      text: `${repo}:${tag}`,
      thirdParty: !repo.startsWith('gcr.io/'),
    });
  };
  push('# syntax=docker/dockerfile:1.7');
  push('# Generated benchmark Dockerfile: multi-stage build of a polyglot service.');
  img('ARG GO_IMAGE=', 'golang', '1.22.1-bookworm');
  img('ARG RUNTIME_IMAGE=', 'gcr.io/distroless/base-debian12', 'nonroot');
  push('ARG APP_VERSION=0.0.0-dev');
  push('');
  const stages = [];
  const stageCount = 8;
  // Each stage gets an equal share of the padding RUN/ENV/COPY lines.
  const perStage = Math.max(10, Math.floor((target - 40) / stageCount));
  for (let s = 0; s < stageCount; s++) {
    const name = s === stageCount - 1 ? 'final' : `${rng.pick(['deps', 'build', 'test', 'assets', 'tools', 'lint'])}${s}`;
    const start = out.length;
    if (s === 0) push('FROM ${GO_IMAGE} AS ' + name);
    else if (s === stageCount - 1) push('FROM ${RUNTIME_IMAGE} AS ' + name);
    else if (s > 2 && rng.chance(0.3)) push(`FROM ${rng.pick(stages)} AS ${name}`);
    else {
      const b = rng.pick(BASES);
      img(rng.chance(0.3) ? 'FROM --platform=$BUILDPLATFORM ' : 'FROM ', b.repo, rng.pick(b.tags), ` AS ${name}`);
    }
    push('ARG APP_VERSION');
    push(`WORKDIR /src/${name}`);
    while (out.length - start < perStage) {
      const r = rng.next();
      if (r < 0.45) {
        const n = rng.int(2, 5);
        push(`RUN set -eux; \\`);
        for (let i = 0; i < n; i++) {
          const cmd = rng.pick([
            'apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git',
            'go build -trimpath -ldflags "-s -w -X main.version=${APP_VERSION}" -o /out/app ./cmd/app',
            'npm ci --omit=dev && npm run build',
            'pip install --no-cache-dir -r requirements.txt',
            'cargo build --release --locked',
            'rm -rf /var/lib/apt/lists/* /tmp/*',
            'mkdir -p /out/etc /out/var/lib/app && chown -R 65532:65532 /out/var/lib/app',
          ]);
          push(`    ${cmd}${i < n - 1 ? '; \\' : ''}`);
        }
      } else if (r < 0.6) {
        push(`ENV ${rng.word(6).toUpperCase()}_${rng.word(4).toUpperCase()}=${rng.word(8)}`);
      } else if (r < 0.72 && stages.length) {
        push(`COPY --from=${rng.pick(stages)} /out/${rng.word(5)} /usr/local/bin/`);
      } else if (r < 0.8) {
        const b = rng.pick(BASES.filter((x) => !x.repo.startsWith('gcr.io')));
        img('COPY --from=', b.repo, rng.pick(b.tags), ` /usr/local/bin/${rng.word(4)} /usr/local/bin/`);
      } else if (r < 0.9) {
        push(`COPY ${rng.word(5)}/ ./${rng.word(5)}/`);
      } else {
        push(`# ${rng.word(7)} ${rng.word(4)} ${rng.word(9)}`);
      }
    }
    stages.push(name);
    push('');
  }
  push('USER 65532:65532');
  push('EXPOSE 8080');
  push('HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/app", "healthcheck"]');
  push('ENTRYPOINT ["/usr/local/bin/app"]');
  while (out.length < target) push(`LABEL org.opencontainers.image.${rng.word(6)}="${rng.word(10)}"`);
  const text = out.join('\n') + '\n';
  return { text, lines: out.length, images };
}
