import { TimeoutError } from "./errors.ts";
import { abortReason } from "./internal/abort.ts";
import { isPromiseLike } from "./internal/concurrency.ts";

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
}

/**
 * Runs `fn(signal)` with a deadline. When `ms` milliseconds pass first, `signal` aborts with a
 * {@link TimeoutError} (so the work itself stops, not just the waiting) and the call rejects with
 * that error. The timer and the abort listener are cleared as soon as the call settles.
 *
 * `fn` should pass `signal` on to whatever it awaits (`fetch`, {@link sleep}, ...). Work that
 * ignores it cannot be stopped, but the returned promise still rejects on time.
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
  const parent = options?.signal;
  if (parent?.aborted) return Promise.reject(abortReason(parent));
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    };
    const cancel = (reason: unknown): void => {
      if (settled) return;
      cleanup();
      controller.abort(reason);
      reject(reason);
    };
    const onParentAbort = (): void => cancel(abortReason(parent as AbortSignal));
    const onTimeout = (): void => {
      cancel(new TimeoutError(options?.message ?? `Timed out after ${ms} ms`, { timeoutMs: ms }));
    };
    const onFulfilled = (value: T): void => {
      if (settled) return;
      cleanup();
      resolve(value);
    };
    const onRejected = (error: unknown): void => {
      if (settled) return;
      cleanup();
      reject(error);
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
      onRejected(error);
      return;
    }
    if (isPromiseLike(result)) Promise.resolve(result).then(onFulfilled, onRejected);
    else onFulfilled(result);
  });
}
