import { abortReason, listenAbortShared, noop } from "./internal/abort.ts";
import { bulkheadFull, rejectSoon } from "./internal/bulkhead.ts";
import { checkBound } from "./internal/concurrency.ts";
import { WaiterList, type WaiterNode } from "./internal/waiter-list.ts";

/**
 * A permit held from a {@link Semaphore}. Release it exactly once, by hand or with `using`;
 * further releases do nothing.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@edge-async/async-utils";
 *
 * const semaphore = new Semaphore(2);
 * {
 *   using _permit = await semaphore.acquire();
 *   // ...at most two blocks like this one run at once
 * } // released here, even on throw
 * ```
 */
export interface Permit extends Disposable {
  /** How many of the semaphore's permits this one stands for (the `weight` it was acquired with). */
  readonly weight: number;
  /** Returns the permit to its semaphore. Idempotent. */
  release(): void;
}

export { BulkheadFullError } from "./internal/bulkhead.ts";

/**
 * Options for {@link Semaphore}.
 *
 * @example
 * ```ts
 * import { Semaphore, type SemaphoreOptions } from "@edge-async/async-utils";
 *
 * const options: SemaphoreOptions = { maxWaiting: 100 };
 * const semaphore = new Semaphore(6, options);
 * ```
 */
export interface SemaphoreOptions {
  /**
   * Most callers parked at once: a non-negative integer or `Infinity` (the default). A caller
   * that would wait behind a full line rejects at once with {@link BulkheadFullError}.
   */
  readonly maxWaiting?: number;
}

/**
 * Options for {@link Semaphore.acquire} and {@link Semaphore.run}.
 *
 * @example
 * ```ts
 * import { Semaphore, type AcquireOptions } from "@edge-async/async-utils";
 *
 * const options: AcquireOptions = { weight: 2, signal: AbortSignal.timeout(1_000) };
 * await new Semaphore(4).run(() => "heavy work", options);
 * ```
 */
export interface AcquireOptions {
  /** Cancels the wait: the caller leaves the line at once and rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** How many permits to take at once: a positive integer, default 1. */
  readonly weight?: number;
}

interface Waiter {
  weight: number;
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  detach: () => void;
  node: WaiterNode<Waiter> | undefined;
}

// One executor for every waiter's promise instead of a closure per waiter; it runs synchronously.
let parked: Waiter | undefined;
function park(resolve: (permit: Permit) => void, reject: (reason: unknown) => void): void {
  const waiter = parked as Waiter;
  waiter.resolve = resolve;
  waiter.reject = reject;
  parked = undefined;
}

// Assigned by Semaphore's static block, which alone can reach its private fields.
let releasePermit: (semaphore: Semaphore, weight: number) => void;

class SemaphorePermit implements Permit {
  #semaphore: Semaphore | undefined;
  readonly weight: number;

  constructor(semaphore: Semaphore, weight: number) {
    this.#semaphore = semaphore;
    this.weight = weight;
  }

