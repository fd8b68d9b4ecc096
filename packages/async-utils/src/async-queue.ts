import { abortReason, listenAbortShared } from "./internal/abort.ts";
import { checkBound } from "./internal/concurrency.ts";
import { QueueIterator } from "./internal/queue-iterator.ts";
import { RingBuffer } from "./internal/ring-buffer.ts";
import { WaiterList, type WaiterNode } from "./internal/waiter-list.ts";

/**
 * Raised by {@link AsyncQueue} on `put()` once the queue is closed, and on `get()` once it is
 * closed and drained.
 *
 * @example
 * ```ts
 * import { AsyncQueue, QueueClosedError } from "@edge-async/async-utils";
 * const queue = new AsyncQueue<number>();
 * queue.close();
 * await queue.put(1).catch((error) => console.assert(error instanceof QueueClosedError));
 * ```
 */
export class QueueClosedError extends Error {
  override name = "QueueClosedError";
  constructor(message = "The queue is closed", options?: ErrorOptions) {
    super(message, options);
  }
}

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
  detach: () => void;
}

interface Putter<T> extends Waiter<void> {
  readonly item: T;
}

/**
 * A FIFO queue for producer/consumer pipelines, shaped like Python's `asyncio.Queue`:
 * `put()` waits while the queue is full (backpressure), `get()` waits while it is empty.
 *
 * Items live in a ring buffer (O(1) per operation, no promise per buffered item); parked
 * producers and consumers wait in FIFO lists and leave them at once when their signal aborts.
 * `close()` lets consumers drain what is left and then ends them; `clear()` never strands a
 * promise. `taskDone()`/`join()` track completion as in asyncio. A capacity of `0` makes a
 * rendezvous channel: each `put()` waits for a `get()` to take its item.
 *
 * Parks promises: in Workers create it per request, never at module scope.
 *
 * @example
 * ```ts
 * import { AsyncQueue } from "@edge-async/async-utils";
 * const queue = new AsyncQueue<number>({ capacity: 2 });
 * const producer = (async () => {
 *   for (let i = 0; i < 5; i++) await queue.put(i); // waits while 2 items are buffered
 *   queue.close();
 * })();
 * for await (const item of queue) console.log(item); // 0 1 2 3 4
 * await producer;
 * ```
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  /** Most items buffered before `put()` waits. */
  readonly capacity: number;
  readonly #buffer = new RingBuffer<T>();
  readonly #getters = new WaiterList<Waiter<T>>();
  readonly #putters = new WaiterList<Putter<T>>();
  readonly #joiners = new WaiterList<Waiter<void>>();
  #closed = false;
  #unfinished = 0;

  constructor(options: { capacity?: number } = {}) {
    const { capacity = Number.POSITIVE_INFINITY } = options;
    this.capacity = checkBound(capacity, "capacity", "non-negative integer");
  }

  /** Items buffered now. */
  get size(): number {
    return this.#buffer.size;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** `get()` calls parked waiting for an item. */
  get pendingGets(): number {
    return this.#getters.size;
  }

  /** `put()` calls parked waiting for room. */
  get pendingPuts(): number {
    return this.#putters.size;
  }

  /**
   * Adds `item`, waiting while the queue is full. Rejects with {@link QueueClosedError} when the
   * queue is (or gets) closed before the item is accepted, and with the signal's reason on abort
   * (the item is then not added).
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<string>({ capacity: 1 });
   * await queue.put("a");
   * const second = queue.put("b"); // parked until someone gets "a"
   * console.assert((await queue.get()) === "a");
   * await second;
   * ```
   */
  put(item: T, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.tryPut(item)) return Promise.resolve();
    if (this.#closed) return Promise.reject(new QueueClosedError());
    return new Promise<void>((resolve, reject) => {
      const putter: Putter<T> = { item, resolve, reject, detach: noop };
      const node = this.#putters.push(putter);
      putter.detach = this.#onAbort(signal, this.#putters, node);
    });
  }

  /**
   * Adds `item` if there is room now; returns whether it did. Never waits; false once closed.
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<number>({ capacity: 1 });
   * console.assert(queue.tryPut(1) === true);
   * console.assert(queue.tryPut(2) === false);
   * ```
   */
  tryPut(item: T): boolean {
    if (this.#closed) return false;
    const getter = this.#getters.shift();
    if (getter !== undefined) {
      this.#unfinished++;
      getter.detach();
      getter.resolve(item);
      return true;
    }
    if (this.#buffer.size >= this.capacity || this.#putters.size > 0) return false;
    this.#unfinished++;
    this.#buffer.push(item);
    return true;
  }

  /**
   * Removes and returns the oldest item, waiting while the queue is empty. Rejects with
   * {@link QueueClosedError} once the queue is closed and drained, and with the signal's reason
   * on abort.
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<number>();
   * setTimeout(() => queue.put(42), 10);
   * console.assert((await queue.get()) === 42);
   * ```
   */
  get(options: { signal?: AbortSignal } = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#buffer.size > 0 || this.#putters.size > 0) return Promise.resolve(this.#take());
    if (this.#closed) return Promise.reject(new QueueClosedError());
    return new Promise<T>((resolve, reject) => {
      const getter: Waiter<T> = { resolve, reject, detach: noop };
      const node = this.#getters.push(getter);
      getter.detach = this.#onAbort(signal, this.#getters, node);
    });
  }

  /**
   * Removes and returns the oldest item if there is one; never waits.
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<number>();
   * console.assert(queue.tryGet() === undefined);
   * queue.tryPut(1);
   * console.assert(queue.tryGet() === 1);
   * ```
   */
  tryGet(): T | undefined {
    if (this.#buffer.size === 0 && this.#putters.size === 0) return undefined;
    return this.#take();
  }

  /**
   * Stops accepting items: parked and future `put()` calls reject with {@link QueueClosedError}.
   * Consumers still receive what is buffered; after that `get()` rejects and iteration ends.
   * Idempotent.
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<number>();
   * queue.tryPut(1);
   * queue.close();
   * const drained: number[] = [];
   * for await (const item of queue) drained.push(item);
   * console.assert(drained.length === 1);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const putter of this.#putters.drain()) {
      putter.detach();
      putter.reject(new QueueClosedError());
    }
    // Getters only park on an empty queue, so nothing is left for them.
    for (const getter of this.#getters.drain()) {
      getter.detach();
      getter.reject(new QueueClosedError());
    }
  }

  /**
   * Drops every buffered item and returns how many it dropped. Dropped items count as done for
   * `join()`. Parked producers are then let in, up to capacity, so no `put()` is left hanging.
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<number>({ capacity: 1 });
   * await queue.put(1);
   * const parked = queue.put(2);
   * console.assert(queue.clear() === 1);
   * await parked; // admitted into the freed slot
   * console.assert(queue.size === 1);
   * ```
   */
  clear(): number {
    const dropped = this.#buffer.size;
    this.#buffer.clear();
    if (dropped > 0) this.#finish(dropped);
    this.#admitPutters();
    return dropped;
  }

  /**
   * Marks one item obtained from the queue as fully processed (asyncio's `task_done`).
   * Throws `RangeError` when called more often than items were put.
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<string>();
   * queue.tryPut("job");
   * const job = await queue.get();
   * queue.taskDone();
   * await queue.join(); // resolves: every item was processed
   * ```
   */
  taskDone(): void {
    if (this.#unfinished <= 0)
      throw new RangeError("taskDone() called more times than items were put");
    this.#finish(1);
  }

  /**
   * Resolves once every item ever put has been marked with `taskDone()` (or dropped by `clear()`).
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<number>();
   * for (let i = 0; i < 3; i++) queue.tryPut(i);
   * (async () => {
   *   for await (const _ of queue) queue.taskDone();
   * })();
   * await queue.join();
   * queue.close();
   * ```
   */
  join(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#unfinished === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const joiner: Waiter<void> = { resolve, reject, detach: noop };
      const node = this.#joiners.push(joiner);
      joiner.detach = this.#onAbort(signal, this.#joiners, node);
    });
  }

  /**
   * Yields items as they arrive; ends when the queue is closed and drained. Leaving early
   * (`break`, `return()`, `throw()`) withdraws a `next()` still waiting on an empty queue, so the
   * next item put goes to the next reader instead of to a consumer that is gone. Each call returns
   * a new iterator; several may read one queue at once (FIFO among all waiting reads).
   *
   * @example
   * ```ts
   * import { AsyncQueue } from "@edge-async/async-utils";
   * const queue = new AsyncQueue<string>();
   * const reader = queue[Symbol.asyncIterator]();
   * const waiting = reader.next(); // parked: the queue is empty
   * await reader.return?.(); // the parked read leaves the queue; `waiting` resolves done
   * queue.tryPut("late");
   * console.assert((await queue.get()) === "late");
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T, undefined, undefined> {
    return new QueueIterator<T>({
      poll: () => {
        if (this.#buffer.size > 0 || this.#putters.size > 0) {
          return { done: false, value: this.#take() };
        }
        return this.#closed ? { done: true, value: undefined } : undefined;
      },
      park: (onItem, onClosed) =>
        this.#getters.push({ resolve: onItem, reject: onClosed, detach: noop }),
      withdraw: (node) => this.#getters.remove(node as WaiterNode<Waiter<T>>),
    });
  }

  /** Takes the oldest item (buffered, or straight from a parked producer when unbuffered). */
  #take(): T {
    if (this.#buffer.size > 0) {
      const item = this.#buffer.shift() as T;
      this.#admitPutters();
      return item;
    }
    const putter = this.#putters.shift() as Putter<T>;
    this.#unfinished++;
    putter.detach();
    putter.resolve();
    return putter.item;
  }

  #admitPutters(): void {
    while (this.#buffer.size < this.capacity) {
      const putter = this.#putters.shift();
      if (putter === undefined) return;
      this.#unfinished++;
      this.#buffer.push(putter.item);
      putter.detach();
      putter.resolve();
    }
  }

  #finish(count: number): void {
    this.#unfinished -= count;
    if (this.#unfinished > 0) return;
    for (const joiner of this.#joiners.drain()) {
      joiner.detach();
      joiner.resolve();
    }
  }

  #onAbort<W extends Waiter<never>>(
    signal: AbortSignal | undefined,
    list: WaiterList<W>,
    node: WaiterNode<W>,
  ): () => void {
    return listenAbortShared(signal, () => {
      list.remove(node);
      node.value.reject(abortReason(signal as AbortSignal));
    });
  }
}

function noop(): void {}
