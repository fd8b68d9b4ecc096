import { checkBound } from "./internal/concurrency.ts";

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
 * Options for {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, type CircuitBreakerOptions } from "@edge-async/async-utils";
 * const touchy: CircuitBreakerOptions = { failureThreshold: 2, resetTimeoutMs: 5_000 };
 * const breaker = new CircuitBreaker(touchy);
 * ```
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit: a positive integer or `Infinity` (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before probing (default 30 000 ms). */
  resetTimeoutMs?: number;
  /** Probe calls allowed at once while half-open: a positive integer or `Infinity` (default 1). */
  halfOpenMaxCalls?: number;
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/**
 * A circuit breaker: after `failureThreshold` consecutive failures it opens and refuses calls for
 * `resetTimeoutMs`, then lets `halfOpenMaxCalls` probes through; a probe success closes it, a
 * probe failure opens it again.
 *
 * State is plain numbers read against a clock: no timers, no promises. That makes it safe at
 * module scope in Workers, shared by every request an isolate serves. A probe slot claimed but
 * never reported frees itself after `resetTimeoutMs`, so a crashed request cannot wedge it.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@edge-async/async-utils";
 * const upstream = new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 10_000 });
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
  readonly #failureThreshold: number;
  readonly #resetTimeoutMs: number;
  readonly #halfOpenMaxCalls: number;
  readonly #now: () => number;
  #open = false;
  #failures = 0;
  #openedAt = 0;
  #probes = 0;
  #probesSince = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    const {
      failureThreshold = 5,
      resetTimeoutMs = 30_000,
      halfOpenMaxCalls = 1,
      now = Date.now,
    } = options;
    checkBound(failureThreshold, "failureThreshold");
    if (!(resetTimeoutMs >= 0)) {
      throw new RangeError(`resetTimeoutMs must be >= 0, got ${resetTimeoutMs}`);
    }
    checkBound(halfOpenMaxCalls, "halfOpenMaxCalls");
    this.#failureThreshold = failureThreshold;
    this.#resetTimeoutMs = resetTimeoutMs;
    this.#halfOpenMaxCalls = halfOpenMaxCalls;
    this.#now = now;
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
    if (!this.#open) return "closed";
    return this.#now() - this.#openedAt >= this.#resetTimeoutMs ? "half-open" : "open";
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
   * Reports a successful call: resets the failure count, and closes a half-open circuit.
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
    this.#open = false;
    this.#failures = 0;
    this.#probes = 0;
  }

  /**
   * Reports a failed call: opens the circuit at the threshold, or again when a probe fails.
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
    if (state === "half-open" || ++this.#failures >= this.#failureThreshold) {
      this.#open = true;
      this.#openedAt = this.#now();
      this.#failures = 0;
      this.#probes = 0;
    }
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

  #retryAfterMs(): number {
    if (this.state !== "open") return 0;
    return Math.max(0, this.#openedAt + this.#resetTimeoutMs - this.#now());
  }
}
