import { abortReason, linkedController, listenAbortShared } from "./internal/abort.ts";
import { abortable } from "./internal/abortable.ts";
import { checkBound } from "./internal/concurrency.ts";
import { WaiterList } from "./internal/waiter-list.ts";

/**
 * A resource borrowed from a {@link Pool}. Give it back with `release()` (or let `await using`
 * do it), or throw it away with `destroy()` when it is broken. Both are idempotent; only the
 * first call counts.
 *
 * @example
 * ```ts
 * import { Pool } from "@edge-async/async-utils";
 * const pool = new Pool({ create: () => ({ id: crypto.randomUUID() }), max: 2 });
 * {
 *   await using lease = await pool.acquire();
 *   console.log(lease.value.id);
 * } // released here
 * ```
 */
export interface Lease<R> extends AsyncDisposable {
  /** The borrowed resource. Do not use it after the lease ended. */
  readonly value: R;
  /** Returns the resource to the pool (or to the next waiter). */
  release(): Promise<void>;
  /** Destroys the resource and frees its slot. */
  destroy(): Promise<void>;
}

/**
 * Options for {@link Pool}.
 *
 * @example
 * ```ts
 * import { Pool, type PoolOptions } from "@edge-async/async-utils";
 * const options: PoolOptions<WebSocket> = {
 *   create: () => new WebSocket("wss://example.com/feed"),
 *   destroy: (socket) => socket.close(),
 *   validate: (socket) => socket.readyState === WebSocket.OPEN,
 *   max: 2,
 * };
 * const sockets = new Pool(options);
 * ```
 */
export interface PoolOptions<R> {
  /** Makes a resource. Its signal aborts when the `acquire()` that asked for it is aborted. */
  create: (signal: AbortSignal) => Promise<R> | R;
  /** Disposes of a resource (idle timeout, `lease.destroy()`, failed validation, `drain()`). */
  destroy?: (resource: R) => Promise<void> | void;
  /** Checks an idle resource before lending it again; false (or a throw) destroys it. */
  validate?: (resource: R) => boolean | Promise<boolean>;
  /** Most resources alive at once, lent or idle: a positive integer or `Infinity`. Required. */
  max: number;
  /** Destroy a resource idle this long (default: never). */
  idleTimeoutMs?: number;
}

/**
 * Raised by {@link Pool.acquire} once `drain()` was called, including for callers that were
 * waiting.
 *
 * @example
 * ```ts
 * import { Pool, PoolDrainedError } from "@edge-async/async-utils";
 * const pool = new Pool({ create: () => ({}), max: 1 });
 * await pool.drain();
 * await pool.acquire().catch((error) => console.assert(error instanceof PoolDrainedError));
 * ```
 */
export class PoolDrainedError extends Error {
  override name = "PoolDrainedError";
  constructor(message = "The pool is drained", options?: ErrorOptions) {
    super(message, options);
  }
}

type Grant<R> = { resource: R } | { slot: true };

interface Waiter<R> {
  readonly resolve: (grant: Grant<R>) => void;
  readonly reject: (reason: unknown) => void;
  detach: () => void;
}

interface IdleEntry<R> {
  readonly resource: R;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A bounded pool of reusable resources (connections, clients, parsers): at most `max` exist at
 * once; `acquire()` lends an idle one, creates one while under `max`, or waits in FIFO order.
 * A failed `create()` frees its slot; an aborted `acquire()` leaves the queue at once and aborts
 * the `create()` it started. Idle resources are destroyed after `idleTimeoutMs`.
 *
 * The async-context-manager pattern of Python (`async with pool.acquire() as conn`) becomes
 * `await using lease = await pool.acquire()`.
 *
 * Holds in-flight promises and timers: in Workers create it per request, never at module scope.
 *
 * @example
 * ```ts
 * import { Pool } from "@edge-async/async-utils";
 * const pool = new Pool({
 *   create: async (signal) => openConnection({ signal }),
 *   destroy: (conn) => conn.close(),
 *   max: 6,
 *   idleTimeoutMs: 30_000,
 * });
 * const rows = await pool.use((conn) => conn.query("select 1"));
 * await pool.drain();
 * ```
 */
export class Pool<R> {
  readonly #options: PoolOptions<R>;
  readonly #max: number;
  readonly #idle: IdleEntry<R>[] = [];
  readonly #waiters = new WaiterList<Waiter<R>>();
  #size = 0;
  #draining: Promise<void> | undefined;
  #onEmpty: (() => void) | undefined;
  readonly #drainErrors: unknown[] = [];

