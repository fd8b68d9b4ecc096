import { abortReason, listenAbort, noop } from "./internal/abort.ts";
import { checkConcurrency } from "./internal/concurrency.ts";
import { ConcurrentMapIterator } from "./internal/map-iterator.ts";
import { Pump, siblingFailed } from "./internal/pump.ts";

/**
 * Options for {@link mapConcurrent}.
 *
 * @example
 * ```ts
 * import { mapConcurrent, type MapConcurrentOptions } from "@edge-async/async-utils";
 *
 * const options: MapConcurrentOptions = { concurrency: 4, stopOnError: false };
 * await mapConcurrent([1, 2, 3], async (n) => n * 2, options);
 * ```
 */
export interface MapConcurrentOptions {
  /** Most calls of `fn` in flight at once; a positive integer or `Infinity` (the default). */
  concurrency?: number;
  /** Cancels the whole map: in-flight calls see their signal abort and the call rejects with the reason. */
  signal?: AbortSignal;
  /**
   * `true` (default): the first failure aborts the other calls and rejects with that error.
   * `false`: every item runs, then the call rejects with an `AggregateError` of all failures.
   */
  stopOnError?: boolean;
}

/**
 * Options for {@link mapConcurrentIter}.
 *
 * @example
 * ```ts
 * import { mapConcurrentIter, type MapConcurrentIterOptions } from "@edge-async/async-utils";
 *
 * const options: MapConcurrentIterOptions = { concurrency: 8, ordered: false };
 * for await (const n of mapConcurrentIter([1, 2, 3], async (n) => n * 2, options)) console.log(n);
 * ```
 */
export interface MapConcurrentIterOptions {
  /**
   * Most calls of `fn` in flight at once: a positive integer, or `Infinity` to pull the whole
   * input at once. Default {@link DEFAULT_STREAM_CONCURRENCY}, so a stream stays bounded
   * unless asked otherwise.
   */
  concurrency?: number;
  /** `true` (default): yield results in input order. `false`: yield them as they finish. */
  ordered?: boolean;
  /** Cancels the iteration: in-flight calls see their signal abort and `next()` rejects with the reason. */
  signal?: AbortSignal;
}

/**
 * Maps `input` through `fn` with at most `concurrency` calls in flight and resolves with the
 * results in input order.
 *
 * Accepts arrays, any iterable, and async iterables (read lazily, one item per free slot).
 * Every call gets the same `signal`, which aborts when the map is cancelled or, with
 * `stopOnError` (the default), when another call fails, so siblings stop instead of running on.
 *
 * @example
 * ```ts
 * import { mapConcurrent } from "@edge-async/async-utils";
 *
 * const pages = await mapConcurrent(
 *   ["/a", "/b", "/c"],
 *   async (path, _index, signal) => (await fetch(`https://example.com${path}`, { signal })).text(),
 *   { concurrency: 2 },
 * );
 * ```
 */
export function mapConcurrent<T, R>(
  input: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number, signal: AbortSignal) => PromiseLike<R> | R,
  options?: MapConcurrentOptions,
): Promise<R[]> {
  let concurrency: number;
  try {
    concurrency = checkConcurrency(options?.concurrency);
  } catch (error) {
    return Promise.reject(error);
  }
  const parent = options?.signal;
  if (parent?.aborted) return Promise.reject(abortReason(parent));
  const stopOnError = options?.stopOnError ?? true;
  if (Array.isArray(input)) {
    return mapArray(input as readonly T[], fn, concurrency, stopOnError, parent);
  }
  return mapIterable(input, fn, concurrency, stopOnError, parent);
}

interface Failure {
  index: number;
  error: unknown;
}

function aggregate(failures: Failure[]): AggregateError {
  failures.sort((a, b) => a.index - b.index);
  return new AggregateError(
    failures.map((failure) => failure.error),
    `${failures.length} of the mapped calls failed`,
  );
}

