import { abortReason, listenAbort, noop } from "./internal/abort.ts";
import { checkConcurrency, isPromiseLike } from "./internal/concurrency.ts";
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

// Index-based worker loops: one pair of settle handlers per worker instead of per item, no
// iterator protocol, and synchronous results handled without touching the microtask queue.
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
    let done = false;

    const end = (): void => {
      done = true;
      detachParent();
    };
    const fail = (index: number, error: unknown): void => {
      if (!stopOnError) {
        if (failures === undefined) failures = [];
        failures.push({ index, error });
        return;
      }
      end();
      controller.abort(siblingFailed(error));
      reject(error);
    };
    const detachParent = listenAbort(parent, () => {
      if (done) return;
      end();
      const reason = abortReason(parent as AbortSignal);
      controller.abort(reason);
      reject(reason);
    });

    const startWorker = (): void => {
      running++;
      let index = 0;
      const onFulfilled = (value: R): void => {
        if (done) return;
        results[index] = value;
        step();
      };
      const onRejected = (error: unknown): void => {
        if (done) return;
        fail(index, error);
        step();
      };
      const step = (): void => {
        while (!done && cursor < length) {
          index = cursor++;
          let out: PromiseLike<R> | R;
          try {
            out = fn(array[index] as T, index, signal);
          } catch (error) {
            fail(index, error);
            continue;
          }
          if (out instanceof Promise) {
            out.then(onFulfilled, onRejected);
            return;
          }
          if (isPromiseLike(out)) {
            Promise.resolve(out).then(onFulfilled, onRejected);
            return;
          }
          results[index] = out;
        }
        if (--running === 0 && !done) {
          end();
          if (failures === undefined) resolve(results);
          else reject(aggregate(failures));
        }
      };
      step();
    };

    const workers = Math.min(concurrency, length);
    for (let i = 0; i < workers && !done && cursor < length; i++) startWorker();
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
