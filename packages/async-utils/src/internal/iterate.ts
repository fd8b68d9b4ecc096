// Async-iterator plumbing shared by the iterator helpers (chunk, take, merge, paginate, ...).

import type { RingBuffer } from "./ring-buffer.ts";

/** A consumer's `next()` call waiting for its result. */
export interface Request<T> {
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
  readonly reject: (reason: unknown) => void;
}

/** A fresh end-of-iteration result (fresh, so a consumer mutating one cannot affect another). */
export function doneResult(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}

/** Resolves every waiting `next()` with `{ done: true }`, oldest first. */
export function endRequests<T>(requests: RingBuffer<Request<T>>): void {
  for (let request = requests.shift(); request !== undefined; request = requests.shift()) {
    request.resolve(doneResult());
  }
}

/** Calls `iterator.next()` and routes its outcome; a synchronous throw counts as a rejection. */
export function readNext<T>(
  iterator: AsyncIterator<T>,
  onResult: (result: IteratorResult<T>) => void,
  onError: (error: unknown) => void,
): void {
  let next: Promise<IteratorResult<T>>;
  try {
    next = Promise.resolve(iterator.next());
  } catch (error) {
    next = Promise.reject(error);
  }
  next.then(onResult, onError);
}

/** An async iterator over either kind of iterable; sync values are awaited as `for await` does. */
export function toAsyncIterator<T>(input: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in input) return input[Symbol.asyncIterator]();
  const iterator = input[Symbol.iterator]();
  return {
    async next() {
      const result = iterator.next();
      return result.done ? result : { done: false, value: await result.value };
    },
    async return(value?: unknown) {
      iterator.return?.();
      return { done: true, value } as IteratorReturnResult<T>;
    },
  };
}

/**
 * Asks `iterator` to clean up. When it is `busy` (a next() still pending) the call is not awaited:
 * an async generator queues return() behind its pending next(), which may never settle. An
 * `AsyncQueue` iterator withdraws that pending next() at once instead.
 */
export async function closeIterator(
  iterator: AsyncIterator<unknown>,
  busy: boolean,
): Promise<void> {
  let closing: Promise<unknown>;
  try {
    closing = Promise.resolve(iterator.return?.());
  } catch (error) {
    closing = Promise.reject(error);
  }
  if (busy) {
    closing.catch(() => {});
    return;
  }
  await closing;
}
