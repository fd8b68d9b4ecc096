import { abortReason, listenAbort } from "./internal/abort.ts";
import { closeIterator, toAsyncIterator } from "./internal/iterate.ts";

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

type Outcome<T> = { result: IteratorResult<T> } | { error: unknown } | typeof INTERRUPTED;
const INTERRUPTED = Symbol("interrupted");

/**
 * Groups items into arrays of `size` (the last one may be shorter). With `maxWaitMs`, a chunk is
 * also emitted when it has waited that long since its first item: batching by count or time,
 * whichever comes first (e.g. writing rows to D1 in batches without stalling on a trickle).
 *
 * At most one `next()` is outstanding on the source: when the timer fires mid-wait, that same
 * pending `next()` is reused for the following chunk rather than abandoned. If the source throws,
 * the items already collected are emitted first, then the error.
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
  if (!(size >= 1) || (size !== Number.POSITIVE_INFINITY && !Number.isInteger(size))) {
    throw new RangeError(`size must be an integer >= 1 or Infinity, got ${size}`);
  }
  const { maxWaitMs = Number.POSITIVE_INFINITY, signal } = options;
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${maxWaitMs}`);
  return chunks(input, size, maxWaitMs, signal);
}

async function* chunks<T>(
  input: Iterable<T> | AsyncIterable<T>,
  size: number,
  maxWaitMs: number,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<T[]> {
  let batch: T[] = [];
  let pending: Promise<IteratorResult<T>> | undefined;
  let finished = false;
  let expired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;

  const interrupt = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const takeBatch = (): T[] => {
    const full = batch;
    batch = [];
    expired = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    return full;
  };
  const waitFor = (next: Promise<IteratorResult<T>>): Promise<Outcome<T>> =>
    new Promise<Outcome<T>>((resolve) => {
      wake = () => resolve(INTERRUPTED);
      next.then(
        (result) => resolve({ result }),
        (error: unknown) => resolve({ error }),
      );
    });

  const iterator = toAsyncIterator(input);
  const detachAbort = listenAbort(signal, interrupt);
  try {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      if (expired) {
        yield takeBatch();
        continue;
      }
      if (pending === undefined) {
        try {
          pending = Promise.resolve(iterator.next());
        } catch (error) {
          pending = Promise.reject(error);
        }
      }
      const outcome = await waitFor(pending);
      wake = undefined;
      if (outcome === INTERRUPTED) continue;
      pending = undefined;
      if ("error" in outcome) {
        finished = true;
        if (batch.length > 0) yield takeBatch();
        throw outcome.error;
      }
      if (outcome.result.done) {
        finished = true;
        if (batch.length > 0) yield takeBatch();
        return;
      }
      batch.push(outcome.result.value);
      if (batch.length >= size) {
        yield takeBatch();
      } else if (batch.length === 1 && maxWaitMs <= MAX_TIMER_DELAY) {
        timer = setTimeout(() => {
          timer = undefined;
          expired = true;
          interrupt();
        }, maxWaitMs);
      }
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    detachAbort();
    if (!finished) await closeIterator(iterator, pending !== undefined);
  }
}

// setTimeout keeps its delay in a signed 32-bit integer (~24.8 days); longer counts as never.
const MAX_TIMER_DELAY = 2 ** 31 - 1;
