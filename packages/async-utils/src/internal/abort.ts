// Internal helpers for AbortSignal plumbing. Not exported from the package.

import { AbortError } from "../errors.ts";

/** The reason an aborted signal carries, or a fresh AbortError when it carries none. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new AbortError();
}

/**
 * Calls `onAbort` once when `signal` aborts and returns a function that detaches the listener.
 * Always detach when the guarded operation settles: a listener left on a long-lived signal keeps
 * its closure (and whatever promise it resolves) alive, which is how waiters leak.
 */
export function listenAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return noop;
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/**
 * A controller whose signal aborts when `parent` does, with the parent's reason. `dispose()`
 * detaches it from the parent so that a short-lived child never stays reachable from a
 * long-lived parent.
 */
export function linkedController(parent: AbortSignal | undefined): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  if (parent === undefined) return { controller, dispose: noop };
  if (parent.aborted) {
    controller.abort(abortReason(parent));
    return { controller, dispose: noop };
  }
  const dispose = listenAbort(parent, () => controller.abort(abortReason(parent)));
  return { controller, dispose };
}

export function noop(): void {}
