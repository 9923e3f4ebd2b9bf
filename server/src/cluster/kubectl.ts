/**
 * Images running in a Kubernetes cluster, read with the user's own kubectl
 * (`kubectl get pods --all-namespaces -o json`, run with execFile: no shell),
 * so their kubeconfig, context and auth plugins apply unchanged.
 */
import { execFile } from 'node:child_process';
import { parseNormalized } from '../references/reference';
import { Policy } from '../references/policy';

export type KubectlErrorKind =
  | 'not-installed'
  | 'no-context'
  | 'context-not-found'
  | 'kubeconfig-not-found'
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'auth-plugin'
  | 'timeout'
  | 'cancelled'
  | 'bad-output'
  | 'failed';

export class KubectlError extends Error {
  constructor(
    readonly kind: KubectlErrorKind,
    message: string,
    readonly stderr?: string,
  ) {
    super(message);
    this.name = 'KubectlError';
  }
}

export interface KubectlOptions {
  /** kubectl binary (default `kubectl` on PATH). */
  kubectl?: string;
  kubeconfig?: string;
  context?: string;
  /** Only this namespace (default: all namespaces). */
  namespace?: string;
  /** Environment for kubectl (default process.env). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Whole-command timeout in ms (default 120 s). */
  timeoutMs?: number;
  /** kubectl --request-timeout (default 30s). */
  requestTimeout?: string;
}

// Minimal Pod shapes (core/v1).
export interface ContainerSpec {
  name: string;
  image?: string;
}
export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
}
export interface Pod {
  metadata?: { name?: string; namespace?: string; ownerReferences?: { kind?: string; name?: string }[] };
  spec?: { containers?: ContainerSpec[]; initContainers?: ContainerSpec[]; ephemeralContainers?: ContainerSpec[] };
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    ephemeralContainerStatuses?: ContainerStatus[];
  };
}

function baseArgs(o: KubectlOptions): string[] {
  const a: string[] = [];
  if (o.kubeconfig) a.push(`--kubeconfig=${o.kubeconfig}`);
  if (o.context) a.push(`--context=${o.context}`);
  return a;
}

function where(o: KubectlOptions): string {
  return o.context ? `context "${o.context}"` : 'the current context';
}

/** Turns kubectl's failure output into a clear error. */
export function classifyKubectlFailure(stderr: string, o: KubectlOptions): KubectlError {
  const s = stderr.trim();
  const first = (s.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '').replace(/^error:\s*/i, '').replace(/[.?!\s]+$/, '');
  const ctx = where(o);
  if (/current-context is not set|no context is set|context was not found for specified context: *$/i.test(s) || /The connection to the server localhost:8080 was refused/i.test(s)) {
    return new KubectlError(
      'no-context',
      `kubectl has no cluster to talk to (no current context${o.kubeconfig ? ` in ${o.kubeconfig}` : ''}). ` +
        `Pick one with --context NAME (see \`kubectl config get-contexts\`), or for GKE run ` +
        '`gcloud container clusters get-credentials CLUSTER --location LOCATION --project PROJECT`.',
      s,
    );
  }
  const ctxMissing = s.match(/context "([^"]*)" does not exist|context was not found for specified context: (\S+)/i);
  if (ctxMissing) {
    return new KubectlError(
      'context-not-found',
      `kubectl context "${ctxMissing[1] ?? ctxMissing[2] ?? o.context}" does not exist${o.kubeconfig ? ` in ${o.kubeconfig}` : ''}. List them with \`kubectl config get-contexts\`.`,
      s,
    );
  }
  if (/stat .*: no such file or directory|kubeconfig.*(not found|does not exist)/i.test(s) && o.kubeconfig) {
    return new KubectlError('kubeconfig-not-found', `kubeconfig ${o.kubeconfig} cannot be read: ${first}`, s);
  }
  if (/gke-gcloud-auth-plugin|executable .* not found|exec plugin|getting credentials: exec/i.test(s)) {
    return new KubectlError(
      'auth-plugin',
      `kubectl could not get credentials for ${ctx}: ${first}. For GKE install the auth plugin ` +
        '(`gcloud components install gke-gcloud-auth-plugin`) and run `gcloud auth login`.',
      s,
    );
  }
  if (/Unauthorized|You must be logged in to the server|\(401\)/i.test(s)) {
    return new KubectlError('unauthorized', `The cluster (${ctx}) refused kubectl's credentials: ${first}. Log in again (e.g. \`gcloud auth login\`).`, s);
  }
  if (/forbidden/i.test(s)) {
    return new KubectlError(
      'forbidden',
      `You may not list pods in ${o.namespace ? `namespace ${o.namespace}` : 'all namespaces'} with ${ctx}: ${first}. ` +
        `Ask for "list pods" rights (e.g. the view ClusterRole)${o.namespace ? '' : ', or scan one namespace with --namespace'}.`,
      s,
    );
  }
  if (
    /Unable to connect to the server|connection refused|was refused|no such host|i\/o timeout|dial tcp|TLS handshake timeout|context deadline exceeded|Client\.Timeout|server could not find|EOF/i.test(s)
  ) {
    return new KubectlError(
      'unreachable',
      `Cannot reach the cluster of ${ctx}: ${first}. Check the network/VPN, that the cluster exists, and for private GKE clusters that you can reach its control plane.`,
      s,
    );
  }
  return new KubectlError('failed', `kubectl failed for ${ctx}: ${first || 'no error output'}`, s);
}

