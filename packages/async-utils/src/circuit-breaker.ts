import { checkBound } from "./internal/concurrency.ts";
import { type FailurePolicy, failurePolicy } from "./internal/failure-policy.ts";

/**
 * Raised by {@link CircuitBreaker.run} instead of calling a failing dependency. `retryAfterMs`
 * says when the breaker will let a probe through; {@link retry} honours it.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, CircuitOpenError } from "@edge-async/async-utils";
 * const breaker = new CircuitBreaker({ failureThreshold: 1 });
 * breaker.recordFailure();
 * await breaker.run(() => "never called").catch((error) => {
 *   console.assert(error instanceof CircuitOpenError && error.retryAfterMs > 0);
 * });
 * ```
 */
export class CircuitOpenError extends Error {
  override name = "CircuitOpenError";
  /** Milliseconds until the breaker lets a probe call through (0: as soon as a probe slot frees). */
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, message = "The circuit is open", options?: ErrorOptions) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * `"closed"`: calls flow and failures are counted. `"open"`: calls are refused until
 * `resetTimeoutMs` has passed. `"half-open"`: a few probe calls decide between the two.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, type CircuitState } from "@edge-async/async-utils";
 * const state: CircuitState = new CircuitBreaker().state; // "closed"
 * ```
 */
export type CircuitState = "closed" | "open" | "half-open";

/**
 * Options for {@link CircuitBreaker}. `mode` picks what opens the circuit: `"consecutive"`
 * (the default) counts failures in a row, `"rate"` the share of failed calls in a sliding
 * window. Options of the other mode are refused, so a typo cannot leave a breaker that never
 * opens.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, type CircuitBreakerOptions } from "@edge-async/async-utils";
 * const touchy: CircuitBreakerOptions = { failureThreshold: 2, resetTimeoutMs: 5_000 };
 * const byRate: CircuitBreakerOptions = { mode: "rate", windowMs: 60_000, failureRate: 0.5 };
 * const breakers = [new CircuitBreaker(touchy), new CircuitBreaker(byRate)];
 * ```
 */
export interface CircuitBreakerOptions {
  /** What opens the circuit: failures in a row (default), or a failure rate over a window. */
  mode?: "consecutive" | "rate";
  /** Consecutive mode: failures in a row that open it, a positive integer or `Infinity` (default 5). */
  failureThreshold?: number;
  /** Rate mode: the share of failed calls in the window that opens it, above 0 and up to 1 (default 0.5). */
  failureRate?: number;
  /** Rate mode: calls the window must hold before the rate counts, a positive integer (default 10). */
  minimumCalls?: number;
  /**
   * Rate mode: a window of the last `windowMs` milliseconds, counted in ten slices of
   * `windowMs / 10` (the oldest leaves whole). Give this or `windowSize`.
   */
  windowMs?: number;
  /** Rate mode: a window of the last `windowSize` calls, a positive integer (default 100). */
  windowSize?: number;
  /** How long the circuit stays open before probing (default 30 000 ms). */
  resetTimeoutMs?: number;
  /** Probe calls allowed at once while half-open: a positive integer or `Infinity` (default 1). */
  halfOpenMaxCalls?: number;
  /**
   * Called after each change of state, with the state before and after: for logs and metrics.
   * The change from open to half-open is seen when the breaker is next consulted after
   * `resetTimeoutMs` (it keeps no timer). An error it throws is reported asynchronously and
   * does not disturb the breaker.
   */
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/**
 * A circuit breaker: it opens after `failureThreshold` consecutive failures (or, in rate mode,
 * once `failureRate` of at least `minimumCalls` calls in the window failed) and refuses calls
 * for `resetTimeoutMs`, then lets `halfOpenMaxCalls` probes through; a probe success closes it,
 * a probe failure opens it again. `onStateChange` hears of every change.
 *
 * State is plain numbers read against a clock: no timers, no promises. That makes it safe at
 * module scope in Workers, shared by every request an isolate serves. A probe slot claimed but
 * never reported frees itself after `resetTimeoutMs`, so a crashed request cannot wedge it.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@edge-async/async-utils";
 * const upstream = new CircuitBreaker({
 *   mode: "rate",
 *   windowMs: 30_000,
 *   minimumCalls: 20,
 *   failureRate: 0.5,
 *   onStateChange: (from, to) => console.log(`upstream circuit ${from} -> ${to}`),
 * });
 * export default {
 *   async fetch() {
 *     return upstream.run(() => fetch("https://api.example.com/"), {
 *       isFailure: (error) => !(error instanceof TypeError),
 *     });
 *   },
 * };
 * ```
 */
export class CircuitBreaker {
  readonly #policy: FailurePolicy;
  readonly #resetTimeoutMs: number;
  readonly #halfOpenMaxCalls: number;
  readonly #now: () => number;
  readonly #onStateChange: ((from: CircuitState, to: CircuitState) => void) | undefined;
  #state: CircuitState = "closed";
  #openedAt = 0;
  #probes = 0;
  #probesSince = 0;

