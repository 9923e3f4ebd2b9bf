/**
 * Where a registry lives: `docker.io` -> https://registry-1.docker.io, plain
 * HTTP only for loopback hosts (127.0.0.0/8, [::1], localhost) or hosts the
 * user listed as insecure.
 */
import { DEFAULT_DOMAIN, registryHost } from '../references/reference';

export interface Endpoint {
  /** Registry as written in references (`docker.io`, `localhost:5000`). */
  registry: string;
  /** Base URL without trailing slash, e.g. `https://registry-1.docker.io`. */
  baseUrl: string;
  scheme: 'http' | 'https';
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  return false;
}

/** True when `registry` (host[:port]) matches an entry of the insecure list (host or host:port). */
export function isListedInsecure(registry: string, insecure: readonly string[] = []): boolean {
  const r = registry.toLowerCase();
  const host = registryHost(registry);
  return insecure.some((entry) => {
    const e = entry.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return e === r || e === host;
  });
}

/** May plain HTTP be used to talk to this host[:port]? */
export function allowsPlainHttp(hostPort: string, insecure: readonly string[] = []): boolean {
  return isLoopbackHost(registryHost(hostPort)) || isListedInsecure(hostPort, insecure);
}

export function resolveEndpoint(registry: string, insecure: readonly string[] = []): Endpoint {
  const r = registry.toLowerCase();
  if (r === DEFAULT_DOMAIN || r === 'index.docker.io' || r === 'registry-1.docker.io') {
    return { registry, baseUrl: 'https://registry-1.docker.io', scheme: 'https' };
  }
  const scheme = allowsPlainHttp(registry, insecure) ? 'http' : 'https';
  return { registry, baseUrl: `${scheme}://${registry}`, scheme };
}

/** The key docker uses in config.json for a registry (Docker Hub keeps its legacy URL). */
export function dockerConfigKey(registry: string): string {
  const r = registry.toLowerCase();
  if (r === DEFAULT_DOMAIN || r === 'index.docker.io' || r === 'registry-1.docker.io') return 'https://index.docker.io/v1/';
  return registry;
}

export function isDockerHub(registry: string): boolean {
  const r = registry.toLowerCase();
  return r === DEFAULT_DOMAIN || r === 'index.docker.io' || r === 'registry-1.docker.io';
}

/** Artifact Registry (`LOCATION-docker.pkg.dev`) or Container Registry (`gcr.io`, `eu.gcr.io`, ...). */
export function isGoogleRegistry(registry: string): boolean {
  const h = registryHost(registry);
  return h.endsWith('-docker.pkg.dev') || h === 'gcr.io' || h.endsWith('.gcr.io');
}
