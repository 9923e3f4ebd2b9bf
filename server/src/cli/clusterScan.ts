/**
 * `ar-migrate cluster-scan [--context NAME] [--kubeconfig F] [--json] [--workspace PATH]`:
 * lists the images running in a cluster (kubectl), marks third-party ones,
 * and with --workspace, which of them the workspace does not reference
 * (candidates to mirror). Exit 0 on success, 1 on failure, 2 usage error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ComparedImage,
  compareWithWorkspace,
  KubectlError,
  RunningImage,
  scanCluster,
  WorkspaceComparison,
} from '../cluster/kubectl';
import { formatImagesTxt, parseImagesTxt } from '../handoff/imagesTxt';
import { Policy } from '../references/policy';
import { CONFIG_FILE_NAME, findConfig, ProjectConfig, readConfigFile } from '../workspace/config';
import { scanPaths } from '../workspace/scan';
import { CliIO, list, UsageError } from './io';

const HELP = `Usage: ar-migrate cluster-scan [options]

Lists the container images running in a Kubernetes cluster, read with your own
kubectl and kubeconfig (\`kubectl get pods --all-namespaces -o json\`):
containers, init containers and ephemeral containers, normalised, with their
namespaces, pod counts and the digests the nodes resolved. Third-party images
are marked. With --workspace, images the workspace does not reference are
listed separately: candidates to mirror before the next rollout.

  --context NAME            kubeconfig context (default: the current context)
  --kubeconfig FILE         kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  --namespace NS            only this namespace (default: all namespaces)
  --kubectl PATH            kubectl binary (default: kubectl on PATH)
  --workspace PATH          compare with the image references found under PATH
  --workspace-images FILE   compare with the images listed in FILE (images.txt format)
  --images-txt FILE         write the third-party images to mirror to FILE (with a workspace:
                            only those running but not referenced there)
  --first-party REGISTRY    a registry you own, not third-party (repeatable)
  --config FILE             settings file (default: ${CONFIG_FILE_NAME} in --workspace or the current directory)
  --json                    machine-readable result
  -h, --help                this help

Exit status: 0 success, 1 failure (kubectl missing, no context, cluster unreachable, ...), 2 usage error.
`;

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function short(d: string): string {
  return d.replace(/^sha256:([a-f0-9]{12})[a-f0-9]+$/, 'sha256:$1…');
}

function table(rows: (RunningImage | ComparedImage)[], withWorkspace: boolean): string {
  const head = ['IMAGE', 'PODS', 'NAMESPACES', 'DIGEST', 'THIRD-PARTY', ...(withWorkspace ? ['IN WORKSPACE'] : [])];
  const body = rows.map((r) => {
    const ns = r.namespaces.length > 3 ? `${r.namespaces.slice(0, 3).join(',')},+${r.namespaces.length - 3}` : r.namespaces.join(',');
    const c = r as ComparedImage;
    return [
      r.normalized ?? `${r.image} (invalid: ${r.error})`,
      String(r.pods),
      ns,
      r.digests.length === 0 ? '-' : r.digests.length === 1 ? short(r.digests[0]) : `${r.digests.length} digests`,
      r.error ? '?' : r.thirdParty ? 'yes' : 'no',
      ...(withWorkspace ? [c.inWorkspace === 'same' ? 'yes' : c.inWorkspace === 'other-tag' ? `other tag (${(c.workspaceVersions ?? []).join(' ')})` : 'no'] : []),
    ];
  });
  const widths = head.map((h, i) => Math.min(90, Math.max(h.length, ...body.map((b) => b[i].length))));
  return [head, ...body].map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]))).join('  ')).join('\n') + '\n';
}

/** Normalised image references under a workspace (scan walker + extractors). */
export async function workspaceImages(root: string, policy: Policy, config: ProjectConfig | undefined, signal?: AbortSignal): Promise<{ images: string[]; files: number; errors: number }> {
  const res = await scanPaths([root], { policy, exclude: config?.exclude, signal });
  const images = new Set<string>();
  for (const f of res.files) {
    for (const fd of f.findings) {
      if (fd.error || !fd.normalized || fd.ref?.hasVariables) continue;
      images.add(fd.normalized);
    }
  }
  return { images: [...images], files: res.files.length, errors: res.errors.length };
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        context: { type: 'string' },
        kubeconfig: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        kubectl: { type: 'string' },
        workspace: { type: 'string' },
        'workspace-images': { type: 'string' },
        'images-txt': { type: 'string' },
        'first-party': { type: 'string', multiple: true },
        config: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const json = !!values.json;
  const say = (m: string) => {
    if (!json || io.isTTY) io.stderr.write(`${m}\n`);
  };
  const workspace = values.workspace ? path.resolve(io.cwd, values.workspace as string) : undefined;
  if (workspace && !fs.existsSync(workspace)) throw new UsageError(`--workspace: ${workspace} does not exist`);
  const kubeconfig = values.kubeconfig ? path.resolve(io.cwd, values.kubeconfig as string) : undefined;
  if (kubeconfig && !fs.existsSync(kubeconfig)) throw new UsageError(`--kubeconfig: ${kubeconfig} does not exist`);
  const ns = values.namespace as string | undefined;
  if (ns !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) throw new UsageError(`--namespace: "${ns}" is not a namespace name`);

  let config: ProjectConfig | undefined;
  if (values.config) config = readConfigFile(path.resolve(io.cwd, values.config as string));
  else config = findConfig(workspace && fs.statSync(workspace).isDirectory() ? workspace : io.cwd)?.config;
  const policy = new Policy({
    firstPartyRegistries: [...(config?.firstPartyRegistries ?? []), ...list(values['first-party'])],
    ignoredImages: config?.ignoredImages,
  });

  // Workspace side first (fails fast on a bad file before talking to the cluster).
  let wsImages: string[] | undefined;
  if (values['workspace-images']) {
    const file = path.resolve(io.cwd, values['workspace-images'] as string);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (err as Error).message);
      throw new UsageError(`--workspace-images: cannot read ${file}: ${why}`);
    }
    const parsed = parseImagesTxt(text);
    for (const e of parsed.errors) io.stderr.write(`${file}:${e.line}: ${e.message} (line skipped)\n`);
    wsImages = parsed.images;
  }
  if (workspace) {
    say(`Scanning ${workspace} for image references`);
    const ws = await workspaceImages(workspace, policy, config, io.signal);
    say(`  ${ws.images.length} distinct images in ${ws.files} files${ws.errors ? ` (${ws.errors} problems; see \`ar-migrate scan\`)` : ''}`);
    wsImages = [...(wsImages ?? []), ...ws.images];
  }

  let result;
  try {
    result = await scanCluster({
      context: values.context as string | undefined,
      kubeconfig,
      namespace: ns,
      kubectl: values.kubectl as string | undefined,
      env: io.env,
      signal: io.signal,
      policy,
      onProgress: say,
    });
  } catch (err) {
    if (err instanceof KubectlError) {
      if (err.kind === 'cancelled') throw err;
      io.stderr.write(`ar-migrate cluster-scan: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const cmp: WorkspaceComparison | undefined = wsImages ? compareWithWorkspace(result.images, wsImages) : undefined;
  const rows = cmp ? cmp.images : result.images;
  const toMirror = cmp ? cmp.clusterOnlyThirdParty : result.images.filter((i) => i.thirdParty && !i.error);

  if (values['images-txt']) {
    const file = path.resolve(io.cwd, values['images-txt'] as string);
    fs.writeFileSync(file, formatImagesTxt(toMirror.map((i) => i.normalized!)));
    say(`Wrote ${toMirror.length} image${toMirror.length === 1 ? '' : 's'} to ${file}`);
  }

  if (json) {
    io.stdout.write(
      JSON.stringify(
        {
          context: result.context ?? null,
          namespace: ns ?? null,
          pods: result.pods,
          images: rows,
          ...(cmp
            ? {
                clusterOnly: cmp.clusterOnly.map((i) => i.normalized),
                clusterOnlyThirdParty: cmp.clusterOnlyThirdParty.map((i) => i.normalized),
              }
            : {}),
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const third = result.images.filter((i) => i.thirdParty).length;
  io.stdout.write(
    `${result.images.length} image${result.images.length === 1 ? '' : 's'} in ${result.pods} pod${result.pods === 1 ? '' : 's'}` +
      `${result.context ? ` (context ${result.context}${ns ? `, namespace ${ns}` : ''})` : ''}; ${third} third-party.\n\n`,
  );
  if (rows.length) io.stdout.write(table(rows, !!cmp));
  if (cmp) {
    io.stdout.write('\n');
    if (cmp.clusterOnlyThirdParty.length === 0) {
      io.stdout.write('Every third-party image running in the cluster is referenced in the workspace.\n');
    } else {
      io.stdout.write(`Running in the cluster but not referenced in the workspace (third-party, ${cmp.clusterOnlyThirdParty.length}):\n`);
      for (const i of cmp.clusterOnlyThirdParty) io.stdout.write(`  ${i.normalized}  (${i.namespaces.join(', ')})\n`);
      io.stdout.write(
        `Mirror them too: ar-migrate cluster-scan ... --images-txt images.txt, then ar-migrate mirror --from-file images.txt --target ${config?.target ?? 'LOCATION-docker.pkg.dev/PROJECT/REPOSITORY'}\n`,
      );
    }
  }
  return 0;
}
