import { checkBound } from "./internal/concurrency.ts";
import { SlidingCounts } from "./internal/sliding-window.ts";

/**
 * Options for {@link RetryBudget}.
 *
 * @example
 * ```ts
 * import { RetryBudget, type RetryBudgetOptions } from "@edge-async/async-utils";
 *
 * const options: RetryBudgetOptions = { ratio: 0.1, minRetries: 5, windowMs: 30_000 };
 * const budget = new RetryBudget(options);
 * ```
 */
export interface RetryBudgetOptions {
  /** Retries allowed per call made in the window: a number from 0 to 1 (default 0.2, i.e. 20%). */
  ratio?: number;
  /**
   * Retries allowed in the window whatever the traffic, so a quiet client can still retry: a
   * non-negative integer (default 10).
   */
  minRetries?: number;
  /** The window the calls and retries are counted over, in milliseconds (default 10 000). */
  windowMs?: number;
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/**
 * A retry budget shared by many calls: retries are allowed only while the retries of the last
 * `windowMs` stay within `minRetries` plus `ratio` times the calls of the same window (Envoy's
 * and Finagle's retry budgets). Per-call retry limits multiply load when a dependency fails
 * (three retries per call make four times the traffic); a budget caps the extra load at
 * `ratio`, so retries help with sporadic failures and stop on their own during an outage.
 *
 * Pass it to {@link retry} as `budget`, or call {@link RetryBudget.recordCall} once per call and
 * {@link RetryBudget.tryRetry} before each retry yourself. Plain numbers read against a clock:
 * no timers, no promises, so it is safe at module scope in Workers, shared by every request.
 * Calls and retries are counted in ten slices of `windowMs / 10`; the oldest leaves whole.
 *
 * @example
 * ```ts
 * import { RetryBudget, retry } from "@edge-async/async-utils";
 *
 * const budget = new RetryBudget({ ratio: 0.2 }); // module scope: shared by every request
 * export default {
 *   async fetch(): Promise<Response> {
 *     return retry((_attempt, signal) => fetch("https://api.example.com/", { signal }), {
 *       retries: 3,
 *       budget, // past the budget, the last error is thrown instead of retrying
 *     });
 *   },
 * };
 * ```
 */
export class RetryBudget {
  /** Retries allowed per call in the window. */
  readonly ratio: number;
  /** Retries allowed in the window whatever the traffic. */
  readonly minRetries: number;
  /** The length of the window, in milliseconds. */
  readonly windowMs: number;
  // first: calls, second: retries.
  readonly #counts: SlidingCounts;

  /** Throws a RangeError naming the value for a bad option. */
  constructor(options: RetryBudgetOptions = {}) {
    const { ratio = 0.2, minRetries = 10, windowMs = 10_000, now = Date.now } = options;
    if (!(typeof ratio === "number" && ratio >= 0 && ratio <= 1)) {
      throw new RangeError(`ratio must be a number from 0 to 1, got ${String(ratio)}`);
    }
    this.ratio = ratio;
    this.minRetries = checkBound(minRetries, "minRetries", "non-negative integer", false);
    this.windowMs = checkBound(windowMs, "windowMs", "positive number", false);
    this.#counts = new SlidingCounts(this.windowMs, 10, now);
  }

  /** Retries that {@link RetryBudget.tryRetry} would allow now, rounded down. */
  get available(): number {
    const allowed = this.minRetries + this.ratio * this.#counts.first;
    return Math.max(0, Math.floor(allowed - this.#counts.second));
  }

  /**
   * Counts one call (a first attempt), which earns `ratio` of a retry.
   *
   * @example
   * ```ts
   * import { RetryBudget } from "@edge-async/async-utils";
   * const budget = new RetryBudget({ ratio: 0.5, minRetries: 0 });
   * budget.recordCall();
   * budget.recordCall();
   * console.assert(budget.available === 1);
   * ```
   */
  recordCall(): void {
    this.#counts.addFirst();
  }

  /**
   * Takes one retry from the budget if it has one and returns true; otherwise returns false and
   * counts nothing (do not retry then).
   *
   * @example
   * ```ts
   * import { RetryBudget } from "@edge-async/async-utils";
   * const budget = new RetryBudget({ ratio: 0, minRetries: 1 });
   * console.assert(budget.tryRetry() === true);
   * console.assert(budget.tryRetry() === false); // spent until the window moves on
   * ```
   */
  tryRetry(): boolean {
    if (this.#counts.second + 1 > this.minRetries + this.ratio * this.#counts.first) return false;
    this.#counts.addSecond();
    return true;
  }
}