  release(): void {
    const semaphore = this.#semaphore;
    if (semaphore === undefined) return;
    this.#semaphore = undefined;
    releasePermit(semaphore, this.weight);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * A counting semaphore with FIFO-fair waiters, weighted and cancellable `acquire`, a bounded
 * wait line (bulkhead) and a capacity that can change while it runs.
 *
 * A waiter whose signal aborts leaves the queue at once (O(1)) and its listener is detached, so
 * abandoned waits hold no memory. Waiters are served strictly in arrival order: a newcomer
 * never overtakes a waiter, and a heavy waiter at the head holds back lighter ones behind it
 * until enough permits are free for it, so it cannot be starved. Use one per request in
 * Workers: waiters are promises.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@edge-async/async-utils";
 *
 * const urls = ["https://example.com/a", "https://example.com/b"];
 * const connections = new Semaphore(6); // Workers allow 6 simultaneous outgoing connections
 * const responses = await Promise.all(urls.map((url) => connections.run(() => fetch(url))));
 * ```
 */
export class Semaphore {
  /** Most callers parked at once; see {@link SemaphoreOptions.maxWaiting}. */
  readonly maxWaiting: number;
  #permits: number;
  #held = 0;
  #waiters = new WaiterList<Waiter>();
  // An upper bound on the weights parked, so resize() scans the line only when it must.
  #heaviest = 0;

  /**
   * `permits`: a non-negative integer or `Infinity`; anything else, even `undefined`, throws a
   * RangeError naming the value. `0` makes a paused semaphore that {@link Semaphore.resize}
   * opens. `options.maxWaiting` is checked the same way.
   */
  constructor(permits: number, options?: SemaphoreOptions) {
    this.#permits = checkBound(permits, "permits", "non-negative integer");
    const maxWaiting = options?.maxWaiting ?? Number.POSITIVE_INFINITY;
    this.maxWaiting = checkBound(maxWaiting, "maxWaiting", "non-negative integer");
  }

  /** The semaphore's capacity: the value it was created with, or last {@link Semaphore.resize}d to. */
  get permits(): number {
    return this.#permits;
  }

  /** Permits free right now (0 while a shrink has left more permits held than there are). */
  get available(): number {
    return this.#held >= this.#permits ? 0 : this.#permits - this.#held;
  }

  /** Callers parked in {@link Semaphore.acquire}. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Changes the capacity while the semaphore is in use. Growing it serves waiters at once, in
   * order; shrinking it revokes nothing: holders keep their permits and no one else gets one
   * until fewer than `permits` are held. `0` pauses the semaphore. Waiters heavier than a new
   * non-zero capacity could never be served: they reject with a RangeError. Throws a
   * RangeError for a bad value, as the constructor does.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@edge-async/async-utils";
   *
   * const upstream = new Semaphore(4);
   * upstream.resize(8); // the upstream said it can take more (say, fewer 429s lately)
   * upstream.resize(2); // or less: running calls finish, new ones wait for the smaller limit
   * ```
   */
  resize(permits: number): void {
    this.#permits = checkBound(permits, "permits", "non-negative integer");
    if (permits > 0 && this.#heaviest > permits) {
      // Rebuild the line without the waiters that can never fit, keeping the order of the rest.
      this.#heaviest = 0;
      const tooHeavyToServe: Waiter[] = [];
      for (const waiter of this.#waiters.drain()) {
        if (waiter.weight > permits) {
          tooHeavyToServe.push(waiter);
          continue;
        }
        waiter.node = this.#waiters.push(waiter);
        if (waiter.weight > this.#heaviest) this.#heaviest = waiter.weight;
      }
      for (const waiter of tooHeavyToServe) {
        waiter.detach();
        waiter.reject(tooHeavy(waiter.weight, permits));
      }
    }
    this.#serve();
  }

  /**
   * Resolves with a permit of `weight` (default 1) once that many are free and every earlier
   * waiter has been served. Rejects with `signal.reason` if `signal` aborts first (the waiter
   * leaves the queue at once), with {@link BulkheadFullError} at once if it would wait behind
   * `maxWaiting` others, and with a RangeError when `weight` is not a positive integer or
   * exceeds a non-zero `permits`. A number is taken as `{ weight }`.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@edge-async/async-utils";
   *
   * const memory = new Semaphore(64); // MB of buffers this request may hold at once
   * using buffer = await memory.acquire({ weight: 16, signal: AbortSignal.timeout(5_000) });
   * console.assert(buffer.weight === 16 && memory.available === 48);
   * ```
   */
  acquire(options?: AcquireOptions | number): Promise<Permit> {
    try {
      const entry = this.#enter(options);
      if (entry === undefined) return Promise.reject(bulkheadFull(this.maxWaiting));
      return entry instanceof Promise ? entry : Promise.resolve(entry);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A permit at once, a promise of one, undefined when the wait line is full, or a throw for a
   * call that must not wait (an aborted signal, a bad weight).
   */
  #enter(options: AcquireOptions | number | undefined): Permit | Promise<Permit> | undefined {
    let signal: AbortSignal | undefined;
    let weight: unknown = options;
    if (typeof options !== "number") {
      signal = options?.signal;
      weight = options?.weight ?? 1;
    }
    if (signal?.aborted) throw abortReason(signal);
    if (weight !== 1) {
      const error = weightError(weight, this.#permits);
      if (error !== undefined) throw error;
    }
    return this.#take(weight as number, signal);
  }

  #take(weight: number, signal: AbortSignal | undefined): Permit | Promise<Permit> | undefined {
    if (this.#waiters.size === 0 && this.#held + weight <= this.#permits) {
      this.#held += weight;
      return new SemaphorePermit(this, weight);
    }
    if (this.#waiters.size >= this.maxWaiting) return undefined;
    if (weight > this.#heaviest) this.#heaviest = weight;
    const waiter: Waiter = {
      weight,
      resolve: noop,
      reject: noop,
      signal,
      detach: noop,
      node: undefined,
    };
    parked = waiter;
    const promise = new Promise<Permit>(park);
    waiter.node = this.#waiters.push(waiter);
    if (signal !== undefined) {
      waiter.detach = listenAbortShared(signal, () => this.#drop(waiter, abortReason(signal)));
    }
    return promise;
  }

  /**
   * Takes a permit of `weight` (default 1) if that many are free and nobody is waiting; never
   * waits. Throws a RangeError for a bad `weight`, as {@link Semaphore.acquire} rejects.
   */
  tryAcquire(weight = 1): Permit | undefined {
    const error = weight === 1 ? undefined : weightError(weight, this.#permits);
    if (error !== undefined) throw error;
    if (this.#waiters.size > 0 || this.#held + weight > this.#permits) return undefined;
    this.#held += weight;
    return new SemaphorePermit(this, weight);
  }

  /**
   * Runs `fn` while holding a permit of `options.weight` (default 1) and releases it when `fn`
   * settles (or throws). `options.signal` only cancels the wait for the permit; once `fn` runs
   * it is up to `fn`. Rejects as {@link Semaphore.acquire} does, without calling `fn`.
   */
  run<T>(fn: () => PromiseLike<T> | T, options?: AcquireOptions): Promise<T> {
    let entry: Permit | Promise<Permit> | undefined;
    try {
      entry = this.#enter(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (entry === undefined) return rejectSoon(bulkheadFull(this.maxWaiting));
    return hold(entry, fn);
  }

  // Gives released permits back and serves the waiters they now cover.
  static {
    releasePermit = (semaphore: Semaphore, weight: number): void => {
      semaphore.#held -= weight;
      semaphore.#serve();
    };
  }

  /** Hands permits to waiters in arrival order while the one at the head fits. */
  #serve(): void {
    for (let waiter = this.#waiters.peek(); waiter !== undefined; waiter = this.#waiters.peek()) {
      if (this.#held + waiter.weight > this.#permits) return;
      this.#waiters.shift();
      if (this.#waiters.size === 0) this.#heaviest = 0;
      this.#held += waiter.weight;
      waiter.detach();
      waiter.resolve(new SemaphorePermit(this, waiter.weight));
    }
  }

  /** Takes an aborted waiter out of the line and rejects it; the waiters behind may fit now. */
  #drop(waiter: Waiter, reason: unknown): void {
    const node = waiter.node as WaiterNode<Waiter>;
    if (!node.linked) return;
    const wasHead = this.#waiters.peek() === waiter;
    this.#waiters.remove(node);
    if (this.#waiters.size === 0) this.#heaviest = 0;
    waiter.reject(reason);
    if (wasHead) this.#serve();
  }
}

/** Runs `fn` once `entry` gives a permit, and releases the permit when `fn` settles. */
async function hold<T>(entry: Permit | Promise<Permit>, fn: () => PromiseLike<T> | T): Promise<T> {
  const permit = await entry;
  try {
    return await fn();
  } finally {
    permit.release();
  }
}

/** Why `weight` cannot be asked of a semaphore of `permits`, or undefined when it can. */
function weightError(weight: unknown, permits: number): RangeError | undefined {
  try {
    checkBound(weight, "weight", "positive integer", false);
  } catch (error) {
    return error as RangeError;
  }
  return permits > 0 && (weight as number) > permits
    ? tooHeavy(weight as number, permits)
    : undefined;
}

function tooHeavy(weight: number, permits: number): RangeError {
  return new RangeError(`weight ${weight} exceeds the semaphore's ${permits} permits`);
}
