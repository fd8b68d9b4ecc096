import { TimeoutError } from "./errors.ts";
import { abortReason } from "./internal/abort.ts";
import { checkBound, isPromiseLike } from "./internal/concurrency.ts";

const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * Options for {@link withTimeout}.
 *
 * @example
 * ```ts
 * import { withTimeout, type WithTimeoutOptions } from "@edge-async/async-utils";
 *
 * const options: WithTimeoutOptions = { message: "inventory service too slow" };
 * await withTimeout(async () => "in stock", 500, options);
 * ```
 */
export interface WithTimeoutOptions {
  /** Cancels the operation early: `fn`'s signal aborts with the same reason and the call rejects with it. */
  signal?: AbortSignal;
  /** Message of the {@link TimeoutError}; defaults to `"Timed out after <ms> ms"`. */
  message?: string;
  /**
   * On timeout or abort, wait for `fn`'s work to settle (its signal is aborted) before
   * rejecting, so nothing it started is still running when the call rejects (asyncio's
   * `wait_for` waits the same way). Default false: reject at once. Only for work that honours
   * its signal: work that ignores it holds the rejection back until it ends on its own.
   */
  waitForCancelled?: boolean;
}

/**
 * Runs `fn(signal)` with a deadline. When `ms` milliseconds pass first, `signal` aborts with a
 * {@link TimeoutError} (so the work itself stops, not just the waiting) and the call rejects with
 * that error. The timer and the abort listener are cleared as soon as the call settles.
 *
 * `fn` should pass `signal` on to whatever it awaits (`fetch`, {@link sleep}, ...). Work that
 * ignores it cannot be stopped, but the returned promise still rejects on time, unless
 * `waitForCancelled` asks to wait for the work to settle first. Either way the call rejects
 * with the timeout or abort reason, whatever the cancelled work's own outcome.
 *
 * @example
 * ```ts
 * import { TimeoutError, withTimeout } from "@edge-async/async-utils";
 *
 * try {
 *   await withTimeout((signal) => fetch("https://example.com/slow", { signal }), 2_000);
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.log(`gave up after ${error.timeoutMs} ms`);
 * }
 * ```
 */
export function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T> | T,
  ms: number,
  options?: WithTimeoutOptions,
): Promise<T> {
  checkBound(ms, "ms", "non-negative number");
  const parent = options?.signal;
  if (parent?.aborted) return Promise.reject(abortReason(parent));
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const waitForCancelled = options?.waitForCancelled === true;
    let settled = false;
    let workDone = false;
    let cancelled: { reason: unknown } | undefined;
    const cleanup = (): void => {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    };
    const cancel = (reason: unknown): void => {
      if (settled) return;
      cleanup();
      controller.abort(reason);
      // With waitForCancelled the rejection waits for the work's outcome (see onSettled).
      if (waitForCancelled && !workDone) cancelled = { reason };
      else reject(reason);
    };
    const onParentAbort = (): void => cancel(abortReason(parent as AbortSignal));
    const onTimeout = (): void => {
      cancel(new TimeoutError(options?.message ?? `Timed out after ${ms} ms`, { timeoutMs: ms }));
    };
    const onSettled = (fulfilled: boolean, outcome: unknown): void => {
      workDone = true;
      if (cancelled !== undefined) {
        reject(cancelled.reason);
        return;
      }
      if (settled) return;
      cleanup();
      if (fulfilled) resolve(outcome as T);
      else reject(outcome);
    };
    // Infinity means "no deadline"; setTimeout would otherwise overflow and fire at once.
    const timer =
      ms === Number.POSITIVE_INFINITY
        ? undefined
        : setTimeout(onTimeout, Math.min(Math.max(0, ms), MAX_TIMER_DELAY));
    parent?.addEventListener("abort", onParentAbort, { once: true });
    let result: Promise<T> | T;
    try {
      result = fn(controller.signal);
    } catch (error) {
      onSettled(false, error);
      return;
    }
    if (isPromiseLike(result)) {
      Promise.resolve(result).then(
        (value) => onSettled(true, value),
        (error: unknown) => onSettled(false, error),
      );
    } else onSettled(true, result);
  });
}
