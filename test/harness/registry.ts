// Starts a real CNCF distribution registry (Debian's `docker-registry`, 2.8.x) on 127.0.0.1
// with a random free port, fresh storage, and auth 'none' | 'basic' (htpasswd) | 'token'
// (our own token server, see tokenServer.ts).
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort, makeTempDir, removeTempDir, trackProcessGroup, waitFor } from './ports';
import { startTokenServer, type TokenServerHandle, type TokenServerOptions } from './tokenServer';

export const REGISTRY_BIN = process.env.AR_MIGRATE_TEST_REGISTRY_BIN || '/usr/bin/docker-registry';

export type RegistryAuthMode = 'none' | 'basic' | 'token';

export interface RegistryUser {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** Default 'none'. */
  auth?: RegistryAuthMode;
  /** Users for 'basic' and 'token'. Default: one user `tester` with a random password. */
  users?: RegistryUser[];
  /** Use this storage root instead of a fresh temp dir (it is NOT removed by stop()). */
  storageDir?: string;
  /** Registry log level. Default 'info' (the level at which it logs why a token was refused). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Extra options for the token server when auth === 'token' (users are filled in from `users`). */
  token?: Omit<TokenServerOptions, 'users' | 'service'>;
  /** Listen on this port instead of a random free one (e.g. to restart a stopped registry at the
   *  same address with the same `storageDir`). */
  port?: number;
  /** Milliseconds to wait for `/v2/` to answer. Default 20000. */
  startTimeoutMs?: number;
}

