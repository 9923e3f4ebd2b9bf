// Image pools shared by the generators. gcr.io images are first-party under the
// built-in policy (no diagnostic expected); everything else is third-party.

export const THIRD_PARTY = [
  // docker.io, familiar forms
  { repo: 'nginx', tags: ['1.25.3', '1.27.0-alpine', 'stable'] },
  { repo: 'redis', tags: ['7.2.4', '7.4-alpine'] },
  { repo: 'postgres', tags: ['16.2', '15-bookworm'] },
  { repo: 'python', tags: ['3.12-slim', '3.11.9-bookworm'] },
  { repo: 'node', tags: ['20.11.1-alpine', '22-bookworm-slim'] },
  { repo: 'busybox', tags: ['1.36', '1.36.1-musl'] },
  { repo: 'bitnami/kafka', tags: ['3.7.0', '3.6.1-debian-12-r0'] },
  { repo: 'grafana/grafana', tags: ['10.4.1', '11.0.0'] },
  { repo: 'docker.io/library/alpine', tags: ['3.19', '3.20.1'] },
  { repo: 'docker.io/envoyproxy/envoy', tags: ['v1.29.2', 'v1.30-latest'] },
  // quay.io
  { repo: 'quay.io/prometheus/node-exporter', tags: ['v1.7.0', 'v1.8.1'] },
  { repo: 'quay.io/jetstack/cert-manager-controller', tags: ['v1.14.4'] },
  { repo: 'quay.io/keycloak/keycloak', tags: ['24.0.2', '25.0'] },
  // ghcr.io
  { repo: 'ghcr.io/fluxcd/source-controller', tags: ['v1.2.4', 'v1.3.0'] },
  { repo: 'ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector', tags: ['0.97.0'] },
  { repo: 'ghcr.io/external-secrets/external-secrets', tags: ['v0.9.13'] },
  // others
  { repo: 'registry.k8s.io/ingress-nginx/controller', tags: ['v1.10.0'] },
  { repo: 'public.ecr.aws/docker/library/haproxy', tags: ['2.9.6'] },
];

export const FIRST_PARTY = [
  { repo: 'gcr.io/google-containers/pause', tags: ['3.9'] },
  { repo: 'gcr.io/distroless/static-debian12', tags: ['nonroot', 'latest'] },
  { repo: 'gcr.io/cloud-builders/gcloud', tags: ['latest', '470.0.0'] },
  { repo: 'us-docker.pkg.dev/my-project/apps/api', tags: ['2024.03.1'] },
];

/**
 * Picks an image: ~80% third-party (docker.io/quay.io/ghcr.io/...), ~20% first-party (gcr.io, AR).
 * @returns {{repo:string, tag?:string, digest?:string, text:string, thirdParty:boolean}}
 */
export function pickImage(rng, { digestRate = 0.05, firstPartyRate = 0.2 } = {}) {
  const thirdParty = !rng.chance(firstPartyRate);
  const e = rng.pick(thirdParty ? THIRD_PARTY : FIRST_PARTY);
  if (rng.chance(digestRate)) {
    const digest = `sha256:${rng.hex(64)}`;
    return { repo: e.repo, digest, text: `${e.repo}@${digest}`, thirdParty };
  }
  const tag = rng.pick(e.tags);
  return { repo: e.repo, tag, text: `${e.repo}:${tag}`, thirdParty };
}
