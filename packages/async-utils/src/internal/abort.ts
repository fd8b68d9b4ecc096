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
 * Same contract as {@link listenAbort}, for places where many operations may wait on one signal
 * (a request's signal shared by thousands of parked waiters). All callbacks registered here for
 * a signal share a single native "abort" listener and sit in an insertion-ordered Set, so
 * attaching and detaching stay O(1): Node's EventTarget scans its listener list on every
 * addEventListener, which makes 50,000 waiters on one signal cost seconds. Callbacks run in
 * registration order; one that throws does not stop the others (its error is re-thrown in a
 * microtask, as EventTarget would report it). The native listener is removed when the last
 * callback detaches, so an idle long-lived signal holds nothing.
 */
export function listenAbortShared(
  signal: AbortSignal | undefined,
  onAbort: () => void,
): () => void {
  if (signal === undefined) return noop;
  let hub = abortHubs.get(signal);
  if (hub === undefined) {
    const created: AbortHub = {
      callbacks: new Set(),
      listener: () => dispatchAbort(signal, created),
    };
    hub = created;
    abortHubs.set(signal, created);
    signal.addEventListener("abort", created.listener, { once: true });
  }
  // Wrap so the same function registered twice gets two independent registrations.
  const entry = (): void => onAbort();
  hub.callbacks.add(entry);
  const attached = hub;
  return () => {
    if (!attached.callbacks.delete(entry) || attached.callbacks.size > 0) return;
    if (abortHubs.get(signal) === attached) abortHubs.delete(signal);
    signal.removeEventListener("abort", attached.listener);
  };
}

interface AbortHub {
  callbacks: Set<() => void>;
  listener: () => void;
}

const abortHubs = new WeakMap<AbortSignal, AbortHub>();

function dispatchAbort(signal: AbortSignal, hub: AbortHub): void {
  if (abortHubs.get(signal) === hub) abortHubs.delete(signal);
  for (const callback of hub.callbacks) {
    hub.callbacks.delete(callback);
    try {
      callback();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

// The public primitive; internal callers keep importing it from here.
export { linkedController } from "../linked-controller.ts";

export function noop(): void {}