export interface RegistryHandle {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  /** e.g. 127.0.0.1:41234 — what goes in an image reference. */
  host: string;
  port: number;
  auth: RegistryAuthMode;
  /** The users accepted ('basic'/'token'); empty for 'none'. */
  users: RegistryUser[];
  /** First user, convenient for tests; undefined for 'none'. */
  credentials?: RegistryUser;
  storageDir: string;
  configPath: string;
  /** Present when auth === 'token'. */
  tokenServer?: TokenServerHandle;
  /** stdout+stderr of the registry so far (capped to the last ~2 MB). */
  logs(): string;
  /** Kill the registry (and token server), remove temp dirs. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE = 'ar-migrate-test-registry';

function randomPassword(): string {
  return crypto.randomBytes(12).toString('base64url');
}

/**
 * Start a registry. Resolves once `GET /v2/` answers (200 or 401).
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryHandle> {
  const auth = opts.auth ?? 'none';
  if (!fs.existsSync(REGISTRY_BIN)) {
    throw new Error(`${REGISTRY_BIN} not found: install Debian package docker-registry`);
  }
  const users: RegistryUser[] =
    auth === 'none' ? [] : opts.users && opts.users.length ? opts.users.map((u) => ({ ...u })) : [{ username: 'tester', password: randomPassword() }];

  const workDir = makeTempDir('armig-reg-');
  const storageDir = opts.storageDir ?? path.join(workDir, 'storage');
  fs.mkdirSync(storageDir, { recursive: true });

  let tokenServer: TokenServerHandle | undefined;
  const cleanups: Array<() => void | Promise<void>> = [];
  try {
    const authConfig: Record<string, unknown> = {};
    if (auth === 'basic') {
      const htpasswd = path.join(workDir, 'htpasswd');
      // Cost 5 keeps logins fast on a loaded machine; the registry accepts any bcrypt cost.
      fs.writeFileSync(htpasswd, users.map((u) => `${u.username}:${bcrypt.hashSync(u.password, 5)}\n`).join(''));
      authConfig.htpasswd = { realm: 'ar-migrate-test', path: htpasswd };
    } else if (auth === 'token') {
      tokenServer = await startTokenServer({ ...(opts.token ?? {}), users, service: SERVICE });
      const ts = tokenServer;
      cleanups.push(() => ts.stop());
      const bundle = path.join(workDir, 'token-root.pem');
      fs.writeFileSync(bundle, tokenServer.certificatePem);
      authConfig.token = {
        realm: tokenServer.realm,
        service: tokenServer.service,
        issuer: tokenServer.issuer,
        rootcertbundle: bundle,
      };
    }

    const logChunks: string[] = [];
    let logSize = 0;
    const appendLog = (b: Buffer) => {
      const s = b.toString('utf8');
      logChunks.push(s);
      logSize += s.length;
      while (logSize > 2_000_000 && logChunks.length > 1) logSize -= logChunks.shift()!.length;
    };

    // A port can be taken between freePort() and the registry binding it: retry a few times.
    for (let attempt = 0; ; attempt++) {
      const port = opts.port ?? (await freePort());
      const host = `127.0.0.1:${port}`;
      // Every response carries this header, so we never mistake another process that grabbed
      // the same port (e.g. a registry started in parallel) for ours.
      const instanceId = crypto.randomBytes(8).toString('hex');
      const config = {
        version: '0.1',
        log: { level: opts.logLevel ?? 'info', formatter: 'text', accesslog: { disabled: false } },
        storage: {
          filesystem: { rootdirectory: storageDir },
          delete: { enabled: true },
          maintenance: { uploadpurging: { enabled: false }, readonly: { enabled: false } },
          redirect: { disable: true },
        },
        http: {
          addr: host,
          secret: crypto.randomBytes(16).toString('hex'),
          headers: { 'X-Content-Type-Options': ['nosniff'], 'X-Ar-Migrate-Harness': [instanceId] },
        },
        ...(auth === 'none' ? {} : { auth: authConfig }),
      };
      const configPath = path.join(workDir, 'config.yml');
      // JSON is valid YAML.
      fs.writeFileSync(configPath, JSON.stringify(config, null, 2));

      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;

      // Run it under a tiny shell wrapper in its own process group: the wrapper kills the
      // registry and removes the temp dir when our stdin pipe closes, i.e. when this Node
      // process dies, even by SIGKILL. stop() kills the whole group.
      const script = [
        'exec 3<&0',
        '"$@" </dev/null &',
        'pid=$!',
        '( read -r _ <&3; kill -9 $pid 2>/dev/null; sleep 1; rm -rf "$ARMIG_CLEANUP_DIR" ) &',
        'w=$!',
        'wait $pid; rc=$?',
        'kill $w 2>/dev/null',
        'exit $rc',
      ].join('\n');
      env.ARMIG_CLEANUP_DIR = workDir;
      const child = spawn('/bin/sh', ['-c', script, 'registry-wrapper', REGISTRY_BIN, 'serve', configPath], {
        env,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const kill = trackProcessGroup(child);
      child.stdout!.on('data', appendLog);
      child.stderr!.on('data', appendLog);
      child.stdin!.on('error', () => {});
      let exited: number | null | undefined;
      const exitPromise = new Promise<void>((resolve) =>
        child.once('exit', (code) => {
          exited = code;
          resolve();
        }),
      );
      // Don't let the child keep mocha alive if a test forgets stop(); exit hooks still kill it.
      child.unref();
      (child.stdout as unknown as { unref?: () => void }).unref?.();
      (child.stderr as unknown as { unref?: () => void }).unref?.();
      (child.stdin as unknown as { unref?: () => void }).unref?.();

      const url = `http://${host}`;
      try {
        let abandoned = false;
        const ready = waitFor(
          async () => {
            if (abandoned) return true;
            const r = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
            await r.arrayBuffer();
            return (r.status === 200 || r.status === 401) && r.headers.get('x-ar-migrate-harness') === instanceId;
          },
          opts.startTimeoutMs ?? 20000,
          `registry at ${url}`,
        );
        const died = exitPromise.then(() => {
          throw new Error(`registry exited with code ${exited}`);
        });
        died.catch(() => {});
        try {
          await Promise.race([ready, died]);
        } finally {
          abandoned = true;
        }
      } catch (e) {
        kill();
        const logs = logChunks.join('');
        if (attempt < 3 && opts.port === undefined && /address already in use/i.test(logs)) {
          logChunks.length = 0;
          logSize = 0;
          continue;
        }
        throw new Error(`${(e as Error).message}\n--- registry log ---\n${logs.slice(-4000)}`);
      }

      let stopped = false;
      const handle: RegistryHandle = {
        url,
        host,
        port,
        auth,
        users,
        credentials: users[0],
        storageDir,
        configPath,
        tokenServer,
        logs: () => logChunks.join(''),
        async stop() {
          if (stopped) return;
          stopped = true;
          kill();
          await Promise.race([exitPromise, new Promise((r) => setTimeout(r, 3000))]);
          for (const c of cleanups) await c();
          removeTempDir(workDir);
        },
      };
      return handle;
    }
  } catch (e) {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => {});
    removeTempDir(workDir);
    throw e;
  }
}