function runKubectl(args: string[], o: KubectlOptions): Promise<string> {
  const bin = o.kubectl ?? 'kubectl';
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new KubectlError('cancelled', 'Cancelled.'));
    execFile(
      bin,
      args,
      {
        env: o.env ?? process.env,
        maxBuffer: 1024 * 1024 * 1024,
        timeout: o.timeoutMs ?? 120_000,
        signal: o.signal,
        windowsHide: true,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
        if (e.code === 'ENOENT') {
          return reject(
            new KubectlError(
              'not-installed',
              `kubectl was not found${o.kubectl ? ` at ${o.kubectl}` : ' on PATH'}. Install it (e.g. \`gcloud components install kubectl\`, or your OS package) or pass --kubectl PATH.`,
            ),
          );
        }
        if (e.code === 'EACCES') return reject(new KubectlError('not-installed', `${bin} is not executable.`));
        if (e.name === 'AbortError' || o.signal?.aborted) return reject(new KubectlError('cancelled', 'Cancelled.'));
        if (e.killed || e.signal === 'SIGTERM') {
          return reject(new KubectlError('timeout', `kubectl did not answer within ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s (${where(o)}).`));
        }
        reject(classifyKubectlFailure(String(stderr ?? ''), o));
      },
    );
  });
}

/** `kubectl get pods [--all-namespaces|-n NS] -o json`: the pods. */
export async function getPods(o: KubectlOptions = {}): Promise<Pod[]> {
  const args = [
    ...baseArgs(o),
    'get',
    'pods',
    ...(o.namespace ? [`--namespace=${o.namespace}`] : ['--all-namespaces']),
    '-o',
    'json',
    `--request-timeout=${o.requestTimeout ?? '30s'}`,
  ];
  const out = await runKubectl(args, o);
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    throw new KubectlError('bad-output', `kubectl printed something that is not JSON (${out.slice(0, 80).replace(/\s+/g, ' ')}…).`);
  }
  const items = (parsed as { items?: unknown })?.items;
  if (!Array.isArray(items)) throw new KubectlError('bad-output', 'kubectl output has no "items" list.');
  return items as Pod[];
}