// Index-based worker loops, each one `async` function: per item one call of `fn` and one `await`
// (which attaches its reaction without allocating the promise a `then` returns), no iterator
// protocol, a synchronous result stored without a microtask. A failure (thrown or rejected) ends
// its worker's loop into one catch; with `stopOnError: false` that worker's loop goes on.
// Settling moves the cursor past the end, so every loop stops at its next item.
function mapArray<T, R>(
  array: readonly T[],
  fn: (item: T, index: number, signal: AbortSignal) => PromiseLike<R> | R,
  concurrency: number,
  stopOnError: boolean,
  parent: AbortSignal | undefined,
): Promise<R[]> {
  const length = array.length;
  if (length === 0) return Promise.resolve([]);
  return new Promise<R[]>((resolve, reject) => {
    const controller = new AbortController();
    const signal = controller.signal;
    const results = new Array<R>(length);
    let failures: Failure[] | undefined;
    let cursor = 0;
    let running = 0;
    let settled = false;
    const settle = (): void => {
      settled = true;
      cursor = length;
      detachParent();
    };
    const detachParent = listenAbort(parent, () => {
      if (settled) return;
      settle();
      const reason = abortReason(parent as AbortSignal);
      controller.abort(reason);
      reject(reason);
    });
    const workerEnded = (): void => {
      if (--running !== 0 || settled) return;
      settle();
      if (failures === undefined) resolve(results);
      else reject(aggregate(failures));
    };
    // Whether the worker that saw this failure goes on to the next item.
    const failed = (index: number, error: unknown): boolean => {
      if (settled) return false;
      if (stopOnError) {
        settle();
        controller.abort(siblingFailed(error));
        reject(error);
        return false;
      }
      if (failures === undefined) failures = [];
      failures.push({ index, error });
      return true;
    };
    const work = async (): Promise<void> => {
      let index = 0;
      // The try is entered once per failure, not once per item; after a failure the same loop
      // goes on, so a run of synchronous throws never nests.
      for (;;) {
        try {
          while (cursor < length) {
            index = cursor++;
            const out = fn(array[index] as T, index, signal);
            results[index] =
              (typeof out === "object" && out !== null) || typeof out === "function"
                ? await out
                : out;
          }
          return;
        } catch (error) {
          if (!failed(index, error)) return;
        }
      }
    };
    const startWorker = (): void => {
      running++;
      work().then(workerEnded);
    };
    const workers = Math.min(concurrency, length);
    for (let i = 0; i < workers && cursor < length; i++) startWorker();
  });
}

function mapIterable<T, R>(
  input: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number, signal: AbortSignal) => PromiseLike<R> | R,
  concurrency: number,
  stopOnError: boolean,
  parent: AbortSignal | undefined,
): Promise<R[]> {
  return new Promise<R[]>((resolve, reject) => {
    const controller = new AbortController();
    const results: R[] = [];
    let failures: Failure[] | undefined;
    let detachParent = noop;
    const stop = (rejectWith: unknown, abortWith: unknown): void => {
      detachParent();
      pump.stop();
      controller.abort(abortWith);
      reject(rejectWith);
    };
    const pump = new Pump<T, R>(input, fn, concurrency, controller.signal, {
      canStart: () => true,
      onValue: (index, value) => {
        results[index] = value;
      },
      onError: (index, error) => {
        if (stopOnError) stop(error, siblingFailed(error));
        else {
          if (failures === undefined) failures = [];
          failures.push({ index, error });
        }
      },
      onSourceError: (error) => stop(error, siblingFailed(error)),
      onIdle: () => {
        detachParent();
        if (failures === undefined) resolve(results);
        else reject(aggregate(failures));
      },
    });
    detachParent = listenAbort(parent, () => {
      const reason = abortReason(parent as AbortSignal);
      stop(reason, reason);
    });
    pump.pump();
  });
}

/**
 * Concurrency of {@link mapConcurrentIter} when none is given. Unlike the eager
 * `mapConcurrent`, the streaming form exists to bound memory, so it does not default to Infinity.
 */
export const DEFAULT_STREAM_CONCURRENCY = 16;

/**
 * Streams `fn` over `input` with at most `concurrency` calls in flight: results come out in
 * input order (default) or as they finish (`ordered: false`).
 *
 * The input is pulled lazily, and never further ahead than the limits allow: at most
 * `concurrency` calls run and, in ordered mode, at most `concurrency` finished results wait
 * for a slower predecessor, so memory stays O(concurrency) whatever the input length.
 * The first failure aborts the calls in flight and is thrown by the next `next()`. Leaving the
 * loop early (`break`, `return()`, `throw()`) aborts the calls in flight and closes the input at
 * once, even while a `next()` on it is pending: an `AsyncQueue` input withdraws that read, so its
 * next item goes to the queue's next reader. Items already pulled (being mapped, or mapped and
 * waiting for the consumer) are dropped with the stream, as is an item a generator yields after
 * the close; a `next()` still waiting resolves `{ done: true }`.
 *
 * @example
 * ```ts
 * import { mapConcurrentIter } from "@edge-async/async-utils";
 *
 * async function* ids() {
 *   for (let id = 0; id < 1_000_000; id++) yield id;
 * }
 * const load = async (id: number, signal: AbortSignal) =>
 *   (await fetch(`https://api.example/users/${id}`, { signal })).json();
 * for await (const user of mapConcurrentIter(ids(), (id, _i, signal) => load(id, signal), {
 *   concurrency: 8,
 * })) {
 *   console.log(user);
 * }
 * ```
 */
export function mapConcurrentIter<T, R>(
  input: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number, signal: AbortSignal) => PromiseLike<R> | R,
  options?: MapConcurrentIterOptions,
): AsyncIterableIterator<R> {
  return new ConcurrentMapIterator(
    input,
    fn,
    checkConcurrency(options?.concurrency ?? DEFAULT_STREAM_CONCURRENCY),
    options?.ordered ?? true,
    options?.signal,
  );
}
