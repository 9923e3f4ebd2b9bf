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
