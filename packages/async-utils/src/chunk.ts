import { abortReason, listenAbort, noop } from "./internal/abort.ts";
import { checkBound } from "./internal/concurrency.ts";
import {
  closeIterator,
  doneResult,
  endRequests,
  type Request,
  readNext,
  toAsyncIterator,
} from "./internal/iterate.ts";
import { RingBuffer } from "./internal/ring-buffer.ts";

/**
 * Options for {@link chunk}.
 *
 * @example
 * ```ts
 * import { chunk, type ChunkOptions } from "@edge-async/async-utils";
 * const quarterSecond: ChunkOptions = { maxWaitMs: 250 };
 * for await (const batch of chunk([1, 2, 3], 100, quarterSecond)) console.log(batch);
 * ```
 */
export interface ChunkOptions {
  /**
   * Emit a partial chunk once this many milliseconds have passed since its first item arrived,
   * instead of waiting for it to fill. Default: wait for `size` items (or the end).
   */
  maxWaitMs?: number;
  /** Ends the iteration with the signal's reason when it aborts. */
  signal?: AbortSignal;
}

/**
 * Groups items into arrays of `size` (the last one may be shorter). With `maxWaitMs`, a chunk is
 * also emitted when it has waited that long since its first item arrived: batching by count or
 * time, whichever comes first (e.g. writing rows to D1 in batches without stalling on a trickle).
 *
 * At most one `next()` is outstanding on the source: when the timer fires mid-wait, that same
 * pending `next()` is reused for the following chunk rather than abandoned. If the source throws,
 * the items already collected are emitted first, then the error.
 *
 * Closing (`return()`, `throw()`, a `break`) takes effect at once, even while the source's
 * `next()` is pending: a `next()` still waiting receives the items collected so far (or
 * `{ done: true }`), and the source's `return()` is called without waiting for its pending step.
 * An `AsyncQueue` source withdraws that pending read, so its next item goes to the queue's
 * next reader. An item the source hands over after the close (a generator finishing an `await`)
 * is dropped. Aborting `signal` drops the partial chunk and rejects with the signal's reason.
 *
 * @example
 * ```ts
 * import { chunk } from "@edge-async/async-utils";
 * for await (const rows of chunk([1, 2, 3, 4, 5], 2)) console.log(rows); // [1,2] [3,4] [5]
 *
 * async function* events() {
 *   yield "a";
 *   await new Promise((resolve) => setTimeout(resolve, 1_000));
 *   yield "b";
 * }
 * for await (const batch of chunk(events(), 100, { maxWaitMs: 50 })) console.log(batch); // ["a"] ["b"]
 * ```
 */