  /** Throws a RangeError naming a bad bound, or a TypeError for options of the other mode. */
  constructor(options: CircuitBreakerOptions = {}) {
    const {
      resetTimeoutMs = 30_000,
      halfOpenMaxCalls = 1,
      now = Date.now,
      onStateChange,
    } = options;
    if (!(resetTimeoutMs >= 0)) {
      throw new RangeError(`resetTimeoutMs must be >= 0, got ${resetTimeoutMs}`);
    }
    checkBound(halfOpenMaxCalls, "halfOpenMaxCalls");
    this.#policy = failurePolicy(options, now);
    this.#resetTimeoutMs = resetTimeoutMs;
    this.#halfOpenMaxCalls = halfOpenMaxCalls;
    this.#now = now;
    this.#onStateChange = onStateChange;
  }

  /**
   * The state now; an open circuit reads `"half-open"` once `resetTimeoutMs` has passed.
   *
   * @example
   * ```ts
   * import { CircuitBreaker } from "@edge-async/async-utils";
   * let now = 0;
   * const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, now: () => now });
   * breaker.recordFailure();
   * console.assert(breaker.state === "open");
   * now = 100;
   * console.assert(breaker.state === "half-open");
   * ```
   */
  get state(): CircuitState {
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.#resetTimeoutMs) {
      this.#move("half-open");
    }
    return this.#state;
  }

  /**
   * Whether a call may go ahead now. While half-open a `true` claims one probe slot: report the
   * outcome with `recordSuccess()` or `recordFailure()`.
   *
   * @example
   * ```ts
   * import { CircuitBreaker } from "@edge-async/async-utils";
   * const breaker = new CircuitBreaker();
   * if (breaker.canRequest()) {
   *   try {
   *     await fetch("https://api.example.com/");
   *     breaker.recordSuccess();
   *   } catch (error) {
   *     breaker.recordFailure();
   *     throw error;
   *   }
   * }
   * ```
   */
  canRequest(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    const now = this.#now();
    // Probes claimed but never reported expire, so a lost probe cannot keep the circuit shut.
    if (this.#probes > 0 && now - this.#probesSince >= this.#resetTimeoutMs) this.#probes = 0;
    if (this.#probes >= this.#halfOpenMaxCalls) return false;
    if (this.#probes === 0) this.#probesSince = now;
    this.#probes++;
    return true;
  }

  /**
   * Reports a successful call: it counts toward closing (resets the consecutive count, or goes
   * into the window), and closes a half-open circuit.
   *
   * @example
   * ```ts
   * import { CircuitBreaker } from "@edge-async/async-utils";
   * const breaker = new CircuitBreaker({ failureThreshold: 2 });
   * breaker.recordFailure();
   * breaker.recordSuccess(); // the count starts over
   * breaker.recordFailure();
   * console.assert(breaker.state === "closed");
   * ```
   */
  recordSuccess(): void {
    const state = this.state;
    if (state === "open") return; // a straggler from before the circuit opened proves nothing
    if (state === "half-open") this.#move("closed");
    else this.#policy.success();
  }

  /**
   * Reports a failed call: opens the circuit at the threshold or rate, or again when a probe
   * fails.
   *
   * @example
   * ```ts
   * import { CircuitBreaker } from "@edge-async/async-utils";
   * const breaker = new CircuitBreaker({ failureThreshold: 1 });
   * breaker.recordFailure();
   * console.assert(breaker.state === "open" && !breaker.canRequest());
   * ```
   */
  recordFailure(): void {
    const state = this.state;
    if (state === "open") return;
    if (state === "half-open" || this.#policy.failure()) this.#move("open");
  }

  /**
   * Calls `fn` if the circuit allows it and records the outcome; otherwise rejects with
   * {@link CircuitOpenError} without calling `fn`. Errors for which `isFailure` returns false
   * (say a 404, or the caller's own abort) pass through without counting either way.
   *
   * @example
   * ```ts
   * import { CircuitBreaker, isAbortError } from "@edge-async/async-utils";
   * const breaker = new CircuitBreaker();
   * const response = await breaker.run(() => fetch("https://api.example.com/"), {
   *   isFailure: (error) => !isAbortError(error),
   * });
   * ```
   */
  async run<T>(
    fn: () => Promise<T> | T,
    options: { isFailure?: (error: unknown) => boolean } = {},
  ): Promise<T> {
    if (!this.canRequest()) throw new CircuitOpenError(this.#retryAfterMs());
    let value: T;
    try {
      value = await fn();
    } catch (error) {
      if (options.isFailure?.(error) ?? true) this.recordFailure();
      else if (this.#probes > 0) this.#probes--;
      throw error;
    }
    this.recordSuccess();
    return value;
  }

  /** Changes state, starts the new one afresh and tells `onStateChange`. */
  #move(to: CircuitState): void {
    const from = this.#state;
    this.#state = to;
    this.#probes = 0;
    if (to === "open") this.#openedAt = this.#now();
    if (to !== "half-open") this.#policy.reset();
    if (this.#onStateChange === undefined) return;
    try {
      this.#onStateChange(from, to);
    } catch (error) {
      // A listener's bug must not leave the breaker half-updated or fail the call it observed.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #retryAfterMs(): number {
    if (this.state !== "open") return 0;
    return Math.max(0, this.#openedAt + this.#resetTimeoutMs - this.#now());
  }
}
