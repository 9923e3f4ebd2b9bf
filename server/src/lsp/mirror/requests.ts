/**
 * arMigrate/mirror (client -> server request, client/src/protocol.ts
 * MirrorParams -> MirrorResult): copies images into the target with `$/progress`
 * on the request's workDoneToken; `$/cancelRequest` aborts the copies (images
 * not verified by then come back `ok: false`, `cancelled: true`). Edits
 * nothing: the client asks arMigrate/rewriteEdits for the images that succeeded.
 */
import { CancellationToken, ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import type { ServerContext } from '../context';
import { abortOn, concurrencyOf, planJobs, resolveBase, runMirror, serverOptions, UNTRUSTED_MESSAGE } from './engine';
import { displayName, MirrorProgress } from './progress';
import type { MirrorParams, MirrorResult } from './protocol';

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
  const { jobs, invalid } = planJobs(params.images, base, settings.settings.pathMapping);
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
    const results = [...invalid, ...run.results];
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
