import { abortReason, listenAbortShared } from "./internal/abort.ts";
import { checkBound } from "./internal/concurrency.ts";
import { WaiterList, type WaiterNode } from "./internal/waiter-list.ts";

/**
 * Options for {@link TokenBucket}.
 *
 * @example
 * ```ts
 * import { TokenBucket, type TokenBucketOptions } from "@edge-async/async-utils";
 * const tenPerSecond: TokenBucketOptions = { capacity: 10, refillPerSecond: 10, initialTokens: 0 };
 * const bucket = new TokenBucket(tenPerSecond);
 * ```
 */
export interface TokenBucketOptions {
  /** Most tokens the bucket holds (the burst size), > 0; `Infinity` disables limiting. */
  capacity: number;
  /** Tokens added per second, continuously. `0` never refills; `Infinity` is always full. */
  refillPerSecond: number;
  /** Tokens at construction; defaults to `capacity` (a full bucket). */
  initialTokens?: number;
  /** Clock in milliseconds; defaults to `Date.now`. Inject one for tests or simulations. */
  now?: () => number;
}

interface Taker {
  readonly n: number;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  detach: () => void;
}

/**
 * A token-bucket rate limiter: bursts of up to `capacity`, refilled at `refillPerSecond`.
 *
 * Refill is lazy (computed from the clock on each call), so an idle bucket costs nothing and
 * holds no timer. `take()` waits in FIFO order and runs a single timer for the head waiter only.
 * `tryTake()` never waits and never jumps ahead of parked waiters.
 *
 * In Workers a bucket may live at module scope when only `tryTake()` is used across requests;
 * `take()` parks a promise that another request must not await, so use it per request.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "@edge-async/async-utils";
 * const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 5 });
 * if (!bucket.tryTake()) console.log("429: slow down");
 * await bucket.take(2); // waits until two tokens are there
 * ```
 */
export class TokenBucket {
  /** Most tokens the bucket holds. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  #tokens: number;
  #last: number;
  readonly #now: () => number;
  readonly #waiters = new WaiterList<Taker>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: TokenBucketOptions) {
    const { capacity, refillPerSecond, initialTokens = capacity, now = Date.now } = options;
    checkBound(capacity, "capacity", "positive number");
    checkBound(refillPerSecond, "refillPerSecond", "non-negative number");
    if (!(initialTokens >= 0 && initialTokens <= capacity)) {
      throw new RangeError(`initialTokens must be between 0 and capacity, got ${initialTokens}`);
    }
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.#tokens = initialTokens;
    this.#now = now;
    this.#last = now();
  }

  /**
   * Tokens in the bucket right now (may be fractional).
   *
   * @example
   * ```ts
   * import { TokenBucket } from "@edge-async/async-utils";
   * const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1 });
   * bucket.tryTake();
   * console.assert(bucket.available === 2);
   * ```
   */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** How many `take()` calls are parked. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Takes `n` tokens (default 1) if they are there now and nobody is queued; never waits.
   *
   * @example
   * ```ts
   * import { TokenBucket } from "@edge-async/async-utils";
   * const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1 });
   * console.assert(bucket.tryTake() === true);
   * console.assert(bucket.tryTake() === false);
   * ```
   */
  tryTake(n = 1): boolean {
    this.#check(n);
    if (this.#waiters.size > 0) return false;
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /**
   * Waits until `n` tokens (default 1) are available, in FIFO order, then takes them.
   * Rejects with `RangeError` when `n` exceeds `capacity` (it could never be granted), and with
   * the signal's reason when aborted; an aborted waiter leaves the queue at once.
   *
   * @example
   * ```ts
   * import { TokenBucket } from "@edge-async/async-utils";
   * const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 10 });
   * await bucket.take(5);
   * await bucket.take(1, { signal: AbortSignal.timeout(1_000) }); // ~100 ms later
   * ```
   */
  take(n = 1, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    try {
      this.#check(n);
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.tryTake(n)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const taker: Taker = { n, resolve, reject, signal, detach: noop };
      const node: WaiterNode<Taker> = this.#waiters.push(taker);
      taker.detach = listenAbortShared(signal, () => {
        const wasHead = this.#waiters.peek() === taker;
        this.#waiters.remove(node);
        reject(abortReason(signal as AbortSignal));
        // Whoever is now at the head may need less time (or none): reschedule for them.
        if (wasHead) this.#pump();
      });
      if (this.#waiters.size === 1) this.#pump();
    });
  }

  #check(n: number): void {
    if (!(n >= 0)) throw new RangeError(`token count must be >= 0, got ${n}`);
    if (n > this.capacity) {
      throw new RangeError(`cannot take ${n} tokens from a bucket of capacity ${this.capacity}`);
    }
  }

  #refill(): void {
    const now = this.#now();
    if (this.refillPerSecond === Number.POSITIVE_INFINITY) {
      this.#tokens = this.capacity;
    } else {
      const elapsed = now - this.#last;
      if (elapsed > 0) {
        this.#tokens = Math.min(
          this.capacity,
          this.#tokens + (elapsed * this.refillPerSecond) / 1000,
        );
      }
    }
    this.#last = now;
  }

  /** Grants what can be granted now, then arms one timer for the head waiter. */
  #pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#refill();
    for (let head = this.#waiters.peek(); head !== undefined; head = this.#waiters.peek()) {
      if (head.signal?.aborted) {
        // Its abort is being dispatched (one signal shared by many waiters): never grant it.
        this.#waiters.shift();
        head.detach();
        head.reject(abortReason(head.signal));
        continue;
      }
      if (this.#tokens < head.n) {
        if (this.refillPerSecond === 0) return; // only an abort can release this waiter
        // Rounding up (and at least 1 ms) guarantees progress; a float shortfall just re-arms.
        const needMs = Math.ceil(((head.n - this.#tokens) * 1000) / this.refillPerSecond);
        const waitMs = Math.min(MAX_TIMER_DELAY, Math.max(1, needMs));
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, waitMs);
        return;
      }
      this.#tokens -= head.n;
      this.#waiters.shift();
      head.detach();
      head.resolve();
    }
  }
}

// setTimeout keeps its delay in a signed 32-bit integer; a longer wait is re-armed on firing.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

function noop(): void {}