  constructor(options: PoolOptions<R>) {
    const { max, idleTimeoutMs = Number.POSITIVE_INFINITY } = options;
    checkBound(max, "max");
    if (!(idleTimeoutMs >= 0)) {
      throw new RangeError(`idleTimeoutMs must be >= 0, got ${idleTimeoutMs}`);
    }
    this.#options = options;
    this.#max = max;
  }

  /** Resources alive now: lent, idle, or being created. */
  get size(): number {
    return this.#size;
  }

  /** Resources sitting idle in the pool. */
  get idle(): number {
    return this.#idle.length;
  }

  /** `acquire()` calls waiting for a resource. */
  get pending(): number {
    return this.#waiters.size;
  }

  /**
   * Borrows a resource: an idle one, a new one while under `max`, or the next one given back.
   * Rejects with the signal's reason on abort and with {@link PoolDrainedError} after `drain()`.
   *
   * @example
   * ```ts
   * import { Pool } from "@edge-async/async-utils";
   * const pool = new Pool({ create: () => new Map<string, string>(), max: 1 });
   * await using lease = await pool.acquire({ signal: AbortSignal.timeout(1_000) });
   * lease.value.set("k", "v");
   * ```
   */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<Lease<R>> {
    const { signal } = options;
    for (;;) {
      const grant = await this.#reserve(signal);
      if ("slot" in grant) {
        if (signal?.aborted) {
          // Aborted between being granted the slot and resuming: hand the slot on unused.
          this.#freeSlot();
          throw abortReason(signal);
        }
        return this.#lease(await this.#create(signal));
      }
      const { validate } = this.#options;
      if (validate !== undefined) {
        let valid: boolean;
        try {
          valid = await validate(grant.resource);
        } catch {
          valid = false;
        }
        if (!valid) {
          await this.#destroy(grant.resource).catch(noop);
          continue;
        }
      }
      if (signal?.aborted) {
        this.#giveBack(grant.resource);
        throw abortReason(signal);
      }
      return this.#lease(grant.resource);
    }
  }

  /**
   * Runs `fn` with a borrowed resource and gives it back afterwards, even when `fn` throws.
   *
   * @example
   * ```ts
   * import { Pool } from "@edge-async/async-utils";
   * const pool = new Pool({ create: () => ({ hits: 0 }), max: 2 });
   * const hits = await pool.use((counter) => ++counter.hits);
   * ```
   */
  async use<T>(
    fn: (resource: R) => Promise<T> | T,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const lease = await this.acquire(options);
    try {
      return await fn(lease.value);
    } finally {
      await lease.release();
    }
  }

  /**
   * Shuts the pool down: waiting and future `acquire()` calls reject with
   * {@link PoolDrainedError}, idle resources are destroyed now, lent ones when they come back.
   * Resolves once every resource is gone; rejects with an `AggregateError` if any `destroy`
   * failed. Calling it again returns the same promise.
   *
   * @example
   * ```ts
   * import { Pool } from "@edge-async/async-utils";
   * const pool = new Pool({ create: () => ({}), max: 2 });
   * const lease = await pool.acquire();
   * const drained = pool.drain();
   * await lease.release(); // destroyed, then drain() resolves
   * await drained;
   * ```
   */
  drain(): Promise<void> {
    if (this.#draining !== undefined) return this.#draining;
    const emptied = new Promise<void>((resolve) => {
      this.#onEmpty = resolve;
    });
    // Set first: the destroys below must already see the pool as draining.
    this.#draining = emptied.then(() => {
      if (this.#drainErrors.length > 0) {
        throw new AggregateError(this.#drainErrors.splice(0), "Some resources failed to destroy");
      }
    });
    for (const waiter of this.#waiters.drain()) {
      waiter.detach();
      waiter.reject(new PoolDrainedError());
    }
    for (const entry of this.#idle.splice(0)) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      this.#destroy(entry.resource).catch(noop);
    }
    this.#checkEmpty();
    return this.#draining;
  }

