/**
 * `ar-migrate drift [PATH...] --target BASE [--json]`: for every reference to
 * a mirrored image under BASE, compares the upstream tag's current digest with
 * the mirror's (HEAD requests only: no Docker Hub pulls are counted). For CI:
 * exit 0 when everything checked is in sync, 1 when anything drifted, is
 * missing or could not be checked, 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { checkDrift, DriftEntry, DriftStatus, hasDrift } from '../drift';
import { DockerConfigStore } from '../registry/credentials';
import { CONFIG_FILE_NAME } from '../workspace/config';
import { scanPaths } from '../workspace/scan';
import { CliIO, UsageError } from './io';
import { int, scanSetup, TARGET_SCAN_OPTIONS } from './migrate';
import { displayPath } from './scan';

const HELP = `Usage: ar-migrate drift [PATH...] --target BASE [options]

Finds references to images mirrored under BASE (Artifact Registry) in the
Dockerfiles and YAML under each PATH (default: the current directory), maps
each back to its upstream image (BASE/nginx -> docker.io/library/nginx,
BASE/bitnami/redis -> docker.io/bitnami/redis, BASE/quay.io/x/y -> quay.io/x/y)
and compares the upstream tag's current digest with the mirror's. Only HEAD
requests are made (they do not count as Docker Hub pulls).

  --target BASE             the mirror base (or "target" in ${CONFIG_FILE_NAME})
  --json                    print the report as JSON on stdout
  --insecure-registry HOST  allow plain HTTP to HOST[:PORT] (repeatable; loopback always allowed)
  --no-credential-helpers   never run docker-credential-* helpers or gcloud
  --retries N               retries of a failed request (default 4)
  --first-party, --ignore, --config, --exclude, --no-default-excludes, --max-file-size
                            as in "ar-migrate scan"
  -h, --help                this help

Statuses: in-sync, drifted (upstream tag moved; re-mirror with
"ar-migrate mirror UPSTREAM MIRROR"), upstream-missing, mirror-missing,
error (could not check), unchecked (no tag, variables, unknown upstream).
Exit status: 0 all in sync, 1 drift or a problem found, 2 usage error.
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...TARGET_SCAN_OPTIONS, json: { type: 'boolean' } },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}\nRun "ar-migrate drift --help" for the options.`);
  }
}

const LABEL: Record<DriftStatus, string> = {
  'in-sync': 'in sync',
  drifted: 'DRIFTED',
  'upstream-missing': 'UPSTREAM MISSING',
  'mirror-missing': 'MIRROR MISSING',
  error: 'ERROR',
  unchecked: 'unchecked',
};

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const setup = scanSetup(values, positionals, io, 'drift');
  const retries = int('retries', values.retries, 0);
  const show = (p: string) => displayPath(io.cwd, p);
  const scanned = await scanPaths(setup.roots, { policy: setup.policy, signal: io.signal, ...setup.walk });
  for (const e of scanned.errors) io.stderr.write(`${show(e.path)}${e.line !== undefined ? `:${e.line + 1}` : ''}: ${e.message}\n`);
  const report = await checkDrift(scanned.files, setup.base, {
    pathMapping: setup.config.pathMapping,
    signal: io.signal,
    insecureRegistries: (values['insecure-registry'] as string[] | undefined) ?? [],
    credentials: new DockerConfigStore({ env: io.env, allowHelpers: !values['no-credential-helpers'] }),
    retry: retries !== undefined ? { retries } : undefined,
    dispatcher: setup.dispatcher,
    onEntry: values.json ? undefined : (e, done, total) => io.stderr.write(`[${done}/${total}] ${e.mirror}: ${LABEL[e.status]}\n`),
  });
  const loc = (e: DriftEntry) => e.references.map((r) => `${show(r.file)}:${r.range.start.line + 1}`);
  if (values.json) {
    const doc = {
      target: report.target,
      entries: report.entries.map((e) => ({ ...e, references: e.references.map((r) => ({ file: show(r.file), line: r.range.start.line + 1, column: r.range.start.character + 1, text: r.text })) })),
      summary: report.summary,
    };
    io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    const s = report.summary;
    if (report.entries.length === 0) {
      io.stdout.write(`No reference to an image mirrored under ${report.target} was found.\n`);
    } else {
      for (const e of report.entries) {
        io.stdout.write(`${LABEL[e.status].padEnd(16)} ${e.mirror}${e.upstream ? ` <- ${e.upstream}` : ''}\n`);
        if (e.reason && e.status !== 'in-sync') io.stdout.write(`                 ${e.reason}\n`);
        if (e.status === 'drifted' || e.status === 'mirror-missing') {
          io.stdout.write(`                 re-mirror: ar-migrate mirror ${e.upstream} ${e.mirror.replace(/@.*$/, '')}\n`);
          if (e.pinnedDigest) io.stdout.write('                 then update the pinned digest in the references\n');
        }
        io.stdout.write(`                 at ${loc(e).join(', ')}\n`);
      }
      io.stdout.write(
        `\n${report.entries.length} mirrored image(s): ${s['in-sync']} in sync, ${s.drifted} drifted, ${s['upstream-missing']} upstream missing, ` +
          `${s['mirror-missing']} mirror missing, ${s.error} errors, ${s.unchecked} unchecked.\n`,
      );
    }
  }
  if (io.signal.aborted) return 130;
  return hasDrift(report) ? 1 : 0;
}
