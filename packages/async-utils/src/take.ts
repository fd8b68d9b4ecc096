/**
 * Yields the first `count` items of `input`, then closes it. Never pulls item `count + 1`, so it
 * is safe on endless or lazily fetched sources. `count` may be `0` (the source is not even
 * started) or `Infinity`.
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
  if (!(count >= 0)) throw new RangeError(`count must be >= 0, got ${count}`);
  return takeItems(input, count);
}

async function* takeItems<T>(
  input: Iterable<T> | AsyncIterable<T>,
  count: number,
): AsyncIterableIterator<T> {
  if (count === 0) return;
  let taken = 0;
  for await (const item of input) {
    yield item;
    if (++taken >= count) return;
  }
}
