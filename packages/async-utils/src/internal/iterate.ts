// Async-iterator plumbing shared by the iterator helpers (chunk, take, merge, ...).

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
 * an async generator queues return() behind its pending next(), which may never settle.
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
