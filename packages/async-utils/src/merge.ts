import { closeIterator, toAsyncIterator } from "./internal/iterate.ts";
import { RingBuffer } from "./internal/ring-buffer.ts";

type Arrival<T> =
  | { source: number; result: IteratorResult<T> }
  | { source: number; error: unknown };

interface Request<T> {
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * Interleaves several iterables into one, yielding each value as soon as its source produces it.
 * Each source has at most one `next()` in flight, and the next one is requested only after the
 * consumer asked for more, so nothing piles up. When one source throws, the merged iteration
 * throws and the others are closed.
 *
 * Closing (`return()`, `throw()`, a `break`) takes effect at once: a `next()` still waiting
 * resolves `{ done: true }` and every source gets its `return()` call without the merge waiting
 * on a `next()` still pending on it. An `AsyncQueue` source withdraws that pending read, so its
 * next item goes to the queue's next reader. Values already received from a source but not yet
 * handed out when the merge closes are dropped with it (they were taken from their source), as
 * is a value a generator yields after the close.
 *
 * Answers Python's "merge several async generators" recipes (`aiostream.stream.merge`).
 *
 * @example
 * ```ts
 * import { merge, sleep } from "@edge-async/async-utils";
 * async function* ticks(name: string, ms: number) {
 *   for (let i = 0; i < 3; i++) {
 *     await sleep(ms);
 *     yield `${name}${i}`;
 *   }
 * }
 * for await (const tick of merge(ticks("fast", 10), ticks("slow", 25))) console.log(tick);
 * ```
 */
export function merge<T>(...inputs: (Iterable<T> | AsyncIterable<T>)[]): AsyncIterableIterator<T> {
  const iterators = inputs.map((input) => toAsyncIterator(input));
  const busy = iterators.map(() => false);
  const done = iterators.map(() => false);
  const owed: number[] = []; // sources whose last value was handed out: pull them on demand
  const arrivals = new RingBuffer<Arrival<T>>();
  const requests = new RingBuffer<Request<T>>();
  let open = iterators.length;
  let finished = false;

  const finish = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    while (requests.size > 0) requests.shift()?.resolve({ done: true, value: undefined });
    // Release what was received ahead of demand: nobody will ask for it now.
    arrivals.clear();
    owed.length = 0;
    const closing: Promise<void>[] = [];
    for (const [source, iterator] of iterators.entries()) {
      if (!done[source]) closing.push(closeIterator(iterator, busy[source] === true));
    }
    // A failing return() must not mask the error (or the clean end) that brought us here.
    await Promise.allSettled(closing);
  };

  const serve = (): void => {
    while (!finished && requests.size > 0) {
      const arrival = arrivals.shift();
      if (arrival === undefined) {
        if (open === 0) void finish();
        break;
      }
      if ("error" in arrival) {
        done[arrival.source] = true;
        open--;
        requests.shift()?.reject(arrival.error);
        void finish();
        return;
      }
      if (arrival.result.done) {
        done[arrival.source] = true;
        open--;
        continue;
      }
      owed.push(arrival.source);
      requests.shift()?.resolve({ done: false, value: arrival.result.value });
    }
    // Callers still waiting are demand enough to ask the sources just served for more.
    if (!finished && requests.size > 0) pullOwed();
  };

  const pullOwed = (): void => {
    for (let source = owed.shift(); source !== undefined; source = owed.shift()) pull(source);
  };

  const pull = (source: number): void => {
    busy[source] = true;
    let next: Promise<IteratorResult<T>>;
    try {
      next = Promise.resolve((iterators[source] as AsyncIterator<T>).next());
    } catch (error) {
      next = Promise.reject(error);
    }
    next.then(
      (result) => arrive({ source, result }),
      (error: unknown) => arrive({ source, error }),
    );
  };

  const arrive = (arrival: Arrival<T>): void => {
    busy[arrival.source] = false;
    if (finished) return;
    arrivals.push(arrival);
    serve();
  };

  let started = false;
  return {
    next(): Promise<IteratorResult<T, undefined>> {
      if (finished) return Promise.resolve({ done: true, value: undefined });
      if (!started) {
        started = true;
        for (let source = 0; source < iterators.length; source++) pull(source);
      }
      pullOwed();
      return new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
        requests.push({ resolve, reject });
        serve();
      });
    },
    async return(): Promise<IteratorResult<T, undefined>> {
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
