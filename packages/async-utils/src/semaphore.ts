import { abortReason, listenAbortShared, noop } from "./internal/abort.ts";
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
  /** Returns the permit to its semaphore. Idempotent. */
  release(): void;
}

interface Waiter {
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  detach: () => void;
}

// Assigned by Semaphore's static block, which alone can reach its private fields.
let releasePermit: (semaphore: Semaphore) => void;

class SemaphorePermit implements Permit {
  #semaphore: Semaphore | undefined;
  #release: (semaphore: Semaphore) => void;

  constructor(semaphore: Semaphore, release: (semaphore: Semaphore) => void) {
    this.#semaphore = semaphore;
    this.#release = release;
  }

  release(): void {
    const semaphore = this.#semaphore;
    if (semaphore === undefined) return;
    this.#semaphore = undefined;
    this.#release(semaphore);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * A counting semaphore with FIFO-fair waiters and cancellable `acquire`.
 *
 * A waiter whose signal aborts leaves the queue at once (O(1)) and its listener is detached, so
 * abandoned waits hold no memory. A released permit goes straight to the longest waiter, so a
 * newcomer can never overtake it. Use one per request in Workers: waiters are promises.
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
  /** The number of permits the semaphore was created with. */
  readonly permits: number;
  #available: number;
  #waiters = new WaiterList<Waiter>();

  /** `permits`: a non-negative integer or `Infinity`; anything else, even `undefined`, throws. */
  constructor(permits: number) {
    this.permits = checkBound(permits, "permits", "non-negative integer");
    this.#available = this.permits;
  }

  /** Permits free right now. */
  get available(): number {
    return this.#available;
  }

  /** Callers parked in {@link Semaphore.acquire}. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves with a permit once one is free and every earlier waiter has been served. Rejects
   * with `signal.reason` if `signal` aborts first; the waiter then leaves the queue at once.
   */
  acquire(options?: { signal?: AbortSignal }): Promise<Permit> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#available > 0 && this.#waiters.size === 0) {
      this.#available--;
      return Promise.resolve(new SemaphorePermit(this, releasePermit));
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, detach: noop };
      const node = this.#waiters.push(waiter);
      if (signal !== undefined)
        waiter.detach = listenAbortShared(signal, () => this.#abandon(node));
    });
  }

  /** Takes a permit if one is free and nobody is waiting; never waits. */
  tryAcquire(): Permit | undefined {
    if (this.#available === 0 || this.#waiters.size > 0) return undefined;
    this.#available--;
    return new SemaphorePermit(this, releasePermit);
  }

  /**
   * Runs `fn` while holding a permit and releases it when `fn` settles (or throws). `signal`
   * only cancels the wait for the permit; once `fn` runs it is up to `fn`.
   */
  async run<T>(fn: () => PromiseLike<T> | T, options?: { signal?: AbortSignal }): Promise<T> {
    using _permit = await this.acquire(options);
    return await fn();
  }

  // Hands a released permit to the oldest waiter, or puts it back.
  static {
    releasePermit = (semaphore: Semaphore): void => {
      const waiter = semaphore.#waiters.shift();
      if (waiter === undefined) {
        semaphore.#available++;
        return;
      }
      waiter.detach();
      waiter.resolve(new SemaphorePermit(semaphore, releasePermit));
    };
  }

  #abandon(node: WaiterNode<Waiter>): void {
    if (!node.linked) return;
    this.#waiters.remove(node);
    const waiter = node.value;
    waiter.reject(abortReason(waiter.signal as AbortSignal));
  }
}
