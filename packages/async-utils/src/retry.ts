import { abortReason, linkedController } from "./internal/abort.ts";
import { abortable } from "./internal/abortable.ts";
import { checkBound } from "./internal/concurrency.ts";
import type { RetryBudget } from "./retry-budget.ts";
import { sleep } from "./sleep.ts";

/**
 * Options for {@link retry}.
 *
 * @example
 * ```ts
 * import { retry, type RetryOptions } from "@edge-async/async-utils";
 * const patient: RetryOptions = { retries: 5, minDelayMs: 500, maxDelayMs: 10_000 };
 * await retry(() => fetch("https://api.example.com/"), patient);
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt: a non-negative integer or `Infinity` (default 3: 4 calls). */
  retries?: number;
  /** Backoff base for the first retry (default 100 ms). */
  minDelayMs?: number;
  /** Cap on any single delay, `retryAfterMs` hints included (default 30 000 ms). */
  maxDelayMs?: number;
  /** Growth of the backoff per attempt (default 2). */
  factor?: number;
  /** Full jitter: wait a uniformly random time up to the backoff (default true). */
  jitter?: boolean;
  /** Decides whether an error is worth another attempt (default: every error is). */
  shouldRetry?: (error: unknown, attempt: number) => boolean | Promise<boolean>;
  /** Called before each wait, e.g. for logging. */
  onRetry?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
  /** Aborts the attempt in progress (its signal) or the wait, and rejects with the reason. */
  signal?: AbortSignal;
  /**
   * A {@link RetryBudget} shared with other calls: this call counts in it, and each retry is
   * taken from it first. Once it is spent the last error is thrown instead of retrying.
   */
  budget?: RetryBudget;
  /**
   * On abort, wait for the attempt in progress to settle (its signal is aborted) before
   * rejecting with the reason, so nothing this call started is still running when it rejects.
   * Default false: reject at once. Only for attempts that honour their signal: one that ignores
   * it holds the rejection back until it ends on its own.
   */
  waitForCancelled?: boolean;
}

/**
 * Calls `fn` until it succeeds, waiting with exponential backoff and full jitter between
 * attempts: the delay before retry `k` is random in `[0, min(maxDelayMs, minDelayMs * factor^(k-1))]`.
 * An error carrying a numeric `retryAfterMs` (say from a `Retry-After` header, or a
 * {@link CircuitOpenError}) makes that wait at least as long, still capped by `maxDelayMs`.
 *
 * Rejects with the last error once `retries` are used up, `shouldRetry` says no or the shared
 * `budget` has no retry left. Aborting the signal aborts the running attempt's signal and
 * rejects with the reason: at once, or once the attempt has settled with `waitForCancelled`.
 *
 * @example
 * ```ts
 * import { retry } from "@edge-async/async-utils";
 * const response = await retry(
 *   async (attempt, signal) => {
 *     const res = await fetch("https://api.example.com/flaky", { signal });
 *     if (res.status >= 500) throw new Error(`upstream ${res.status} on attempt ${attempt}`);
 *     return res;
 *   },
 *   { retries: 4, minDelayMs: 200, signal: AbortSignal.timeout(10_000) },
 * );
 * ```
 */
export async function retry<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T> | T,
  options: RetryOptions = {},
): Promise<T> {
  const {
    retries = 3,
    minDelayMs = 100,
    maxDelayMs = 30_000,
    factor = 2,
    jitter = true,
    shouldRetry,
    onRetry,
    signal,
    budget,
    waitForCancelled = false,
  } = options;
  checkBound(retries, "retries", "non-negative integer");
  if (!(minDelayMs >= 0)) throw new RangeError(`minDelayMs must be >= 0, got ${minDelayMs}`);
  if (!(maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be >= 0, got ${maxDelayMs}`);
  if (!(factor >= 1)) throw new RangeError(`factor must be >= 1, got ${factor}`);

  budget?.recordCall();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal);
    const { controller, dispose } = linkedController(signal);
    let error: unknown;
    try {
      const running = (async () => fn(attempt, controller.signal))();
      if (!waitForCancelled) return await abortable(running, signal);
      const value = await running;
      if (signal?.aborted) throw abortReason(signal);
      return value;
    } catch (caught) {
      error = caught;
    } finally {
      dispose();
    }
    if (signal?.aborted) throw abortReason(signal);
    if (attempt > retries) throw error;
    if (shouldRetry !== undefined && !(await shouldRetry(error, attempt))) throw error;
    if (budget !== undefined && !budget.tryRetry()) throw error;
    const delayMs = backoff(error, attempt, minDelayMs, maxDelayMs, factor, jitter);
    onRetry?.({ error, attempt, delayMs });
    await sleep(delayMs, { signal });
  }
}

function backoff(
  error: unknown,
  attempt: number,
  minDelayMs: number,
  maxDelayMs: number,
  factor: number,
  jitter: boolean,
): number {
  const base = minDelayMs === 0 ? 0 : minDelayMs * factor ** (attempt - 1);
  const ceiling = Math.min(maxDelayMs, base);
  let delayMs = jitter ? Math.random() * ceiling : ceiling;
  const hint = (error as { retryAfterMs?: unknown } | null | undefined)?.retryAfterMs;
  if (typeof hint === "number" && hint > delayMs) delayMs = Math.min(maxDelayMs, hint);
  return delayMs;
}
