/**
 * arMigrate/kubeContexts, arMigrate/clusterScan and arMigrate/imagesTxt: the
 * CLI's cluster-scan (cluster/kubectl.ts, the user's own kubectl and
 * kubeconfig, run by the server) compared with the workspace scan the server
 * already has (workspaceScan.ts), and the images.txt hand-off list
 * (handoff/imagesTxt.ts) of the workspace's third-party images.
 */
import { execFile } from 'node:child_process';
import { CancellationToken, ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { classifyKubectlFailure, ComparedImage, compareWithWorkspace, KubectlError, scanCluster } from '../../cluster/kubectl';
import { collectImages } from '../../handoff/imagesTxt';
import type { ServerContext } from '../context';
import { scanWorkspace } from '../workspaceScan';
import { cancelledError, isObject, requireTrust, stringList, userError, withRequest } from './common';
import type { ClusterImage, ClusterScanParams, ClusterScanResult, ImagesTxtParams, ImagesTxtResult, KubeContextsParams, KubeContextsResult } from './protocol';

function optString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function kubectlFailure(what: string, err: unknown): ResponseError<void> {
  if (err instanceof KubectlError && err.kind === 'cancelled') return cancelledError();
  return userError(what, err);
}

/** `kubectl config get-contexts -o name` and `kubectl config current-context`. */
export async function listContexts(o: { kubeconfig?: string; signal?: AbortSignal; env?: NodeJS.ProcessEnv }): Promise<KubeContextsResult> {
  const base = o.kubeconfig ? [`--kubeconfig=${o.kubeconfig}`] : [];
  const run = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('kubectl', [...base, ...args], { env: o.env ?? process.env, timeout: 30_000, signal: o.signal, windowsHide: true, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') return reject(new KubectlError('not-installed', 'kubectl was not found on the PATH of the language server. Install it (e.g. `gcloud components install kubectl`).'));
        if (e.name === 'AbortError' || o.signal?.aborted) return reject(new KubectlError('cancelled', 'Cancelled.'));
        reject(classifyKubectlFailure(String(stderr ?? ''), { kubeconfig: o.kubeconfig }));
      });
    });
  const contexts = (await run(['config', 'get-contexts', '-o', 'name']))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  let current: string | undefined;
  try {
    current = (await run(['config', 'current-context'])).trim() || undefined;
  } catch {
    current = undefined; // no current context is fine here
  }
  return { contexts, current };
}

export async function handleKubeContexts(ctx: ServerContext, params: KubeContextsParams | undefined, token: CancellationToken): Promise<KubeContextsResult> {
  requireTrust(ctx, 'Listing kubectl contexts');
  const kubeconfig = optString(isObject(params) ? params.kubeconfig : undefined);
  return withRequest(ctx, params, token, 'AR Migrate: kubectl contexts', async (signal) => {
    try {
      return await listContexts({ kubeconfig, signal });
    } catch (err) {
      throw kubectlFailure('Listing kubectl contexts', err);
    }
  });
}

function toClusterImage(i: ComparedImage): ClusterImage {
  const out: ClusterImage = {
    image: i.image,
    thirdParty: i.thirdParty,
    namespaces: i.namespaces,
    pods: i.pods,
    containers: i.containers,
    digests: i.digests,
    inWorkspace: i.inWorkspace,
  };
  if (i.normalized) out.normalized = i.normalized;
  if (i.name) out.name = i.name;
  if (i.error) out.error = i.error;
  if (i.workspaceVersions) out.workspaceVersions = i.workspaceVersions;
  return out;
}

export async function handleClusterScan(ctx: ServerContext, params: ClusterScanParams | undefined, token: CancellationToken): Promise<ClusterScanResult> {
  requireTrust(ctx, 'Scan cluster');
  const p: Partial<ClusterScanParams> = isObject(params) ? params : {};
  const context = optString(p.context);
  const namespace = optString(p.namespace);
  const kubeconfig = optString(p.kubeconfig);
  if (namespace && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new ResponseError(ErrorCodes.InvalidParams, `Scan cluster: "${namespace}" is not a Kubernetes namespace name`);
  return withRequest(ctx, params, token, `AR Migrate: scanning ${context ? `cluster ${context}` : 'the current cluster'}`, async (signal, report) => {
    const settings = await ctx.settingsFor();
    let scanned;
    try {
      scanned = await scanCluster({ context, namespace, kubeconfig, signal, policy: settings.policy, onProgress: (m) => report(m, 10) });
    } catch (err) {
      throw kubectlFailure(`Scan cluster${context ? ` (context ${context})` : ''}`, err);
    }
    report(`${scanned.images.length} images in ${scanned.pods} pods; comparing with the workspace`, 60);
    const ws = await scanWorkspace(ctx, { includeAll: true, withPulls: false }, token);
    const names = ws.findings.filter((f) => f.normalized && !f.error).map((f) => f.normalized!);
    const cmp = compareWithWorkspace(scanned.images, names);
    ctx.log.info(`cluster scan (${scanned.context ?? 'current context'}): ${scanned.images.length} images in ${scanned.pods} pods, ${cmp.clusterOnly.length} not in the workspace (${cmp.clusterOnlyThirdParty.length} third-party)`);
    return {
      context: scanned.context,
      pods: scanned.pods,
      images: cmp.images.map(toClusterImage),
      onlyInCluster: cmp.clusterOnly.map(toClusterImage),
      onlyInClusterThirdParty: cmp.clusterOnlyThirdParty.map(toClusterImage),
    };
  });
}

export async function handleImagesTxt(ctx: ServerContext, params: ImagesTxtParams | undefined, token: CancellationToken): Promise<ImagesTxtResult> {
  requireTrust(ctx, 'Export images.txt');
  const p: Partial<ImagesTxtParams> = isObject(params) ? params : {};
  const folders = stringList(p.folders);
  return withRequest(ctx, params, token, 'AR Migrate: collecting third-party images', async () => {
    const ws = await scanWorkspace(ctx, { folders: folders.length ? folders : undefined, withPulls: false }, token);
    const skipped: ImagesTxtResult['skipped'] = [];
    const items = ws.findings.map((f) => ({ normalized: f.normalized, thirdParty: f.thirdParty, ignored: f.ignored, pulled: f.pulled, error: f.error, text: f.text }));
    const { images } = collectImages(items, { includeNotPulled: p.includeNotPulled === true });
    // Say where each left-out reference is (collectImages knows only the text).
    for (const f of ws.findings) {
      if (f.ignored || (f.pulled === false && p.includeNotPulled !== true) || (!f.thirdParty && !f.error)) continue;
      const one = collectImages([{ normalized: f.normalized, thirdParty: f.thirdParty, ignored: f.ignored, pulled: f.pulled, error: f.error, text: f.text }], { includeNotPulled: true });
      for (const s of one.skipped) skipped.push({ uri: f.uri, line: f.range.start.line, text: s.text, reason: s.reason });
    }
    return { text: images.length ? images.join('\n') + '\n' : '', images, skipped };
  });
}