/** The context kubectl would use (`kubectl config current-context`), or undefined when none is set. */
export async function currentContext(o: KubectlOptions = {}): Promise<string | undefined> {
  try {
    const out = await runKubectl([...baseArgs(o), 'config', 'current-context'], o);
    return out.trim() || undefined;
  } catch (err) {
    if (err instanceof KubectlError && (err.kind === 'no-context' || err.kind === 'failed')) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Summary

export type ContainerKind = 'container' | 'init' | 'ephemeral';

export interface RunningImage {
  /** The image as written in the pod spec (first seen). */
  image: string;
  /** Normalised (docker.io/library/nginx:1.27); undefined when the spec text is not a valid reference. */
  normalized?: string;
  /** `registry/repository`. */
  name?: string;
  registry?: string;
  error?: string;
  thirdParty: boolean;
  /** Manifest digests the nodes resolved it to (from status imageID), sorted. */
  digests: string[];
  /** normalized pinned to the digest when exactly one digest was seen (name@sha256:...). */
  pinned?: string;
  namespaces: string[];
  /** Pods using it. */
  pods: number;
  /** Container instances using it. */
  containers: number;
  kinds: ContainerKind[];
}

/** `docker.io/library/nginx@sha256:...`, `docker-pullable://nginx@sha256:...` -> the digest; bare IDs -> undefined. */
export function digestFromImageID(imageID: string | undefined): string | undefined {
  if (!imageID) return undefined;
  const m = imageID.match(/@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/);
  return m ? m[1] : undefined;
}

/** Groups the pods' containers by image (normalised), with namespaces, counts and resolved digests. */
export function summarizePods(pods: readonly Pod[], policy: Policy = new Policy()): RunningImage[] {
  const byKey = new Map<string, RunningImage & { podSet: Set<string>; nsSet: Set<string>; digestSet: Set<string>; kindSet: Set<ContainerKind> }>();
  pods.forEach((pod, index) => {
    if (!pod || typeof pod !== 'object') return;
    const ns = pod.metadata?.namespace ?? 'default';
    const podKey = `${ns}/${pod.metadata?.name ?? `#${index}`}`;
    const statusByName = new Map<string, ContainerStatus>();
    for (const st of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])]) {
      if (st?.name) statusByName.set(st.name, st);
    }
    const groups: [ContainerKind, ContainerSpec[] | undefined][] = [
      ['container', pod.spec?.containers],
      ['init', pod.spec?.initContainers],
      ['ephemeral', pod.spec?.ephemeralContainers],
    ];
    for (const [kind, list] of groups) {
      for (const c of list ?? []) {
        const image = typeof c?.image === 'string' ? c.image.trim() : '';
        if (!image) continue;
        const parsed = parseNormalized(image);
        const key = parsed.ok ? parsed.value.normalized : `invalid:${image}`;
        let e = byKey.get(key);
        if (!e) {
          e = {
            image,
            ...(parsed.ok
              ? { normalized: parsed.value.normalized, name: parsed.value.name, registry: parsed.value.registry, thirdParty: !policy.isFirstParty(parsed.value) }
              : { error: parsed.error, thirdParty: false }),
            digests: [],
            namespaces: [],
            pods: 0,
            containers: 0,
            kinds: [],
            podSet: new Set(),
            nsSet: new Set(),
            digestSet: new Set(),
            kindSet: new Set(),
          };
          byKey.set(key, e);
        }
        e.containers++;
        e.podSet.add(podKey);
        e.nsSet.add(ns);
        e.kindSet.add(kind);
        const d = digestFromImageID(statusByName.get(c.name)?.imageID);
        if (d) e.digestSet.add(d);
        if (parsed.ok && parsed.value.digest) e.digestSet.add(parsed.value.digest);
      }
    }
  });
  const out: RunningImage[] = [];
  for (const e of byKey.values()) {
    const { podSet, nsSet, digestSet, kindSet, ...rest } = e;
    const digests = [...digestSet].sort();
    const r: RunningImage = {
      ...rest,
      pods: podSet.size,
      namespaces: [...nsSet].sort(),
      digests,
      kinds: (['container', 'init', 'ephemeral'] as ContainerKind[]).filter((k) => kindSet.has(k)),
    };
    if (r.name && digests.length === 1) r.pinned = `${r.name}@${digests[0]}`;
    out.push(r);
  }
  return out.sort((a, b) => (a.normalized ?? a.image).localeCompare(b.normalized ?? b.image));
}

