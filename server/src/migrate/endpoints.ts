/**
 * Registry endpoint overrides for tests and air-gapped set-ups:
 *
 *   AR_MIGRATE_REGISTRY_ENDPOINTS='us-docker.pkg.dev=http://127.0.0.1:5001,quay.io=http://127.0.0.1:5002'
 *
 * Requests for a listed registry host go to the given URL instead, while
 * references, auth scopes and messages keep the registry's real name. The
 * registry behind the override is told its public name (X-Forwarded-Host /
 * X-Forwarded-Proto), so the upload URLs it hands out point back at that name
 * and go through the override too. Implemented as an undici dispatcher passed
 * to the mirror engine (CopyOptions.dispatcher); no global state.
 */
import type { Dispatcher } from 'undici';
import { defaultDispatcher } from '../registry/client';

export const ENDPOINTS_ENV = 'AR_MIGRATE_REGISTRY_ENDPOINTS';

export interface EndpointOverride {
  /** Registry as written in references, lowercased (`us-docker.pkg.dev`, `quay.io`). */
  registry: string;
  /** Where its requests go, e.g. `http://127.0.0.1:5001` (origin only). */
  url: string;
}

/** Parses `HOST=URL[,HOST=URL...]`; throws an Error naming the bad entry. */
export function parseEndpointOverrides(value: string | undefined): EndpointOverride[] {
  if (!value || !value.trim()) return [];
  const out: EndpointOverride[] = [];
  for (const raw of value.split(/[,;\s]+/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`${ENDPOINTS_ENV}: expected HOST=URL, got "${entry}"`);
    const registry = entry.slice(0, eq).trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(entry.slice(eq + 1).trim());
    } catch {
      throw new Error(`${ENDPOINTS_ENV}: "${entry.slice(eq + 1)}" (for ${registry}) is not a URL such as http://127.0.0.1:5000`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${ENDPOINTS_ENV}: ${url.protocol} is not supported for ${registry} (http or https)`);
    out.push({ registry, url: url.origin });
  }
  return out;
}

/** The public origin the mirror engine uses for a registry (https unless loopback/insecure; see registry/endpoint.ts). */
function publicOrigins(registry: string): string[] {
  const r = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  return [`https://${r}`, `http://${r}`];
}

/**
 * An undici dispatcher that sends the overridden registries' requests to their
 * endpoints; everything else goes to `inner` (default: the engine's shared agent).
 * Returns undefined when there is nothing to override.
 */
export function overrideDispatcher(overrides: readonly EndpointOverride[], inner?: Dispatcher): Dispatcher | undefined {
  if (overrides.length === 0) return undefined;
  const map = new Map<string, { url: string; host: string; proto: string }>();
  for (const o of overrides) {
    for (const origin of publicOrigins(o.registry)) {
      const u = new URL(origin);
      map.set(u.origin.toLowerCase(), { url: o.url, host: u.host, proto: u.protocol.replace(':', '') });
    }
  }
  const base = inner ?? (defaultDispatcher() as unknown as Dispatcher);
  const d = {
    dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const origin = typeof opts.origin === 'string' ? opts.origin : opts.origin?.toString();
      const hit = origin ? map.get(new URL(origin).origin.toLowerCase()) : undefined;
      if (!hit) return base.dispatch(opts, handler);
      const extra: Record<string, string> = { 'x-forwarded-host': hit.host, 'x-forwarded-proto': hit.proto };
      let headers: Dispatcher.DispatchOptions['headers'];
      const h = opts.headers;
      if (Array.isArray(h)) headers = [...(h as string[]), ...Object.entries(extra).flat()];
      else headers = { ...((h as Record<string, string>) ?? {}), ...extra };
      return base.dispatch({ ...opts, origin: hit.url, headers }, handler);
    },
    close(...args: unknown[]) {
      const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      if (cb) {
        cb();
        return undefined;
      }
      return Promise.resolve();
    },
    destroy(...args: unknown[]) {
      const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      if (cb) {
        cb();
        return undefined;
      }
      return Promise.resolve();
    },
    on() {
      return d;
    },
    once() {
      return d;
    },
    off() {
      return d;
    },
    emit() {
      return false;
    },
  };
  return d as unknown as Dispatcher;
}

/** The dispatcher for AR_MIGRATE_REGISTRY_ENDPOINTS in `env` (undefined when unset). */
export function dispatcherFromEnv(env: NodeJS.ProcessEnv): Dispatcher | undefined {
  return overrideDispatcher(parseEndpointOverrides(env[ENDPOINTS_ENV]));
}
