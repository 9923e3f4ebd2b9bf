/**
 * `ar-migrate migrate [PATH...] --target BASE [options]`: finds the
 * third-party images referenced under PATH (same walker and settings as
 * `scan`), mirrors each into the target (Artifact Registry) and rewrites the
 * references of every image whose copy was verified, file by file and
 * atomically. `--dry-run` contacts no registry and prints a unified diff.
 * Exit 0 when everything migrated, 1 when an image or a file failed, 2 on a
 * usage error, 130 when cancelled (no file is changed then).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Policy } from '../references/policy';
import { DockerConfigStore } from '../registry/credentials';
import type { TargetBase } from '../references/target';
import { CONFIG_FILE_NAME } from '../workspace/config';
import { DEFAULT_MAX_FILE_SIZE } from '../workspace/walk';
import {
  applyRewrites, buildReport, computeRewrites, dispatcherFromEnv, dryRunResult, ENDPOINTS_ENV, executeMigration,
  formatBytes, formatReport, loadWorkspaceFiles, MigrationProgress, planMigration, resolveBase, unifiedDiff, writeFileAtomic,
} from '../migrate';
import { formatImagesTxt } from '../handoff/imagesTxt';
import { CliIO, list, UsageError } from './io';
import { displayPath, loadConfig } from './scan';

const HELP = `Usage: ar-migrate migrate [PATH...] --target BASE [options]

Finds the third-party container images referenced in Dockerfiles and YAML
under each PATH (default: the current directory), mirrors each one into the
target Artifact Registry repository and rewrites the references to it. A
reference is rewritten only after its image was copied and verified; each file
is written atomically (line endings, BOM and file mode kept).

  --target BASE             LOCATION-docker.pkg.dev/PROJECT/REPOSITORY (or "target" in ${CONFIG_FILE_NAME}):
                            nginx -> BASE/nginx, bitnami/redis -> BASE/bitnami/redis,
                            quay.io/x/y -> BASE/quay.io/x/y (tags and digests kept)
  --dry-run                 contact no registry, write nothing; print a unified diff of the rewrites
  --pin-digest              rewrite to BASE/image:tag@sha256:... (the verified digest)
  --only IMAGE              migrate only this image (repeatable): nginx, docker.io/library/nginx,
                            nginx:1.27, or a glob such as "quay.io/**"
  --platform OS/ARCH        copy only this platform (repeatable; the digest then changes)
  --jobs N                  concurrent blob transfers per registry host (default 6)
  --image-jobs N            images copied in parallel (default 4)
  --insecure-registry HOST  allow plain HTTP to HOST[:PORT] (repeatable; loopback always allowed)
  --no-credential-helpers   never run docker-credential-* helpers or gcloud
  --retries N               retries of a failed request (default 4)
  --json                    print the report as JSON on stdout
  --images-txt FILE         also write the images to mirror, one a line (for gcrane / "mirror --from-file")

Scanning (as in "ar-migrate scan"):
  --first-party REGISTRY    a registry you own (repeatable; globs)
  --ignore IMAGE            an image to leave alone (repeatable; globs)
  --config FILE             settings file (default: ${CONFIG_FILE_NAME} in the first PATH directory or cwd)
  --exclude GLOB            skip paths matching GLOB (repeatable)
  --no-default-excludes     also walk node_modules, vendor, dist, ...
  --max-file-size BYTES     skip larger files (default ${DEFAULT_MAX_FILE_SIZE})
  -h, --help                this help

Skipped with a reason: references with unresolved variables ($TAG without a
default) and images built here (compose "build:"). Progress goes to stderr.
Exit status: 0 done, 1 an image or file failed, 2 usage error, 130 cancelled.
`;

/** Options migrate and drift share: target, registry access and scanning (read by scanSetup). */
export const TARGET_SCAN_OPTIONS = {
  target: { type: 'string' },
  'insecure-registry': { type: 'string', multiple: true },
  'no-credential-helpers': { type: 'boolean' },
  retries: { type: 'string' },
  'first-party': { type: 'string', multiple: true },
  ignore: { type: 'string', multiple: true },
  config: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'no-default-excludes': { type: 'boolean' },
  'max-file-size': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...TARGET_SCAN_OPTIONS,
        'dry-run': { type: 'boolean' },
        'pin-digest': { type: 'boolean' },
        only: { type: 'string', multiple: true },
        platform: { type: 'string', multiple: true },
        jobs: { type: 'string', short: 'j' },
        'image-jobs': { type: 'string' },
        json: { type: 'boolean' },
        'images-txt': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}\nRun "ar-migrate migrate --help" for the options.`);
  }
}

/** An integer option >= min (undefined when not given); a usage error otherwise. */
export function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs an integer >= ${min}, got "${v}"`);
  return n;
}