export type WorkspaceMatch = 'same' | 'other-tag' | 'none';

export interface ComparedImage extends RunningImage {
  /** 'same': the workspace references this image (same tag or digest); 'other-tag': only other tags of it; 'none'. */
  inWorkspace: WorkspaceMatch;
  /** Tags/digests of the same repository referenced in the workspace (for 'other-tag'). */
  workspaceVersions?: string[];
}

export interface WorkspaceComparison {
  images: ComparedImage[];
  /** Running but not referenced in the workspace (same tag/digest). */
  clusterOnly: ComparedImage[];
  /** Third-party ones among clusterOnly: candidates to mirror. */
  clusterOnlyThirdParty: ComparedImage[];
}

/**
 * Compares running images with the workspace's references (normalised
 * strings, e.g. from the workspace scan or an images.txt). Pure function.
 */
export function compareWithWorkspace(running: readonly RunningImage[], workspaceImages: Iterable<string>): WorkspaceComparison {
  const exact = new Set<string>();
  const digests = new Set<string>();
  const versionsByName = new Map<string, Set<string>>();
  for (const w of workspaceImages) {
    const p = parseNormalized(w.trim());
    if (!p.ok) continue;
    const v = p.value;
    exact.add(v.normalized);
    if (v.tag !== undefined) exact.add(`${v.name}:${v.tag}`);
    if (v.digest) digests.add(`${v.name}@${v.digest}`);
    let set = versionsByName.get(v.name);
    if (!set) versionsByName.set(v.name, (set = new Set()));
    set.add(v.digest ? `${v.implicitLatest ? '' : `:${v.tag}`}@${v.digest}` : `:${v.tag}`);
  }
  const images: ComparedImage[] = running.map((r) => {
    if (!r.normalized || !r.name) return { ...r, inWorkspace: 'none' as const };
    const p = parseNormalized(r.normalized);
    const v = p.ok ? p.value : undefined;
    const same =
      exact.has(r.normalized) ||
      (v?.tag !== undefined && exact.has(`${v.name}:${v.tag}`)) ||
      r.digests.some((d) => digests.has(`${r.name}@${d}`));
    if (same) return { ...r, inWorkspace: 'same' as const };
    const versions = versionsByName.get(r.name);
    if (versions) return { ...r, inWorkspace: 'other-tag' as const, workspaceVersions: [...versions].sort() };
    return { ...r, inWorkspace: 'none' as const };
  });
  const clusterOnly = images.filter((i) => i.inWorkspace !== 'same' && !i.error);
  return { images, clusterOnly, clusterOnlyThirdParty: clusterOnly.filter((i) => i.thirdParty) };
}

export interface ClusterScanOptions extends KubectlOptions {
  policy?: Policy;
  onProgress?: (message: string) => void;
}

export interface ClusterScanResult {
  context?: string;
  pods: number;
  images: RunningImage[];
}

/** Lists the images running in the cluster of the context (kubectl). */
export async function scanCluster(o: ClusterScanOptions = {}): Promise<ClusterScanResult> {
  const context = o.context ?? (await currentContext(o));
  o.onProgress?.(`Listing pods${o.namespace ? ` in namespace ${o.namespace}` : ' in all namespaces'} with kubectl (${context ? `context ${context}` : 'current context'})`);
  const pods = await getPods(o);
  return { context, pods: pods.length, images: summarizePods(pods, o.policy) };
}
