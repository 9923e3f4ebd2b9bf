/**
 * Registry credentials, found the way docker finds them:
 *   $DOCKER_CONFIG/config.json or ~/.docker/config.json
 *     credHelpers[registry]  -> docker-credential-<helper> get   (wins)
 *     credsStore             -> docker-credential-<store> get
 *     auths[registry]        -> base64 `auth`, username/password, identitytoken, registrytoken
 *   Docker Hub is stored under `https://index.docker.io/v1/`.
 * For Artifact Registry (`*-docker.pkg.dev`) and gcr.io, when docker has
 * nothing: Google Application Default Credentials (google-auth-library),
 * then `gcloud auth print-access-token`, sent as user `oauth2accesstoken`.
 *
 * Helpers and gcloud run with execFile (no shell). `allowHelpers: false`
 * (an untrusted workspace) runs no binary at all.
 */
import type { ExecFileException } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerConfigKey, isDockerHub, isGoogleRegistry } from './endpoint';

export type Credential =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token realm. */
  | { kind: 'identityToken'; username?: string; token: string; source: string }
  /** A bearer token sent to the registry as is (docker's `registrytoken`). */
  | { kind: 'registryToken'; token: string; source: string };

export interface CredentialStore {
  /** Credentials for a registry (`docker.io`, `localhost:5000`, `us-docker.pkg.dev`), or undefined for anonymous. */
  get(registry: string, signal?: AbortSignal): Promise<Credential | undefined>;
  /** Where credentials were looked for (for error messages); never contains a secret. */
  describe(registry: string): string;
}

