/**
 * Retry classification for outbound HTTP calls: which failed attempts deserve another try, and how
 * a `Retry-After` hint lengthens the wait before it.
 *
 * @module
 */
import { isRetryableStatus } from "./retry-after.ts";

/**
 * What made an attempt fail, as far as retrying goes:
 * - `aborted`: someone chose to stop (an `AbortError`); never retried;
 * - `final`: the caller says another try cannot change it (a refused target, a body over the
 *   limit); never retried;
 * - `status`: the upstream answered, with the error's numeric `status`; retried when
 *   {@link isRetryableStatus} says so;
 * - `transport`: no answer at all (a timeout, a connection that failed or broke, anything else
 *   thrown on the way); retried.
 *
 * @example
 * ```ts
 * import type { FailureKind } from "@edge-async/http";
 * const kind: FailureKind = "transport";
 * ```
 */
export type FailureKind = "aborted" | "final" | "status" | "transport";

/**
 * Classifies an error thrown by one attempt (see {@link FailureKind}). An error carries a status
 * by having a numeric `status` property.
 *
 * @param error - What the attempt threw.
 * @param isFinal - The caller's own never-retry errors; checked after aborts, before the status.
 * @returns The kind; never throws unless `isFinal` does.
 * @example
 * ```ts
 * import { failureKind } from "@edge-async/http";
 * console.assert(failureKind(new TypeError("Network connection lost")) === "transport");
 * console.assert(failureKind(Object.assign(new Error("busy"), { status: 503 })) === "status");
 * console.assert(failureKind(new DOMException("stop", "AbortError")) === "aborted");
 * ```
 */
export function failureKind(error: unknown, isFinal?: (error: unknown) => boolean): FailureKind {
  if (nameOf(error) === "AbortError") return "aborted";
  if (isFinal?.(error)) return "final";
  return typeof statusOf(error) === "number" ? "status" : "transport";
}

/**
 * Options for {@link retryClassifier}.
 *
 * @example
 * ```ts
 * import type { RetryClassifierOptions } from "@edge-async/http";
 * const options: RetryClassifierOptions = { maxDelayMs: 5_000, isFinal: (error) => error instanceof RangeError };
 * ```
 */
export interface RetryClassifierOptions {
  /** Errors another try cannot change; never retried. */
  isFinal?: (error: unknown) => boolean;
  /**
   * The longest wait the caller can afford before the next try, in ms: a number, or a function
   * read at each decision (say the time left to a deadline). An error whose `retryAfterMs` asks
   * for longer is not retried: the answer stands instead of a retry sooner than the upstream
   * asked. Default: no limit.
   */
  maxDelayMs?: number | (() => number);
}

/**
 * Builds the `shouldRetry` of an outbound HTTP call: true for a transport failure, or a status
 * that {@link isRetryableStatus} accepts, unless the error's `retryAfterMs` (a parsed
 * `Retry-After`) exceeds `maxDelayMs`; false for aborts, the caller's final errors and other
 * statuses. Pair it with a backoff that waits at least `retryAfterMs` (see {@link retryDelay}),
 * as async-utils' `retry` does.
 *
 * @param options - The caller's final errors and longest affordable wait.
 * @returns A predicate over what an attempt threw; it never throws unless `isFinal` does.
 * @example
 * ```ts
 * import { retry } from "@edge-async/async-utils";
 * import { retryClassifier } from "@edge-async/http";
 * const shouldRetry = retryClassifier({ maxDelayMs: 5_000 });
 * const response = await retry(async () => {
 *   const answer = await fetch("https://api.example.com/flaky");
 *   if (!answer.ok) throw Object.assign(new Error(`answered ${answer.status}`), { status: answer.status });
 *   return answer;
 * }, { retries: 2, maxDelayMs: 5_000, shouldRetry });
 * ```
 */
export function retryClassifier(options: RetryClassifierOptions = {}): (error: unknown) => boolean {
  const { isFinal, maxDelayMs } = options;
  return (error) => {
    const kind = failureKind(error, isFinal);
    if (kind === "aborted" || kind === "final") return false;
    if (kind === "status" && !isRetryableStatus(statusOf(error) as number)) return false;
    const hint = retryAfterOf(error);
    if (hint === undefined || maxDelayMs === undefined) return true;
    return hint <= (typeof maxDelayMs === "number" ? maxDelayMs : maxDelayMs());
  };
}

/**
 * The wait before the next try: the backoff, lengthened to a `Retry-After` hint when that is
 * longer, and never more than `maxDelayMs`. Any unit works as long as all three share it.
 *
 * @param backoff - The backoff's own delay (say exponential with jitter).
 * @param retryAfter - The upstream's hint, `undefined` when it gave none.
 * @param maxDelay - The cap.
 * @returns `min(maxDelay, max(backoff, retryAfter))`.
 * @example
 * ```ts
 * import { retryDelay } from "@edge-async/http";
 * console.assert(retryDelay(300, 2_000, 5_000) === 2_000);
 * console.assert(retryDelay(300, 60_000, 5_000) === 5_000);
 * console.assert(retryDelay(300, undefined, 5_000) === 300);
 * ```
 */
export function retryDelay(
  backoff: number,
  retryAfter: number | undefined,
  maxDelay: number,
): number {
  return Math.min(maxDelay, Math.max(backoff, retryAfter ?? 0));
}

function nameOf(error: unknown): unknown {
  return (error as { name?: unknown } | null | undefined)?.name;
}

function statusOf(error: unknown): unknown {
  return (error as { status?: unknown } | null | undefined)?.status;
}

function retryAfterOf(error: unknown): number | undefined {
  const hint = (error as { retryAfterMs?: unknown } | null | undefined)?.retryAfterMs;
  return typeof hint === "number" ? hint : undefined;
}
