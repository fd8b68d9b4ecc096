// Settles with `promise`, or rejects with the signal's reason as soon as `signal` aborts, whichever
// comes first. Unlike Promise.race with a long-lived abort promise, the abort listener is detached
// the moment either side settles, so nothing stays reachable from the signal afterwards. A late
// rejection of `promise` is still handled (never an unhandled rejection).

import { abortReason, listenAbort } from "./abort.ts";

export function abortable<T>(promise: PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return Promise.resolve(promise);
  if (signal.aborted) {
    Promise.resolve(promise).catch(noopCatch);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const detach = listenAbort(signal, () => reject(abortReason(signal)));
    Promise.resolve(promise).then(
      (value) => {
        detach();
        resolve(value);
      },
      (error: unknown) => {
        detach();
        reject(error);
      },
    );
  });
}

function noopCatch(): void {}
