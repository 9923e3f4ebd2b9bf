/**
 * workspace/executeCommand handlers:
 *   arMigrate.mirrorAndRewrite  [{ uri, range, image }]  one reference
 *   arMigrate.server.mirrorFile [{ uri }]                 every third-party image of a file
 *
 * Flow: server-initiated work-done progress (window/workDoneProgress/create,
 * cancellable: window/workDoneProgress/cancel aborts the copy), copy all
 * platforms with the mirror engine, verify the target digest, and only then
 * send workspace/applyEdit with edits computed from the document as it is at
 * that moment. A failure edits nothing and shows an error naming the image.
 */
import { pathToFileURL } from 'node:url';
import { CancellationToken, ExecuteCommandParams, MessageType, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import type { TextEdit } from 'vscode-languageserver/node';
import { parseTargetBase, targetName } from '../../references/target';
import type { Finding } from '../../model';
import { parseNormalized } from '../../references/reference';
import { redactLog } from '../../redact';
import type { ServerContext } from '../context';
import type { EffectiveSettings } from '../settings';
import { currentDocument, isMirrorable, planFile, planOne, toWorkspaceEdit } from './edits';
import {
  abortOn,
  appendMirrorLog,
  concurrencyOf,
  MirrorJob,
  planJobs,
  resolveBase,
  runMirror,
  serverOptions,
  UNTRUSTED_MESSAGE,
} from './engine';
import { displayName, humanBytes, MirrorProgress } from './progress';
import type { MirrorAndRewriteArgs, MirrorCommandResult, MirrorFileArgs, MirrorImageResult } from './protocol';

const SHOW_LOG = 'Show log';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Text shown to the user (popups, the command's answer) goes through the
 * redaction: error text can carry what a registry, a client or a setting
 * echoed (user:password@ URLs, bearer tokens, access tokens).
 */
const clean = (text: string): string => redactLog(text);

/** The command's answer with every user-visible text redacted (sources and targets may be raw arguments). */
function cleanResult(r: MirrorCommandResult): MirrorCommandResult {
  return {
    ...r,
    results: r.results.map((x) => ({ ...x, source: clean(x.source), target: clean(x.target), ...(x.error !== undefined ? { error: clean(x.error) } : {}) })),
    ...(r.message !== undefined ? { message: clean(r.message) } : {}),
  };
}

/** Shows an error; with a "Show log" button when the client can open the mirror log file. */
async function showError(ctx: ServerContext, rawMessage: string, logFile: string | undefined): Promise<void> {
  const message = clean(rawMessage);
  ctx.log.error(message);
  const caps = ctx.initializeParams()?.capabilities.window;
  try {
    if (logFile && caps?.showDocument?.support) {
      // Not awaited: the command answers now; the button works while the message is shown.
      void ctx.connection.window
        .showErrorMessage(`AR Migrate: ${message}`, { title: SHOW_LOG })
        .then((choice) => (choice?.title === SHOW_LOG ? ctx.connection.window.showDocument({ uri: pathToFileURL(logFile).toString(), takeFocus: true }) : undefined))
        .catch(() => undefined);
      return;
    }
    ctx.connection.window.showErrorMessage(`AR Migrate: ${message}`);
  } catch {
    /* the client went away */
  }
}

function notify(ctx: ServerContext, type: MessageType, rawMessage: string): void {
  const message = clean(rawMessage);
  try {
    if (type === MessageType.Info) ctx.connection.window.showInformationMessage(`AR Migrate: ${message}`);
    else ctx.connection.window.showWarningMessage(`AR Migrate: ${message}`);
  } catch {
    /* the client went away */
  }
  if (type === MessageType.Info) ctx.log.info(message);
  else ctx.log.warn(message);
}

function describeOk(r: MirrorImageResult): string {
  const parts = [r.digest ? r.digest.slice(0, 19) : undefined, r.bytes !== undefined ? humanBytes(r.bytes) : undefined, r.blobs !== undefined ? `${r.blobs} blobs` : undefined].filter(Boolean);
  return `${displayName(r.source)} -> ${r.target}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** What to copy where, and the repository name each rewritten reference gets. */
interface Prepared {
  settings: EffectiveSettings;
  jobs: MirrorJob[];
  invalid: MirrorImageResult[];
  nameFor(f: Finding): string | undefined;
}

/** Copies the jobs under server-initiated progress; cancels with the progress or the request. */
async function mirrorWithProgress(ctx: ServerContext, p: Prepared, title: string, token: CancellationToken): Promise<{ results: MirrorImageResult[]; cancelled: boolean; logFile?: string }> {
  const opts = serverOptions(ctx);
  const { settings, jobs, invalid } = p;
  let reporter: WorkDoneProgressServerReporter | undefined;
  try {
    reporter = await ctx.connection.window.createWorkDoneProgress();
  } catch (err) {
    ctx.log.warn(`work-done progress unavailable: ${(err as Error)?.message ?? err}`);
  }
  const abort = abortOn(token, reporter?.token);
  const progress = new MirrorProgress(
    jobs.map((j) => j.source),
    { report: (message, percentage) => reporter?.report(percentage, message) },
  );
  reporter?.begin(title, 0, jobs.length ? `${displayName(jobs[0].source)} - resolving` : undefined, true);
  for (const j of jobs) ctx.log.info(`Mirroring ${j.source} -> ${j.target}`);
  try {
    const run = await runMirror(jobs, {
      signal: abort.signal,
      concurrency: concurrencyOf(settings),
      insecureRegistries: opts.insecureRegistries,
      onProgress: (e) => progress.onEvent(e),
      onImageDone: (r) => progress.finish(r.source),
      log: ctx.log,
    });
    const results = [...invalid, ...run.results];
    const lines = results.map((r) => (r.ok ? `mirrored ${describeOk(r)}` : `FAILED ${r.source}: ${r.error ?? 'unknown error'}`));
    for (const l of lines) {
      if (l.startsWith('FAILED')) ctx.log.error(l);
      else ctx.log.info(l);
    }
    const logFile = await appendMirrorLog(opts.storagePath, lines);
    return { results, cancelled: run.cancelled || abort.signal.aborted, logFile };
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

async function applyEdit(ctx: ServerContext, label: string, doc: NonNullable<Awaited<ReturnType<typeof currentDocument>>>, edits: TextEdit[]): Promise<{ applied: boolean; reason?: string }> {
  try {
    const res = await ctx.connection.workspace.applyEdit({ label, edit: toWorkspaceEdit(ctx, doc, edits) });
    return { applied: Boolean(res.applied), reason: res.failureReason };
  } catch (err) {
    return { applied: false, reason: (err as Error)?.message ?? String(err) };
  }
}

function refuse(ctx: ServerContext, rawMessage: string): MirrorCommandResult {
  const message = clean(rawMessage);
  try {
    ctx.connection.window.showErrorMessage(`AR Migrate: ${message}`);
  } catch {
    /* the client went away */
  }
  ctx.log.warn(message);
  return { results: [], cancelled: false, rewritten: 0, message };
}

/**
 * The plan for `images` with the configured target. `explicitTarget` (the full
 * target reference a code action carried) is used only when no valid target is
 * configured now, and only for a single image.
 */
async function prepare(ctx: ServerContext, uri: string | undefined, images: string[], explicitTarget?: string): Promise<Prepared | string> {
  if (!serverOptions(ctx).trusted) return UNTRUSTED_MESSAGE;
  const settings = await ctx.settingsFor(uri);
  const pathMapping = settings.settings.pathMapping;
  try {
    const base = resolveBase(settings);
    const { jobs, invalid } = planJobs(images, base, pathMapping);
    return { settings, jobs, invalid, nameFor: (f) => (f.ref ? targetName(f.ref, base, { pathMapping }) : undefined) };
  } catch (err) {
    const fallback = images.length === 1 && explicitTarget ? explicitJob(images[0], explicitTarget) : undefined;
    if (fallback) return { settings, jobs: [fallback.job], invalid: [], nameFor: () => fallback.name };
    return `cannot mirror ${images.map(displayName).join(', ') || 'the images'}: ${(err as Error).message}`;
  }
}

/** A job for an explicit full target reference under an Artifact Registry repository; undefined when it is not one. */
function explicitJob(image: string, target: string): { job: MirrorJob; name: string } | undefined {
  const src = parseNormalized(image.trim());
  const dst = parseNormalized(target.trim());
  if (!src.ok || !dst.ok || !parseTargetBase(dst.value.name).ok) return undefined;
  return { job: { source: src.value.normalized, target: target.trim() }, name: dst.value.name };
}

/** arMigrate.mirrorAndRewrite: one reference. */
export async function mirrorAndRewrite(ctx: ServerContext, arg: unknown, token: CancellationToken): Promise<MirrorCommandResult> {
  const a = (Array.isArray(arg) ? arg[0] : arg) as Partial<MirrorAndRewriteArgs> | undefined;
  const image = isObject(a) ? (typeof a.image === 'string' ? a.image : typeof a.normalized === 'string' ? a.normalized : undefined) : undefined;
  if (!a || !image) return refuse(ctx, 'Mirror and rewrite: missing image argument ({ uri, range, image }).');
  const uri = typeof a.uri === 'string' ? a.uri : undefined;
  const p = await prepare(ctx, uri, [image], typeof a.target === 'string' ? a.target : undefined);
  if (typeof p === 'string') return refuse(ctx, p);
  const name = displayName(image);
  const run = await mirrorWithProgress(ctx, p, `Mirroring ${name}`, token);
  const failed = run.results.filter((r) => !r.ok);
  if (run.cancelled) {
    const message = `mirroring ${name} was cancelled; nothing was rewritten.`;
    notify(ctx, MessageType.Warning, message);
    return { results: run.results, cancelled: true, rewritten: 0, message };
  }
  if (failed.length || run.results.length === 0) {
    const message = `could not mirror ${name}: ${failed[0]?.error ?? 'nothing was copied'}. Nothing was rewritten.`;
    await showError(ctx, message, run.logFile);
    return { results: run.results, cancelled: false, rewritten: 0, message };
  }
  const ok = run.results[0];
  if (!uri) {
    notify(ctx, MessageType.Info, `mirrored ${describeOk(ok)}.`);
    return { results: run.results, cancelled: false, rewritten: 0 };
  }
  const doc = await currentDocument(ctx, uri);
  const plan = doc ? planOne(doc, p.settings, p.nameFor, ok.source, isObject(a.range) ? (a.range as MirrorAndRewriteArgs['range']) : undefined) : { ok: false as const, reason: 'the document is no longer available' };
  if (!doc || !plan.ok) {
    const message = `mirrored ${describeOk(ok)}, but did not rewrite: ${plan.ok ? 'no document' : plan.reason}.`;
    notify(ctx, MessageType.Warning, message);
    return { results: run.results, cancelled: false, rewritten: 0, message };
  }
  const applied = await applyEdit(ctx, `Mirror ${name} to Artifact Registry and rewrite`, doc, plan.edits);
  if (!applied.applied) {
    const message = `mirrored ${describeOk(ok)}, but the editor did not apply the rewrite${applied.reason ? ` (${applied.reason})` : ''}.`;
    notify(ctx, MessageType.Warning, message);
    return { results: run.results, cancelled: false, rewritten: 0, message };
  }
  ctx.log.info(`rewrote ${plan.rewritten.length} reference(s) to ${ok.source} in ${uri}`);
  notify(ctx, MessageType.Info, `mirrored ${describeOk(ok)} and rewrote the reference.`);
  return { results: run.results, cancelled: false, rewritten: plan.rewritten.length };
}

/** arMigrate.server.mirrorFile: every third-party image of a document. */
export async function mirrorFile(ctx: ServerContext, arg: unknown, token: CancellationToken): Promise<MirrorCommandResult> {
  const a = (Array.isArray(arg) ? arg[0] : arg) as Partial<MirrorFileArgs> | undefined;
  const uri = isObject(a) && typeof a.uri === 'string' ? a.uri : undefined;
  if (!uri) return refuse(ctx, 'Mirror all images in this file: missing uri argument ({ uri }).');
  if (!serverOptions(ctx).trusted) return refuse(ctx, UNTRUSTED_MESSAGE);
  const settings = await ctx.settingsFor(uri);
  const doc0 = await currentDocument(ctx, uri);
  if (!doc0) return refuse(ctx, `cannot read ${uri}.`);
  const images = [...new Set(doc0.state.analyze(settings).findings.filter(isMirrorable).map((f) => f.normalized!))];
  if (images.length === 0) {
    notify(ctx, MessageType.Info, 'no third-party images to mirror in this file.');
    return { results: [], cancelled: false, rewritten: 0, message: 'no third-party images' };
  }
  const p = await prepare(ctx, uri, images);
  if (typeof p === 'string') return refuse(ctx, p);
  const run = await mirrorWithProgress(ctx, p, `Mirroring ${images.length} image${images.length === 1 ? '' : 's'}`, token);
  const ok = run.results.filter((r) => r.ok);
  const failed = run.results.filter((r) => !r.ok);
  if (run.cancelled) {
    const message = `mirroring was cancelled after ${ok.length} of ${images.length} image(s); nothing was rewritten.`;
    notify(ctx, MessageType.Warning, message);
    return { results: run.results, cancelled: true, rewritten: 0, message };
  }
  let rewritten = 0;
  let note: string | undefined;
  if (ok.length) {
    const doc = await currentDocument(ctx, uri);
    const plan = doc ? planFile(doc, p.settings, p.nameFor, new Set(ok.map((r) => r.source))) : { ok: false as const, reason: 'the document is no longer available' };
    if (doc && plan.ok) {
      for (const s of plan.skipped) ctx.log.warn(`not rewritten: ${s.image} at ${uri}:${s.line + 1}: ${s.reason}`);
      const applied = await applyEdit(ctx, `Mirror ${ok.length} image(s) to Artifact Registry and rewrite`, doc, plan.edits);
      if (applied.applied) rewritten = plan.rewritten.length;
      else note = `the editor did not apply the rewrite${applied.reason ? ` (${applied.reason})` : ''}`;
    } else note = plan.ok ? 'no document' : plan.reason;
  }
  const summary = `mirrored ${ok.length} of ${run.results.length} image(s), rewrote ${rewritten} reference(s)${note ? ` (${note})` : ''}`;
  if (failed.length) {
    const message = `${summary}; could not mirror ${displayName(failed[0].source)}: ${failed[0].error ?? 'unknown error'}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}.`;
    await showError(ctx, message, run.logFile);
    return { results: run.results, cancelled: false, rewritten, message };
  }
  notify(ctx, note ? MessageType.Warning : MessageType.Info, `${summary}.`);
  return { results: run.results, cancelled: false, rewritten, message: note };
}

export async function executeMirrorCommand(ctx: ServerContext, params: ExecuteCommandParams, token: CancellationToken, which: 'one' | 'file'): Promise<MirrorCommandResult> {
  const arg = params.arguments?.[0];
  return cleanResult(which === 'one' ? await mirrorAndRewrite(ctx, arg, token) : await mirrorFile(ctx, arg, token));
}
