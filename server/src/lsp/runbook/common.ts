/**
 * Shared by the runbook requests: the trust guard, work-done progress on a
 * request's token, cancellation as an AbortSignal, and error mapping (a
 * user-facing ResponseError naming what failed; never a credential).
 */
import { CancellationToken, ErrorCodes, LSPErrorCodes, ResponseError, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { redact } from '../server';
import type { ServerContext } from '../context';
import { abortOn, serverOptions } from '../mirror/engine';

/** Refusal for an untrusted workspace (the client disables the commands too). */
export function untrustedMessage(what: string): string {
  return `${what} needs a trusted workspace: it runs kubectl or contacts Google Cloud and registries with your credentials. Trust the workspace, then try again.`;
}

export function requireTrust(ctx: ServerContext, what: string): void {
  if (!serverOptions(ctx).trusted) throw new ResponseError(ErrorCodes.InvalidRequest, untrustedMessage(what));
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Strings from a list or a comma-separated string, trimmed, non-empty. */
export function stringList(v: unknown): string[] {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return items
    .filter((x): x is string => typeof x === 'string')
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

export function cancelledError(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
}

/** Work-done progress on the request's token (undefined without one). */
export function attachProgress(ctx: ServerContext, params: unknown): WorkDoneProgressReporter | undefined {
  const token = isObject(params) ? (params.workDoneToken as string | number | undefined) : undefined;
  if (token === undefined || (typeof token !== 'string' && typeof token !== 'number')) return undefined;
  try {
    return ctx.connection.window.attachWorkDoneProgress(token);
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` with a signal that fires on $/cancelRequest, inside begin/done of
 * the request's progress. A cancelled run answers RequestCancelled.
 */
export async function withRequest<T>(
  ctx: ServerContext,
  params: unknown,
  token: CancellationToken,
  title: string,
  fn: (signal: AbortSignal, report: (message: string, percentage?: number) => void) => Promise<T>,
): Promise<T> {
  const reporter = attachProgress(ctx, params);
  const abort = abortOn(token);
  reporter?.begin(title, 0, undefined, true);
  const report = (message: string, percentage?: number) => {
    try {
      reporter?.report(percentage ?? 0, message);
    } catch {
      /* closed */
    }
  };
  try {
    const out = await fn(abort.signal, report);
    if (token.isCancellationRequested) throw cancelledError();
    return out;
  } catch (err) {
    if (token.isCancellationRequested || abort.signal.aborted) throw cancelledError();
    throw err;
  } finally {
    abort.dispose();
    try {
      reporter?.done();
    } catch {
      /* closed */
    }
  }
}

/** A failure the user can act on: the message (and the fix, when known), redacted. */
export function userError(prefix: string, err: unknown): ResponseError<void> {
  if (err instanceof ResponseError) return err;
  const e = err as { message?: string; fix?: string };
  const message = redact(`${prefix}: ${e?.message ?? String(err)}${e?.fix && !String(e.message).includes(e.fix) ? ` Fix: ${e.fix}` : ''}`);
  return new ResponseError(LSPErrorCodes.RequestFailed, message);
}