/** Scanning settings shared by migrate and drift: roots, config, policy (the target base counts as first-party). */
export function scanSetup(values: Record<string, unknown>, positionals: string[], io: CliIO, command: string) {
  const inputs = positionals.length ? positionals : ['.'];
  const roots = inputs.map((p) => path.resolve(io.cwd, p));
  const missing = inputs.filter((_, i) => !fs.existsSync(roots[i]));
  if (missing.length) throw new UsageError(`no such file or directory: ${missing.join(', ')}`);
  const config = loadConfig(values.config as string | undefined, roots, io.cwd);
  const targetText = (values.target as string | undefined) ?? config.target;
  if (!targetText) throw new UsageError(`--target BASE is required (e.g. --target us-central1-docker.pkg.dev/my-project/mirror), or set "target" in ${CONFIG_FILE_NAME}\nRun "ar-migrate ${command} --help" for the options.`);
  let base: { value: TargetBase };
  try {
    base = { value: resolveBase(targetText) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let maxFileSize: number | undefined;
  if (values['max-file-size'] !== undefined) {
    maxFileSize = Number(values['max-file-size']);
    if (!Number.isInteger(maxFileSize) || maxFileSize <= 0) throw new UsageError(`--max-file-size must be a positive number of bytes, got "${values['max-file-size']}"`);
  }
  // The target itself is first-party: migrated references are never migrated again.
  const basePath = base.value.base.slice(base.value.host.length + 1);
  const policy = new Policy({
    firstPartyRegistries: [...(config.firstPartyRegistries ?? []), ...list(values['first-party']), `${base.value.host}/${basePath}/**`],
    ignoredImages: [...(config.ignoredImages ?? []), ...list(values.ignore)],
  });
  let dispatcher;
  try {
    dispatcher = dispatcherFromEnv(io.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    roots,
    config,
    base: base.value,
    policy,
    dispatcher,
    walk: {
      exclude: [...(config.exclude ?? []), ...list(values.exclude)],
      skipDirs: values['no-default-excludes'] ? [] : undefined,
      maxFileSize,
    },
  };
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const setup = scanSetup(values, positionals, io, 'migrate');
  const jobs = int('jobs', values.jobs, 1);
  const imageJobs = int('image-jobs', values['image-jobs'], 1);
  const retries = int('retries', values.retries, 0);
  const dryRun = Boolean(values['dry-run']);
  const pinDigest = Boolean(values['pin-digest']);
  const err = io.stderr;
  const show = (p: string) => displayPath(io.cwd, p);

  const under = setup.base.base + '/';
  const loaded = await loadWorkspaceFiles(setup.roots, { policy: setup.policy, signal: io.signal, ...setup.walk, keep: (f) => Boolean(f.ref?.name.startsWith(under)) });
  for (const e of loaded.errors) err.write(`${show(e.path)}${e.line !== undefined ? `:${e.line + 1}` : ''}: ${e.message}\n`);
  let plan;
  try {
    plan = planMigration(loaded.files, setup.base, { pathMapping: setup.config.pathMapping, pinDigest, only: list(values.only) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  for (const p of plan.unmatchedOnly) err.write(`ar-migrate migrate: --only ${p} matches no third-party image reference\n`);

  const toCopy = plan.images.filter((i) => i.status === 'pending');
  if (values['images-txt']) {
    const out = path.resolve(io.cwd, values['images-txt']);
    try {
      await writeFileAtomic(out, formatImagesTxt(toCopy.map((i) => i.image)));
    } catch (e) {
      throw new UsageError(`cannot write ${values['images-txt']}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    err.write(`wrote ${toCopy.length} image${toCopy.length === 1 ? '' : 's'} to ${values['images-txt']}\n`);
  }
  let result;
  if (dryRun) {
    result = dryRunResult(plan);
    if (pinDigest && toCopy.length) err.write('note: --pin-digest adds @sha256:... at run time (digests are not looked up in a dry run)\n');
  } else {
    if (toCopy.length) err.write(`Mirroring ${toCopy.length} image${toCopy.length === 1 ? '' : 's'} to ${setup.base.base}…\n`);
    let lastDraw = 0;
    const onProgress = (p: MigrationProgress) => {
      const e = p.event;
      if (io.isTTY && lastDraw && (e.type === 'image-done' || e.type === 'image-error' || e.type === 'retry')) {
        err.write('\r\x1b[K');
        lastDraw = 0;
      }
      if (e.type === 'image-done') {
        const r = e.result;
        err.write(`[${p.done}/${p.total}] ${e.source}: ${r.upToDate ? 'already mirrored' : `copied, ${formatBytes(r.bytesMoved)}`} (${formatBytes(p.bytes)} total)\n`);
        for (const w of r.warnings) err.write(`  warning: ${w}\n`);
      } else if (e.type === 'image-error') {
        err.write(`[${p.done}/${p.total}] ${e.source}: FAILED: ${e.error.message}\n`);
      } else if (e.type === 'retry') {
        err.write(`  retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)}s: ${e.reason}\n`);
      } else if (io.isTTY && e.type === 'blob-progress') {
        const now = Date.now();
        if (now - lastDraw > 250) {
          lastDraw = now;
          err.write(`\r[${p.done}/${p.total}] ${formatBytes(p.bytes)} copied…\x1b[K`);
        }
      }
    };
    result = await executeMigration(plan, {
      signal: io.signal,
      onProgress,
      platforms: list(values.platform).length ? list(values.platform) : undefined,
      jobsPerHost: jobs,
      imageJobs,
      insecureRegistries: list(values['insecure-registry']),
      credentials: new DockerConfigStore({ env: io.env, allowHelpers: !values['no-credential-helpers'] }),
      retry: retries !== undefined ? { retries } : undefined,
      dispatcher: setup.dispatcher,
    });
    if (io.isTTY && lastDraw) err.write('\r\x1b[K');
  }

  const changes = computeRewrites(plan, result, { assumeVerified: dryRun, pinDigest });
  const outcomes = await applyRewrites(changes, { dryRun, signal: io.signal });
  const report = buildReport(plan, result, changes, outcomes, { dryRun, display: show });

  if (dryRun) {
    const diff = changes.map((c) => unifiedDiff(show(c.path), c.oldText, c.newText)).join('');
    if (values.json) io.stdout.write(JSON.stringify({ ...report, diff }, null, 2) + '\n');
    else {
      io.stdout.write(diff);
      err.write(formatReport(report));
    }
    return 0;
  }
  if (values.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else io.stdout.write(formatReport(report));
  if (io.env[ENDPOINTS_ENV]) err.write(`note: registry endpoints overridden by ${ENDPOINTS_ENV}\n`);
  if (io.signal.aborted) return 130;
  const s = report.summary;
  return s.failed || s.filesFailed || s.filesSkipped ? 1 : 0;
}