  /** Lends an idle resource, reserves a creation slot, or parks the caller in FIFO order. */
  #reserve(signal: AbortSignal | undefined): Promise<Grant<R>> {
    if (this.#draining !== undefined) return Promise.reject(new PoolDrainedError());
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const entry = this.#idle.pop(); // most recently used first, so surplus ones time out
    if (entry !== undefined) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      return Promise.resolve({ resource: entry.resource });
    }
    if (this.#size < this.#max) {
      this.#size++;
      return Promise.resolve({ slot: true });
    }
    return new Promise<Grant<R>>((resolve, reject) => {
      const waiter: Waiter<R> = { resolve, reject, detach: noop };
      const node = this.#waiters.push(waiter);
      waiter.detach = listenAbortShared(signal, () => {
        this.#waiters.remove(node);
        reject(abortReason(signal as AbortSignal));
      });
    });
  }

  /** Fills a reserved slot. On failure the slot is freed (or handed to the next waiter). */
  async #create(signal: AbortSignal | undefined): Promise<R> {
    const { controller, dispose } = linkedController(signal);
    const creating = (async () => this.#options.create(controller.signal))();
    try {
      return await abortable(creating, signal);
    } catch (error) {
      if (signal?.aborted) {
        // The slot stays taken until a create() that ignored its signal settles; a resource
        // that shows up late goes to the pool instead of leaking.
        creating.then(
          (resource) => this.#giveBack(resource),
          () => this.#freeSlot(),
        );
      } else {
        this.#freeSlot();
      }
      throw error;
    } finally {
      dispose();
    }
  }

  #lease(resource: R): Lease<R> {
    let ended = false;
    const release = async (): Promise<void> => {
      if (ended) return;
      ended = true;
      this.#giveBack(resource);
    };
    const destroy = async (): Promise<void> => {
      if (ended) return;
      ended = true;
      await this.#destroy(resource);
    };
    return { value: resource, release, destroy, [Symbol.asyncDispose]: release };
  }

  /** A resource came back: next waiter first, else idle (or destroyed while draining). */
  #giveBack(resource: R): void {
    if (this.#draining !== undefined) {
      this.#destroy(resource).catch(noop);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.detach();
      waiter.resolve({ resource });
      return;
    }
    const entry: IdleEntry<R> = { resource, timer: undefined };
    const { idleTimeoutMs = Number.POSITIVE_INFINITY } = this.#options;
    if (idleTimeoutMs <= MAX_TIMER_DELAY) {
      entry.timer = setTimeout(() => {
        const index = this.#idle.indexOf(entry);
        if (index === -1) return;
        this.#idle.splice(index, 1);
        this.#destroy(resource).catch(noop);
      }, idleTimeoutMs);
    }
    this.#idle.push(entry);
  }

  /** Destroys a resource and frees its slot, whatever `destroy` does. */
  async #destroy(resource: R): Promise<void> {
    try {
      await this.#options.destroy?.(resource);
    } catch (error) {
      if (this.#draining !== undefined) this.#drainErrors.push(error);
      throw error;
    } finally {
      this.#freeSlot();
    }
  }

  #freeSlot(): void {
    this.#size--;
    if (this.#draining !== undefined) {
      this.#checkEmpty();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    this.#size++;
    waiter.detach();
    waiter.resolve({ slot: true });
  }

  #checkEmpty(): void {
    if (this.#size === 0) this.#onEmpty?.();
  }
}

// setTimeout keeps its delay in a signed 32-bit integer (~24.8 days); longer counts as never.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

function noop(): void {}
