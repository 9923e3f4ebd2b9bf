/**
 * A loopback Kubernetes API server, enough for the real `kubectl get pods
 * --all-namespaces -o json`: /version, discovery (/api, /apis, /api/v1), and
 * pod lists with limit/continue paging, cluster-wide and per namespace.
 * Bearer-token auth; errors as metav1.Status. Plus a kubeconfig writer.
 *
 * It serves HTTPS with a throw-away self-signed certificate for 127.0.0.1
 * (made with the openssl CLI), trusted through the kubeconfig's
 * certificate-authority-data: kubectl does not send bearer tokens over plain HTTP.
 */

let tlsMaterial: { key: string; cert: string } | undefined;

/** A self-signed certificate for 127.0.0.1, made once per process. */
export function selfSignedCert(): { key: string; cert: string } {
  if (tlsMaterial) return tlsMaterial;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-kube-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
    tlsMaterial = { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
    return tlsMaterial;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface FakeKubeOptions {
  pods?: unknown[];
  token?: string;
  /** Answer pod lists with 403 Forbidden. */
  forbidden?: boolean;
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class FakeKube {
  pods: unknown[];
  token: string;
  forbidden: boolean;
  /** Paths requested (without query). */
  readonly requests: string[] = [];
  /** `limit` values kubectl sent on pod lists. */
  readonly limits: string[] = [];
  private server?: https.Server;
  private port = 0;

  constructor(o: FakeKubeOptions = {}) {
    this.pods = o.pods ?? [];
    this.token = o.token ?? 'kube-test-token';
    this.forbidden = !!o.forbidden;
  }

  static async start(o: FakeKubeOptions = {}): Promise<FakeKube> {
    const k = new FakeKube(o);
    k.server = https.createServer(selfSignedCert(), (req, res) => k.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      k.server!.once('error', reject);
      k.server!.listen(0, '127.0.0.1', () => resolve());
    });
    k.port = (k.server.address() as AddressInfo).port;
    return k;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Writes a kubeconfig with one context per entry (all pointing at this server unless `server` is given). */
  writeKubeconfig(
    dir: string,
    contexts: { name: string; server?: string; token?: string; namespace?: string }[] = [{ name: 'test' }],
    current: string | null = contexts[0]?.name ?? null,
  ): string {
    const file = path.join(dir, 'kubeconfig');
    const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
    const ca = Buffer.from(selfSignedCert().cert).toString('base64');
    contexts.forEach((c, i) =>
      lines.push(`- name: cluster-${i}`, '  cluster:', `    server: "${c.server ?? this.url}"`, ...((c.server ?? this.url).startsWith('https:') ? [`    certificate-authority-data: ${ca}`] : [])),
    );
    lines.push('users:');
    contexts.forEach((c, i) => lines.push(`- name: user-${i}`, '  user:', `    token: "${c.token ?? this.token}"`));
    lines.push('contexts:');
    contexts.forEach((c, i) =>
      lines.push(`- name: "${c.name}"`, '  context:', `    cluster: cluster-${i}`, `    user: user-${i}`, ...(c.namespace ? [`    namespace: ${c.namespace}`] : [])),
    );
    lines.push(`current-context: "${current ?? ''}"`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? '/', this.url);
    this.requests.push(u.pathname);
    const send = (code: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (u.pathname === '/version') {
      return send(200, { major: '1', minor: '30', gitVersion: 'v1.30.5', platform: 'linux/amd64' });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    switch (u.pathname) {
      case '/api':
        return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }] });
      case '/apis':
        return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      case '/api/v1':
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list', 'watch'], shortNames: ['po'], categories: ['all'] },
            { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] },
          ],
        });
    }
    const m = u.pathname.match(/^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods$/);
    if (m) {
      if (this.forbidden) {
        const scope = m[1] ? `in the namespace "${m[1]}"` : 'at the cluster scope';
        return send(403, status(403, 'Forbidden', `pods is forbidden: User "tester@example.com" cannot list resource "pods" in API group "" ${scope}`));
      }
      const all = this.pods.filter((p) => !m[1] || (p as { metadata?: { namespace?: string } }).metadata?.namespace === m[1]);
      const limit = Number(u.searchParams.get('limit') ?? '0');
      if (u.searchParams.has('limit')) this.limits.push(u.searchParams.get('limit')!);
      const start = Number(u.searchParams.get('continue') || '0');
      const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
      const items = all.slice(start, end).map((p) => ({ apiVersion: 'v1', kind: 'Pod', ...(p as object) }));
      return send(200, {
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1000', ...(end < all.length ? { continue: String(end) } : {}) },
        items,
      });
    }
    return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }
}

/** A pod object for tests. */
export function pod(
  namespace: string,
  name: string,
  containers: { name: string; image: string; imageID?: string; kind?: 'init' | 'ephemeral' }[],
): unknown {
  const of = (k: string | undefined) => containers.filter((c) => c.kind === k);
  const statuses = (list: typeof containers) =>
    list.map((c) => ({ name: c.name, image: c.image, ...(c.imageID !== undefined ? { imageID: c.imageID } : {}), ready: true, restartCount: 0 }));
  return {
    metadata: { name, namespace, uid: `${namespace}-${name}` },
    spec: {
      containers: of(undefined).map((c) => ({ name: c.name, image: c.image })),
      ...(of('init').length ? { initContainers: of('init').map((c) => ({ name: c.name, image: c.image })) } : {}),
      ...(of('ephemeral').length ? { ephemeralContainers: of('ephemeral').map((c) => ({ name: c.name, image: c.image })) } : {}),
    },
    status: {
      phase: 'Running',
      containerStatuses: statuses(of(undefined)),
      ...(of('init').length ? { initContainerStatuses: statuses(of('init')) } : {}),
      ...(of('ephemeral').length ? { ephemeralContainerStatuses: statuses(of('ephemeral')) } : {}),
    },
  };
}
