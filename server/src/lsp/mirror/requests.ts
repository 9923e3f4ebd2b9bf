/**
 * arMigrate/mirror (client -> server request, client/src/protocol.ts
 * MirrorParams -> MirrorResult): copies images into the target with `$/progress`
 * on the request's workDoneToken; `$/cancelRequest` aborts the copies (images
 * not verified by then come back `ok: false`, `cancelled: true`). Edits
 * nothing: the client asks arMigrate/rewriteEdits for the images that succeeded.
 *
 * arMigrate/checkCredentials (CheckCredentialsParams -> CheckCredentialsResult):
 * the credential source for the target registry and a push-access probe.
 */
import { CancellationToken, ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import type { ServerContext } from '../context';
import { pushScope } from '../../registry/auth';
import { header } from '../../registry/client';
import { MirrorSession } from '../../registry/copy';
import { redact } from '../../registry/errors';
import { abortOn, concurrencyOf, endpointDispatcher, inInputOrder, planJobs, resolveBase, runMirror, serverOptions, UNTRUSTED_MESSAGE } from './engine';
import { displayName, MirrorProgress } from './progress';
import type { CheckCredentialsParams, CheckCredentialsResult, MirrorParams, MirrorResult } from './protocol';

export async function handleMirror(ctx: ServerContext, params: MirrorParams | undefined, token: CancellationToken): Promise<MirrorResult> {
  const opts = serverOptions(ctx);
  if (!opts.trusted) throw new ResponseError(ErrorCodes.InvalidRequest, UNTRUSTED_MESSAGE);
  if (!params || !Array.isArray(params.images)) throw new ResponseError(ErrorCodes.InvalidParams, 'arMigrate/mirror: "images" must be a list of image references');
  if (params.images.length === 0) return { results: [] };
  const settings = await ctx.settingsFor();
  let base;
  try {
    base = resolveBase(settings, params.target);
  } catch (err) {
    throw new ResponseError(ErrorCodes.InvalidParams, (err as Error).message);
  }
  const plan = planJobs(params.images, base, settings.settings.pathMapping);
  const { jobs } = plan;
  const reporter = params.workDoneToken !== undefined ? ctx.connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
  const abort = abortOn(token);
  const progress = new MirrorProgress(jobs.map((j) => j.source), { report: (message, percentage) => reporter?.report(percentage, message) });
  const title = jobs.length === 1 ? `Mirroring ${displayName(jobs[0].source)}` : `Mirroring ${jobs.length} images`;
  reporter?.begin(title, 0, jobs.length ? `${displayName(jobs[0].source)} - resolving` : undefined, true);
  try {
    for (const j of jobs) ctx.log.info(`Mirroring ${j.source} -> ${j.target}`);
    const run = await runMirror(jobs, {
      signal: abort.signal,
      concurrency: concurrencyOf(settings),
      insecureRegistries: opts.insecureRegistries,
      allPlatforms: params.allPlatforms !== false,
      onProgress: (e) => progress.onEvent(e),
      onImageDone: (r) => progress.finish(r.source),
    });
    const results = inInputOrder(plan, run.results);
    for (const r of results) {
      if (r.ok) ctx.log.info(`mirrored ${r.source} -> ${r.target} (${r.digest})`);
      else ctx.log.error(`mirroring ${r.source} failed: ${r.error ?? 'unknown error'}`);
    }
    const cancelled = run.cancelled || token.isCancellationRequested;
    return cancelled ? { results, cancelled: true } : { results };
  } finally {
    progress.dispose();
    abort.dispose();
    try {
      reporter?.done();
    } catch {
      /* closed */
    }
  }
}

/** The part of the target an access check pushes to (an upload that is started and cancelled: nothing is stored). */
const CHECK_IMAGE = 'ar-migrate-access-check';

/**
 * arMigrate/checkCredentials: which credential the server would use for the
 * target registry (its source, never the secret), and whether it may push
 * there: an upload is started under the target and cancelled at once.
 */
export async function handleCheckCredentials(ctx: ServerContext, params: CheckCredentialsParams | undefined, token: CancellationToken): Promise<CheckCredentialsResult> {
  const opts = serverOptions(ctx);
  if (!opts.trusted) throw new ResponseError(ErrorCodes.InvalidRequest, UNTRUSTED_MESSAGE);
  const settings = await ctx.settingsFor();
  let base;
  try {
    base = resolveBase(settings, params?.target);
  } catch (err) {
    return { ok: false, message: redact((err as Error).message) };
  }
  let dispatcher;
  try {
    dispatcher = endpointDispatcher();
  } catch (err) {
    return { ok: false, message: redact((err as Error).message) };
  }
  const abort = abortOn(token);
  const session = new MirrorSession({ insecureRegistries: opts.insecureRegistries, allowCredentialHelpers: true, dispatcher, retry: { retries: 1 } });
  const registry = base.host;
  const repo = [base.base.slice(registry.length + 1), CHECK_IMAGE].join('/');
  try {
    const cred = await session.credentials.get(registry, abort.signal).catch(() => undefined);
    const user = cred && 'username' in cred && cred.username && cred.username !== 'oauth2accesstoken' && cred.username !== '<token>' ? ` (user ${cred.username})` : '';
    const identity = cred ? `${cred.source}${user}` : `anonymous: no credentials found (${session.credentials.describe(registry)})`;
    const client = session.client(registry);
    const res = await client.request({
      method: 'POST',
      path: `/v2/${repo}/blobs/uploads/`,
      headers: { 'content-length': '0' },
      scopes: [pushScope(repo)],
      signal: abort.signal,
      what: `push access to ${base.base}`,
    });
    await res.body.dump().catch(() => undefined);
    const loc = header(res, 'location');
    if (loc) {
      // Cancel the empty upload; a registry that refuses the DELETE lets it expire.
      await client
        .send({ method: 'DELETE', url: new URL(loc, res.url).toString(), scopes: [pushScope(repo)], signal: abort.signal, what: 'cancel the access-check upload', accept: [400, 404, 405] })
        .then((r) => r.body.dump())
        .catch(() => undefined);
    }
    return { ok: true, identity, message: `can push to ${base.base}` };
  } catch (err) {
    if (abort.signal.aborted) return { ok: false, message: `checking access to ${base.base} was cancelled` };
    const message = redact((err as Error)?.message ?? String(err)).replace(`push access to ${base.base}: `, '');
    return { ok: false, message: `cannot push to ${base.base}: ${message}` };
  } finally {
    abort.dispose();
  }
}
