import { noop } from "./internal/abort.ts";
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
 * Yields the first `count` items of `input`, then closes it. Never pulls item `count + 1`, so it
 * is safe on endless or lazily fetched sources. `count` may be `0` (the source is not even
 * started) or `Infinity`. The source is closed as soon as item `count` has been handed out; a
 * failing `return()` surfaces from the following `next()` or `return()`.
 *
 * Each `next()` asks the source for exactly one item, in order. Closing (`return()`, `throw()`,
 * a `break`) takes effect at once, even while the source's `next()` is pending: a `next()` still
 * waiting resolves `{ done: true }` and the source's `return()` is called without waiting for
 * its pending step. An `AsyncQueue` source withdraws that pending read, so its next item goes to
 * the queue's next reader; an item a generator yields after the close is dropped.
 *
 * @example
 * ```ts
 * import { take } from "@edge-async/async-utils";
 * async function* naturals() {
 *   for (let i = 0; ; i++) yield i;
 * }
 * const firstThree: number[] = [];
 * for await (const n of take(naturals(), 3)) firstThree.push(n);
 * console.assert(firstThree.join() === "0,1,2");
 * ```
 */
export function take<T>(
  input: Iterable<T> | AsyncIterable<T>,
  count: number,
): AsyncIterableIterator<T> {
  checkBound(count, "count", "non-negative integer");
  return new TakeIterator(input, count);
}

// Not an async generator: a generator's return() waits behind its pending step, so a consumer
// leaving while the source's next() is pending could not close the source.
class TakeIterator<T> implements AsyncIterableIterator<T, undefined> {
  readonly #input: Iterable<T> | AsyncIterable<T>;
  #remaining: number;
  /** Opened by the first next() that needs an item. */
  #source: AsyncIterator<T> | undefined;
  /** Waiting next() calls; the oldest one owns the read in flight. */
  #requests = new RingBuffer<Request<T>>();
  #reading = false;
  #done = false;
  /** The source's return() after the last item, surfaced once to the next caller. */
  #closing: Promise<void> | undefined;

  constructor(input: Iterable<T> | AsyncIterable<T>, count: number) {
    this.#input = input;
    this.#remaining = count;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return this.#afterClosing();
    return new Promise((resolve, reject) => {
      this.#requests.push({ resolve, reject });
      this.#serve();
    });
  }

  return(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return this.#afterClosing();
    return this.#close().then(doneResult);
  }

  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    const closing = this.#done ? this.#afterClosing() : this.#close();
    return closing.then(() => Promise.reject(error));
  }

  #serve(): void {
    if (this.#reading || this.#requests.size === 0) return;
    if (this.#remaining <= 0) {
      // Only `count` 0 gets here: the source is closed as soon as the last item is out.
      this.#done = true;
      endRequests(this.#requests);
      return;
    }
    if (this.#source === undefined) {
      try {
        this.#source = toAsyncIterator(this.#input);
      } catch (error) {
        this.#onReadFailed(error);
        return;
      }
    }
    this.#reading = true;
    readNext(this.#source, this.#onRead, this.#onReadFailed);
  }

  #onRead = (result: IteratorResult<T>): void => {
    this.#reading = false;
    if (this.#done) return;
    const request = this.#requests.shift() as Request<T>;
    if (result.done === true) {
      this.#done = true;
      request.resolve(doneResult());
      endRequests(this.#requests);
      return;
    }
    if (--this.#remaining <= 0) {
      this.#done = true;
      const closing = closeIterator(this.#source as AsyncIterator<T>, false);
      closing.catch(noop);
      this.#closing = closing;
    }
    request.resolve({ done: false, value: result.value });
    if (this.#done) endRequests(this.#requests);
    else this.#serve();
  };

  #onReadFailed = (error: unknown): void => {
    this.#reading = false;
    if (this.#done) return;
    this.#done = true;
    (this.#requests.shift() as Request<T>).reject(error);
    endRequests(this.#requests);
  };

  #close(): Promise<void> {
    this.#done = true;
    endRequests(this.#requests);
    if (this.#source === undefined) return Promise.resolve();
    return closeIterator(this.#source, this.#reading);
  }

  #afterClosing(): Promise<IteratorResult<T, undefined>> {
    const closing = this.#closing;
    this.#closing = undefined;
    return closing === undefined ? Promise.resolve(doneResult()) : closing.then(doneResult);
  }
}
