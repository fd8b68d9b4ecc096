import { closeIterator, toAsyncIterator } from "./internal/iterate.ts";
import { RingBuffer } from "./internal/ring-buffer.ts";

type Arrival<T> =
  | { source: number; result: IteratorResult<T> }
  | { source: number; error: unknown; result?: undefined };

/**
 * Interleaves several iterables into one, yielding each value as soon as its source produces it.
 * Each source has at most one `next()` in flight, and the next one is requested only after the
 * consumer took the previous value, so nothing piles up. When one source throws, the merged
 * iteration throws and the others are closed; `return()` (a `break`) closes every source.
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
  return mergeSources(inputs);
}

async function* mergeSources<T>(
  inputs: (Iterable<T> | AsyncIterable<T>)[],
): AsyncIterableIterator<T> {
  const iterators: AsyncIterator<T>[] = [];
  const busy: boolean[] = [];
  const done: boolean[] = [];
  const arrivals = new RingBuffer<Arrival<T>>();
  let wake: (() => void) | undefined;
  let open = inputs.length;

  const deliver = (arrival: Arrival<T>): void => {
    busy[arrival.source] = false;
    arrivals.push(arrival);
    const resume = wake;
    wake = undefined;
    resume?.();
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
      (result) => deliver({ source, result }),
      (error: unknown) => deliver({ source, error }),
    );
  };

  try {
    for (const input of inputs) {
      iterators.push(toAsyncIterator(input));
      busy.push(false);
      done.push(false);
    }
    for (let source = 0; source < iterators.length; source++) pull(source);
    while (open > 0) {
      if (arrivals.size === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const arrival = arrivals.shift() as Arrival<T>;
      if (arrival.result === undefined) {
        done[arrival.source] = true;
        open--;
        throw arrival.error;
      }
      if (arrival.result.done) {
        done[arrival.source] = true;
        open--;
        continue;
      }
      yield arrival.result.value;
      pull(arrival.source);
    }
  } finally {
    const closing: Promise<void>[] = [];
    for (let source = 0; source < iterators.length; source++) {
      if (done[source]) continue;
      closing.push(closeIterator(iterators[source] as AsyncIterator<T>, busy[source] === true));
    }
    // A failing return() must not mask the error (or the clean end) that brought us here.
    await Promise.allSettled(closing);
  }
}
