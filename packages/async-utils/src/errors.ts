/**
 * Raised when an operation is cancelled through an `AbortSignal` that carried no reason of its own.
 *
 * Primitives reject with `signal.reason` when the caller supplied one (as `fetch` does), so
 * `AbortSignal.abort()` surfaces as a `DOMException` named `"AbortError"`. Test for either with
 * {@link isAbortError}.
 *
 * @example
 * ```ts
 * import { AbortError } from "@edge-async/async-utils";
 * const error = new AbortError();
 * console.assert(error.name === "AbortError");
 * ```
 */
export class AbortError extends Error {
  override name = "AbortError";
  constructor(message = "The operation was aborted", options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Raised when an operation ran out of time. Its `name` is `"TimeoutError"`, the same as the
 * `DOMException` that `AbortSignal.timeout()` produces.
 *
 * @example
 * ```ts
 * import { TimeoutError, withTimeout, sleep } from "@edge-async/async-utils";
 * try {
 *   await withTimeout((signal) => sleep(1_000, { signal }), 10);
 * } catch (error) {
 *   console.assert(error instanceof TimeoutError);
 * }
 * ```
 */
export class TimeoutError extends Error {
  override name = "TimeoutError";
  /** How long the operation was allowed to run, in milliseconds. */
  readonly timeoutMs: number | undefined;
  constructor(
    message = "The operation timed out",
    options?: ErrorOptions & { timeoutMs?: number },
  ) {
    super(message, options);
    this.timeoutMs = options?.timeoutMs;
  }
}

/**
 * True for anything that means "cancelled": an {@link AbortError}, or a `DOMException` or other
 * error whose `name` is `"AbortError"`.
 *
 * @example
 * ```ts
 * import { isAbortError } from "@edge-async/async-utils";
 * const signal = AbortSignal.abort();
 * console.assert(isAbortError(signal.reason));
 * ```
 */
export function isAbortError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "AbortError"
  );
}
