/**
 * arMigrate/checkAccess and arMigrate/setupLogging: the CLI's `check` and
 * `setup-logging` (gcp/check.ts runChecks, gcp/logging.ts setupPullLogging)
 * for the editor. Credentials: Application Default Credentials of the server
 * process; endpoints overridable with AR_MIGRATE_ENDPOINT_* (gcp/auth.ts).
 */
import { CancellationToken, ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { parseTargetBase, TargetBase } from '../../gcp/artifactRegistry';
import { GcpApi } from '../../gcp/auth';
import { parseDatasetRef } from '../../gcp/bigqueryAdmin';
import { runChecks } from '../../gcp/check';
import { GcpError } from '../../gcp/errors';
import { validateMember, validateProjectId } from '../../gcp/iam';
import { setupPullLogging } from '../../gcp/logging';
import { formatResult } from '../../cli/setupLogging';
import type { ServerContext } from '../context';
import { HOW_TO_SET_TARGET } from '../settings';
import { cancelledError, isObject, requireTrust, stringList, userError, withRequest } from './common';
import type { CheckAccessParams, CheckAccessResult, SetupLoggingParams, SetupLoggingResult } from './protocol';

/** Tests and embedders may replace how the Google API client is made. */
export let makeGcpApi = (): GcpApi => new GcpApi({ env: process.env });
export function setGcpApiFactory(f: () => GcpApi): void {
  makeGcpApi = f;
}

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

async function resolveTarget(ctx: ServerContext, explicit: unknown): Promise<TargetBase> {
  let text = typeof explicit === 'string' && explicit.trim() ? explicit.trim() : undefined;
  if (!text) {
    const s = await ctx.settingsFor();
    text = s.settings.target || undefined;
  }
  if (!text) throw invalid(`Check access: no Artifact Registry target is configured. ${HOW_TO_SET_TARGET}`);
  const t = parseTargetBase(text);
  if (!t.ok) throw invalid(`Check access: ${t.error}`);
  return t.value;
}

function gcpFailure(what: string, err: unknown): ResponseError<void> {
  if (err instanceof GcpError && err.kind === 'cancelled') return cancelledError();
  return userError(what, err);
}

export async function handleCheckAccess(ctx: ServerContext, params: CheckAccessParams | undefined, token: CancellationToken): Promise<CheckAccessResult> {
  requireTrust(ctx, 'Check access');
  const p: Partial<CheckAccessParams> = isObject(params) ? params : {};
  const target = await resolveTarget(ctx, p.target);
  const members = stringList(p.members);
  for (const m of members) {
    const err = validateMember(m);
    if (err) throw invalid(`Check access: ${err}`);
  }
  const gkeProjects = stringList(p.gkeProjects);
  const cloudRunProjects = stringList(p.cloudRunProjects);
  for (const pr of [...gkeProjects, ...cloudRunProjects]) {
    const err = validateProjectId(pr);
    if (err) throw invalid(`Check access: ${err}`);
  }
  const nodeServiceAccount = typeof p.nodeServiceAccount === 'string' && p.nodeServiceAccount.trim() ? p.nodeServiceAccount.trim() : undefined;
  if (nodeServiceAccount) {
    const err = validateMember(nodeServiceAccount);
    if (err) throw invalid(`Check access: ${err}`);
    if (gkeProjects.length === 0) gkeProjects.push(target.project);
  }
  return withRequest(ctx, params, token, `AR Migrate: checking ${target.base}`, async (signal, report) => {
    let r;
    try {
      r = await runChecks(makeGcpApi(), {
        target,
        create: p.create === true,
        signal,
        identities: { members, gkeProjects, cloudRunProjects, nodeServiceAccount },
        onProgress: (m) => report(m),
      });
    } catch (err) {
      throw gcpFailure(`Check access to ${target.base}`, err);
    }
    for (const f of r.findings) {
      const line = `check ${target.base}: ${f.severity}: ${f.message}${f.fix && f.severity !== 'ok' ? ` (fix: ${f.fix})` : ''}`;
      if (f.severity === 'error') ctx.log.error(line);
      else if (f.severity === 'warning') ctx.log.warn(line);
      else ctx.log.info(line);
    }
    return {
      target: { base: target.base, project: target.project, location: target.location, repository: target.repository },
      ok: r.ok,
      findings: r.findings.map((f) => ({ id: f.id, severity: f.severity, message: f.message, ...(f.fix ? { fix: f.fix } : {}), ...(f.member ? { member: f.member } : {}) })),
      identities: r.identities.map((i) => ({ member: i.member, description: i.description })),
      fixes: r.findings.filter((f) => f.fix && f.severity !== 'ok').map((f) => f.fix!),
    };
  });
}

const LOCATION_RE = /^[A-Za-z]+(?:-[a-z]+[0-9]*)?$/;

export async function handleSetupLogging(ctx: ServerContext, params: SetupLoggingParams | undefined, token: CancellationToken): Promise<SetupLoggingResult> {
  requireTrust(ctx, 'Set up pull logging');
  const p: Partial<SetupLoggingParams> = isObject(params) ? params : {};
  const projects = stringList(p.projects);
  if (projects.length === 0) throw invalid('Set up pull logging: "projects" is required: the projects whose clusters pull images');
  for (const pr of projects) {
    const err = validateProjectId(pr);
    if (err) throw invalid(`Set up pull logging: ${err}`);
  }
  if (typeof p.dataset !== 'string' || !p.dataset.trim()) throw invalid('Set up pull logging: "dataset" is required: DEST_PROJECT.DATASET, e.g. my-logs-project.image_pulls');
  const ds = parseDatasetRef(p.dataset.trim());
  if (!ds.ok) throw invalid(`Set up pull logging: ${ds.error}`);
  const location = typeof p.location === 'string' && p.location.trim() ? p.location.trim() : undefined;
  if (location !== undefined && !LOCATION_RE.test(location)) throw invalid(`Set up pull logging: "${location}" is not a BigQuery location (e.g. US, EU, europe-west1)`);
  const sinkName = typeof p.sink === 'string' && p.sink.trim() ? p.sink.trim() : undefined;
  if (sinkName !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(sinkName)) throw invalid(`Set up pull logging: "${sinkName}" is not a valid sink name (letters, digits, _ - ., up to 100)`);
  const dsText = `${ds.value.project}.${ds.value.datasetId}`;
  return withRequest(ctx, params, token, `AR Migrate: setting up pull logging into ${dsText}`, async (signal, report) => {
    let r;
    try {
      r = await setupPullLogging(makeGcpApi(), { projects, dataset: ds.value, location, sinkName, signal, onProgress: (m) => report(m) });
    } catch (err) {
      throw gcpFailure(`Set up pull logging into ${dsText}`, err);
    }
    const text = formatResult(r);
    for (const line of text.split('\n')) if (line.trim()) ctx.log.info(`setup-logging: ${line}`);
    const { table: _table, cli, ...settings } = r.pullCountSettings;
    const clean: Record<string, string | boolean> = {};
    for (const [k, v] of Object.entries(settings)) if (v !== undefined) clean[k] = v as string | boolean;
    return {
      dataset: dsText,
      datasetCreated: r.datasetCreated,
      datasetLocation: r.datasetLocation,
      locationNote: r.locationNote,
      sinks: r.sinks.map((s) => ({ ...s })),
      changed: r.changed,
      settings: clean,
      cli,
      text,
    };
  });
}
