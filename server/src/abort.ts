/** Cancellation helpers shared by the registry client, gcp/ and pull counts. */

/** An Error named AbortError, as fetch/undici/gaxios throw on an aborted signal. */
export function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Waits `ms`, or rejects as soon as `signal` aborts (with `reason()`, default
 * an AbortError). The timer and the listener are always cleaned up.
 */
export function sleep(ms: number, signal?: AbortSignal, reason: () => Error = abortError): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(reason());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(reason());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A controller whose signal also aborts when `outer` does (with its reason):
 * for work that can be cancelled on its own as well as by the caller.
 * `dispose()` removes the listener it put on `outer`.
 */
export function followSignal(outer: AbortSignal | undefined): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  if (!outer) return { controller, dispose: () => undefined };
  const onAbort = () => controller.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => outer.removeEventListener('abort', onAbort) };
}