export function chunk<T>(
  input: Iterable<T> | AsyncIterable<T>,
  size: number,
  options: ChunkOptions = {},
): AsyncIterableIterator<T[]> {
  checkBound(size, "size");
  const { maxWaitMs = Number.POSITIVE_INFINITY, signal } = options;
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${maxWaitMs}`);
  return new ChunkIterator(input, size, maxWaitMs, signal);
}

const NO_FAILURE: unique symbol = Symbol("no failure");

// A hand-written iterator rather than an async generator: a generator's return() waits behind
// its pending step, so a break could not close the source while its next() is pending.
class ChunkIterator<T> implements AsyncIterableIterator<T[], undefined> {
  readonly #input: Iterable<T> | AsyncIterable<T>;
  readonly #size: number;
  readonly #maxWaitMs: number;
  readonly #signal: AbortSignal | undefined;
  /** Opened by the first next(), as an async generator would. */
  #source: AsyncIterator<T> | undefined;
  #batch: T[] = [];
  #requests = new RingBuffer<Request<T[]>>();
  #reading = false;
  /** No more reads: the source ended, failed or was closed. Late results are dropped. */
  #exhausted = false;
  /** The consumer side is over: next() answers `{ done: true }`. */
  #done = false;
  #failure: unknown = NO_FAILURE;
  #expired = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #detachAbort = noop;

  constructor(
    input: Iterable<T> | AsyncIterable<T>,
    size: number,
    maxWaitMs: number,
    signal: AbortSignal | undefined,
  ) {
    this.#input = input;
    this.#size = size;
    this.#maxWaitMs = maxWaitMs;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T[], undefined>> {
    if (this.#done) return Promise.resolve(doneResult());
    if (this.#source === undefined && !this.#exhausted) this.#open();
    return new Promise((resolve, reject) => {
      this.#requests.push({ resolve, reject });
      this.#serve();
    });
  }

  return(): Promise<IteratorResult<T[], undefined>> {
    return this.#close().then(doneResult);
  }

  throw(error?: unknown): Promise<IteratorResult<T[], undefined>> {
    return this.#close().then(() => Promise.reject(error));
  }

  #open(): void {
    try {
      this.#source = toAsyncIterator(this.#input);
    } catch (error) {
      this.#exhausted = true;
      this.#failure = error;
      return;
    }
    const signal = this.#signal;
    if (signal?.aborted) this.#abort(abortReason(signal));
    else
      this.#detachAbort = listenAbort(signal, () =>
        this.#abort(abortReason(signal as AbortSignal)),
      );
  }

  #serve(): void {
    while (this.#requests.size > 0) {
      const batch = this.#batch;
      if (batch.length >= this.#size || (batch.length > 0 && (this.#expired || this.#exhausted))) {
        (this.#requests.shift() as Request<T[]>).resolve({ done: false, value: this.#takeBatch() });
      } else if (this.#exhausted) {
        this.#finish();
        const failure = this.#failure;
        this.#failure = NO_FAILURE;
        if (failure !== NO_FAILURE) (this.#requests.shift() as Request<T[]>).reject(failure);
        endRequests(this.#requests);
      } else {
        if (!this.#reading) {
          this.#reading = true;
          readNext(this.#source as AsyncIterator<T>, this.#onRead, this.#onReadFailed);
        }
        return;
      }
    }
  }

  #onRead = (result: IteratorResult<T>): void => {
    this.#reading = false;
    if (this.#exhausted) return;
    if (result.done === true) {
      this.#exhausted = true;
    } else {
      this.#batch.push(result.value);
      if (this.#batch.length === 1 && this.#size > 1 && this.#maxWaitMs <= MAX_TIMER_DELAY) {
        this.#timer = setTimeout(this.#expire, this.#maxWaitMs);
      }
    }
    this.#serve();
  };

  #onReadFailed = (error: unknown): void => {
    this.#reading = false;
    if (this.#exhausted) return;
    this.#exhausted = true;
    this.#failure = error;
    this.#serve();
  };

  #expire = (): void => {
    this.#timer = undefined;
    this.#expired = true;
    this.#serve();
  };

  #takeBatch(): T[] {
    const full = this.#batch;
    this.#batch = [];
    this.#expired = false;
    this.#clearTimer();
    return full;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The consumer side ends: no timer, no abort listener. */
  #finish(): void {
    this.#done = true;
    this.#clearTimer();
    this.#detachAbort();
  }

  #abort(reason: unknown): void {
    if (this.#done) return;
    this.#batch = [];
    this.#clearTimer();
    this.#failure = reason;
    // The reason is what the consumer must see; a failing return() cannot replace it.
    this.#closeSource().catch(noop);
    this.#serve();
  }

  #close(): Promise<void> {
    if (this.#done) return Promise.resolve();
    this.#finish();
    // A next() still waiting gets what was already taken from the source for it.
    const first = this.#requests.shift();
    if (first !== undefined) {
      if (this.#batch.length > 0) first.resolve({ done: false, value: this.#takeBatch() });
      else first.resolve(doneResult());
    }
    endRequests(this.#requests);
    this.#batch = [];
    this.#failure = NO_FAILURE;
    return this.#closeSource();
  }

  /** Calls the source's return() unless it already ended; waits for it only if it was idle. */
  #closeSource(): Promise<void> {
    const source = this.#source;
    if (source === undefined || this.#exhausted) {
      this.#exhausted = true;
      return Promise.resolve();
    }
    this.#exhausted = true;
    return closeIterator(source, this.#reading);
  }
}

// setTimeout keeps its delay in a signed 32-bit integer (~24.8 days); longer counts as never.
const MAX_TIMER_DELAY = 2 ** 31 - 1;
