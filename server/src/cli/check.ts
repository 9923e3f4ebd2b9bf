/**
 * `ar-migrate check`: the target Artifact Registry repository exists and is
 * Docker, you can push to it, and the runtime identities can pull from it.
 * Exit 0 all good, 1 problems found (or a failure), 2 usage error.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseTargetBase, TargetBase } from '../references/target';
import { GcpApi } from '../gcp/auth';
import { CheckFinding, CheckReport, runChecks } from '../gcp/check';
import { validateMember, validateProjectId } from '../gcp/iam';
import { CONFIG_FILE_NAME, findConfig, loadProjectConfig, ProjectConfig } from '../workspace/config';
import { CliIO, list, UsageError } from './io';

const HELP = `Usage: ar-migrate check [options]

Checks the target Artifact Registry repository before a migration:
  - it exists and is a Docker repository (--create makes it),
  - you can push to it (artifactregistry.repositories.uploadArtifacts),
  - the identities that run your workloads can pull from it
    (a role with artifactregistry.repositories.downloadArtifacts on the
    repository or project), with the gcloud command that fixes each gap.

Target:
  --target BASE                LOCATION-docker.pkg.dev/PROJECT/REPOSITORY (default: "target"
                               in ${CONFIG_FILE_NAME}, or $AR_MIGRATE_TARGET)
  --config FILE                settings file (default: ${CONFIG_FILE_NAME} in the current directory)
  --create                     create the repository when it does not exist

Who pulls (default: the GKE node service account of the target project):
  --identity PRINCIPAL         serviceAccount:EMAIL, user:EMAIL, group:EMAIL or an email (repeatable)
  --gke-project PROJECT        GKE clusters in PROJECT pull (its Compute Engine default SA; repeatable)
  --node-service-account SA    the nodes' service account when it is not the Compute Engine default
  --cloud-run-project PROJECT  Cloud Run services in PROJECT pull (its Cloud Run service agent; repeatable)

  --json                       machine-readable report
  -h, --help                   this help

Credentials: Application Default Credentials (\`gcloud auth application-default login\`).
Exit status: 0 no problem, 1 problems found, 2 usage error.
`;

function splitList(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Resolves the target from the flag, the config file or the environment. */
export function resolveTarget(flag: string | undefined, configFile: string | undefined, io: CliIO): TargetBase {
  let text = flag;
  let source = '--target';
  if (!text) {
    let cfg: { file: string; config: ProjectConfig } | undefined;
    try {
      // a missing --config file or an invalid config is a usage error (exit 2), as in migrate and drift
      cfg = configFile ? { file: path.resolve(io.cwd, configFile), config: loadProjectConfig(configFile, [], io.cwd) } : findConfig(io.cwd);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (cfg?.config.target) {
      text = cfg.config.target;
      source = cfg.file;
    }
  }
  if (!text && io.env.AR_MIGRATE_TARGET) {
    text = io.env.AR_MIGRATE_TARGET;
    source = 'AR_MIGRATE_TARGET';
  }
  if (!text) {
    throw new UsageError(`no target: pass --target LOCATION-docker.pkg.dev/PROJECT/REPOSITORY, or set "target" in ${CONFIG_FILE_NAME}`);
  }
  const t = parseTargetBase(text);
  if (!t.ok) throw new UsageError(`${source}: ${t.error}`);
  return t.value;
}

const MARK: Record<CheckFinding['severity'], string> = { ok: 'ok     ', info: 'info   ', warning: 'warning', error: 'ERROR  ' };

export function formatReport(r: CheckReport): string {
  const t = r.target;
  const lines = [`Target ${t.base}  (repository ${t.repository}, project ${t.project}, location ${t.location}${t.prefix ? `, path prefix ${t.prefix}` : ''})`, ''];
  for (const f of r.findings) {
    lines.push(`  ${MARK[f.severity]} ${f.message}`);
    if (f.fix && f.severity !== 'ok') lines.push(`          fix: ${f.fix}`);
  }
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  lines.push('');
  lines.push(
    errors === 0 && warnings === 0
      ? 'No problems found.'
      : `${errors} problem${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''} found.`,
  );
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        target: { type: 'string' },
        config: { type: 'string' },
        create: { type: 'boolean' },
        identity: { type: 'string', multiple: true },
        'gke-project': { type: 'string', multiple: true },
        'node-service-account': { type: 'string' },
        'cloud-run-project': { type: 'string', multiple: true },
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
  const target = resolveTarget(values.target as string | undefined, values.config as string | undefined, io);
  const members = splitList(list(values.identity));
  for (const m of members) {
    const err = validateMember(m);
    if (err) throw new UsageError(`--identity: ${err}`);
  }
  const nodeSa = values['node-service-account'] as string | undefined;
  if (nodeSa) {
    const err = validateMember(nodeSa);
    if (err) throw new UsageError(`--node-service-account: ${err}`);
  }
  const gkeProjects = splitList(list(values['gke-project']));
  const cloudRunProjects = splitList(list(values['cloud-run-project']));
  for (const p of [...gkeProjects, ...cloudRunProjects]) {
    const err = validateProjectId(p);
    if (err) throw new UsageError(err);
  }
  if (nodeSa && gkeProjects.length === 0) gkeProjects.push(target.project);

  const api = new GcpApi({ env: io.env });
  const json = !!values.json;
  const report = await runChecks(api, {
    target,
    create: !!values.create,
    signal: io.signal,
    identities: { members, gkeProjects, nodeServiceAccount: nodeSa, cloudRunProjects },
    onProgress: (msg) => {
      if (!json || io.isTTY) io.stderr.write(`${msg}\n`);
    },
  });
  if (json) {
    io.stdout.write(
      JSON.stringify(
        {
          target: { base: report.target.base, project: target.project, location: target.location, repository: target.repository, prefix: target.prefix },
          repository: report.repository ?? null,
          identities: report.identities.map((i) => ({ member: i.member, description: i.description, access: i.access ?? null })),
          findings: report.findings,
          ok: report.ok,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    io.stdout.write(formatReport(report));
  }
  return report.ok ? 0 : 1;
}