export interface DockerConfigStoreOptions {
  env?: NodeJS.ProcessEnv;
  /** Explicit config.json path (default $DOCKER_CONFIG/config.json or ~/.docker/config.json). */
  configPath?: string;
  /** Run docker-credential-* helpers and gcloud (default true). False for untrusted workspaces. */
  allowHelpers?: boolean;
  /** Try Google ADC / gcloud for Artifact Registry and gcr.io (default true). */
  google?: boolean;
  /** Timeout for a helper or gcloud, ms (default 20 s). */
  helperTimeoutMs?: number;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** `https://index.docker.io/v1/` -> `index.docker.io`; `localhost:5000` -> `localhost:5000`. */
export function normalizeConfigKey(key: string): string {
  let k = key.trim().toLowerCase();
  k = k.replace(/^[a-z]+:\/\//, '');
  k = k.split('/')[0];
  if (k === 'docker.io' || k === 'registry-1.docker.io' || k === 'index.docker.io') return 'index.docker.io';
  return k;
}

function registryConfigHost(registry: string): string {
  return isDockerHub(registry) ? 'index.docker.io' : registry.toLowerCase();
}

const GOOGLE_USER = 'oauth2accesstoken';

/**
 * node:child_process (with net, dgram and friends) is required only when a
 * helper or gcloud actually runs: most copies never need one, and the CLI's
 * start-up time matters (docs/cli-startup.md).
 */
function execFile(
  file: string,
  args: string[],
  options: { timeout: number; signal?: AbortSignal; maxBuffer?: number; env: NodeJS.ProcessEnv },
  callback: (error: ExecFileException | null, stdout: string, stderr: string) => void,
): ReturnType<typeof import('node:child_process').execFile> {
  const cp = require('node:child_process') as typeof import('node:child_process');
  return cp.execFile(file, args, { ...options, encoding: 'utf8' }, callback);
}

export class DockerConfigStore implements CredentialStore {
  private readonly env: NodeJS.ProcessEnv;
  private readonly allowHelpers: boolean;
  private readonly google: boolean;
  private readonly timeout: number;
  readonly configPath: string;
  private config?: DockerConfig | null;
  private configError?: string;
  private readonly cache = new Map<string, Promise<Credential | undefined>>();
  private googleToken?: { token: string; source: string; expires: number };

  constructor(opts: DockerConfigStoreOptions = {}) {
    this.env = opts.env ?? process.env;
    this.allowHelpers = opts.allowHelpers ?? true;
    this.google = opts.google ?? true;
    this.timeout = opts.helperTimeoutMs ?? 20_000;
    const dir = this.env.DOCKER_CONFIG || path.join(this.env.HOME || os.homedir(), '.docker');
    this.configPath = opts.configPath ?? path.join(dir, 'config.json');
  }

  private load(): DockerConfig | null {
    if (this.config !== undefined) return this.config;
    try {
      const text = readFileSync(this.configPath, 'utf8');
      const doc = JSON.parse(text);
      this.config = doc && typeof doc === 'object' ? (doc as DockerConfig) : null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.configError = `cannot read ${this.configPath}: ${code ?? 'invalid JSON'}`;
      this.config = null;
    }
    return this.config;
  }

  describe(registry: string): string {
    const cfg = this.load();
    const parts = [`docker config ${this.configPath}${cfg ? '' : this.configError ? ` (${this.configError})` : ' (not found)'}`];
    if (isGoogleRegistry(registry) && this.google) parts.push('Google Application Default Credentials', ...(this.allowHelpers ? ['gcloud'] : []));
    if (!this.allowHelpers) parts.push('credential helpers disabled (untrusted workspace)');
    return `looked in ${parts.join(', ')}; key ${dockerConfigKey(registry)}`;
  }

  get(registry: string, signal?: AbortSignal): Promise<Credential | undefined> {
    const key = registry.toLowerCase();
    let p = this.cache.get(key);
    if (!p) {
      p = this.lookup(registry, signal);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  /** Forget a cached credential (e.g. a Google access token that expired). */
  invalidate(registry: string): void {
    this.cache.delete(registry.toLowerCase());
    if (isGoogleRegistry(registry)) this.googleToken = undefined;
  }

  private async lookup(registry: string, signal?: AbortSignal): Promise<Credential | undefined> {
    const cfg = this.load() ?? {};
    const want = registryConfigHost(registry);
    const serverUrl = dockerConfigKey(registry);

    // 1. credHelpers
    if (cfg.credHelpers && typeof cfg.credHelpers === 'object') {
      for (const [k, helper] of Object.entries(cfg.credHelpers)) {
        if (normalizeConfigKey(k) !== want || typeof helper !== 'string') continue;
        if (this.allowHelpers) {
          const c = await this.runHelper(helper, serverUrl === registry ? k : serverUrl, signal).catch(() => undefined);
          if (c) return c;
        }
        break;
      }
    }
    // 2. credsStore
    if (typeof cfg.credsStore === 'string' && cfg.credsStore && this.allowHelpers) {
      const c = await this.runHelper(cfg.credsStore, serverUrl, signal).catch(() => undefined);
      if (c) return c;
    }
    // 3. auths
    if (cfg.auths && typeof cfg.auths === 'object') {
      for (const [k, entry] of Object.entries(cfg.auths)) {
        if (normalizeConfigKey(k) !== want || !entry || typeof entry !== 'object') continue;
        const source = `${this.configPath} auths["${k}"]`;
        if (typeof entry.registrytoken === 'string' && entry.registrytoken) return { kind: 'registryToken', token: entry.registrytoken, source };
        let username = typeof entry.username === 'string' ? entry.username : undefined;
        let password = typeof entry.password === 'string' ? entry.password : undefined;
        if (typeof entry.auth === 'string' && entry.auth) {
          const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          if (colon > 0) {
            username = decoded.slice(0, colon);
            password = decoded.slice(colon + 1);
          }
        }
        if (typeof entry.identitytoken === 'string' && entry.identitytoken) {
          return { kind: 'identityToken', username, token: entry.identitytoken, source };
        }
        if (username !== undefined && password !== undefined && (username || password)) {
          return { kind: 'basic', username, password, source };
        }
      }
    }
    // 4. Google
    if (this.google && isGoogleRegistry(registry)) return this.googleCredential(signal);
    return undefined;
  }

  private runHelper(helper: string, serverUrl: string, signal?: AbortSignal): Promise<Credential | undefined> {
    if (!/^[A-Za-z0-9._-]+$/.test(helper)) return Promise.resolve(undefined);
    const bin = `docker-credential-${helper}`;
    const source = `credential helper ${bin}`;
    return new Promise((resolve, reject) => {
      const child = execFile(bin, ['get'], { timeout: this.timeout, signal, maxBuffer: 1 << 20, env: this.env }, (err, stdout) => {
        if (err) {
          // "credentials not found" and a missing helper both mean: nothing here.
          return reject(new Error(`${bin} failed`));
        }
        try {
          const doc = JSON.parse(String(stdout));
          const username = typeof doc.Username === 'string' ? doc.Username : '';
          const secret = typeof doc.Secret === 'string' ? doc.Secret : '';
          if (!secret) return resolve(undefined);
          if (username === '<token>') return resolve({ kind: 'identityToken', token: secret, source });
          resolve({ kind: 'basic', username, password: secret, source });
        } catch {
          reject(new Error(`${bin} printed no JSON`));
        }
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(serverUrl);
    });
  }

  private async googleCredential(signal?: AbortSignal): Promise<Credential | undefined> {
    if (this.googleToken && this.googleToken.expires > Date.now()) {
      return { kind: 'basic', username: GOOGLE_USER, password: this.googleToken.token, source: this.googleToken.source };
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { GoogleAuth } = require('google-auth-library') as typeof import('google-auth-library');
      const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
      const token = await auth.getAccessToken();
      if (token) {
        this.googleToken = { token, source: 'Google Application Default Credentials', expires: Date.now() + 45 * 60_000 };
        return { kind: 'basic', username: GOOGLE_USER, password: token, source: this.googleToken.source };
      }
    } catch {
      // no ADC: try gcloud
    }
    if (!this.allowHelpers) return undefined;
    const token = await new Promise<string | undefined>((resolve) => {
      execFile('gcloud', ['auth', 'print-access-token'], { timeout: this.timeout, signal, env: this.env }, (err, stdout) => {
        resolve(err ? undefined : String(stdout).trim() || undefined);
      });
    });
    if (!token) return undefined;
    this.googleToken = { token, source: 'gcloud auth print-access-token', expires: Date.now() + 45 * 60_000 };
    return { kind: 'basic', username: GOOGLE_USER, password: token, source: this.googleToken.source };
  }
}

/** Fixed credentials, keyed by registry (`localhost:5000`, `docker.io`); for the API and tests. */
export class StaticCredentialStore implements CredentialStore {
  constructor(private readonly creds: Record<string, { username: string; password: string } | { identityToken: string } | { registryToken: string }>) {}
  async get(registry: string): Promise<Credential | undefined> {
    const want = registryConfigHost(registry);
    for (const [k, c] of Object.entries(this.creds)) {
      if (normalizeConfigKey(k) !== want) continue;
      const source = `credentials given for ${k}`;
      if ('username' in c) return { kind: 'basic', username: c.username, password: c.password, source };
      if ('identityToken' in c) return { kind: 'identityToken', token: c.identityToken, source };
      return { kind: 'registryToken', token: c.registryToken, source };
    }
    return undefined;
  }
  describe(registry: string): string {
    return `no credentials given for ${registry}`;
  }
}

/** No credentials at all: every registry anonymously. */
export const anonymousCredentials: CredentialStore = {
  async get() {
    return undefined;
  },
  describe() {
    return 'anonymous access (no credential store)';
  },
};
