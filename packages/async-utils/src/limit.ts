import { AbortError } from "./errors.ts";
import { checkConcurrency, isPromiseLike } from "./internal/concurrency.ts";

/**
 * A function that runs the functions it is given with limited concurrency; see {@link limit}.
 *
 * @example
 * ```ts
 * import { limit, type LimitFunction } from "@edge-async/async-utils";
 *
 * const run: LimitFunction = limit(2);
 * const text = await run((url: string) => fetch(url).then((r) => r.text()), "https://example.com");
 * console.log(run.activeCount, run.pendingCount);
 * ```
 */
export interface LimitFunction {
  /** Runs `fn(...args)` as soon as fewer than `concurrency` calls are active; resolves with its result. */
  <A extends unknown[], R>(fn: (...args: A) => PromiseLike<R> | R, ...args: A): Promise<R>;
  /** Calls running now. */
  readonly activeCount: number;
  /** Calls waiting for a free slot. */
  readonly pendingCount: number;
  /** The limit this function was created with. */
  readonly concurrency: number;
  /**
   * Rejects every waiting call with `reason` (an {@link AbortError} by default) and forgets it.
   * Calls already running are not affected.
   */
  clearQueue(reason?: unknown): void;
}

const NO_ARGS: unknown[] = [];

// Waiting calls form an intrusive singly linked FIFO: each call needs a record for its
// resolve/reject anyway, so linking the records costs one field and no allocation. Measured
// against a growable ring buffer of records, this avoids re-copying a large backing array
// while a burst queues up and is ~20% faster on the 200,000-call benchmark.
interface PendingCall {
  fn: (...args: unknown[]) => unknown;
  args: unknown[];
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  next: PendingCall | undefined;
}

/**
 * Creates a function that runs at most `concurrency` of the calls it is given at once, in call
 * order: a drop-in for `p-limit` whose `clearQueue` rejects the dropped calls instead of
 * leaving their promises pending forever.
 *
 * Waiting calls sit in a linked FIFO (no per-call promise chain or controller); a function
 * that returns synchronously or throws frees its slot at once.
 *
 * @example
 * ```ts
 * import { limit } from "@edge-async/async-utils";
 *
 * const urls = ["https://example.com/a", "https://example.com/b"];
 * const run = limit(4);
 * const sizes = await Promise.all(
 *   urls.map((url) => run(async () => (await fetch(url)).headers.get("content-length"))),
 * );
 * ```
 */
export function limit(concurrency: number): LimitFunction {
  const max = checkConcurrency(concurrency);
  let head: PendingCall | undefined;
  let tail: PendingCall | undefined;
  let pending = 0;
  let active = 0;
  const dequeue = (): PendingCall | undefined => {
    const call = head;
    if (call === undefined) return undefined;
    head = call.next;
    call.next = undefined;
    if (head === undefined) tail = undefined;
    pending--;
    return call;
  };

  const release = (): void => {
    active--;
    if (head !== undefined) drain();
  };
  const passValue = <R>(value: R): R => {
    release();
    return value;
  };
  const passError = (error: unknown): never => {
    release();
    throw error;
  };

  const drain = (): void => {
    while (active < max && head !== undefined) {
      const call = dequeue() as PendingCall;
      active++;
      let out: unknown;
      try {
        out = call.args === NO_ARGS ? call.fn() : call.fn(...call.args);
      } catch (error) {
        active--;
        call.reject(error);
        continue;
      }
      if (out instanceof Promise || isPromiseLike(out)) {
        // Settle the caller's promise directly: resolving it with a derived promise would cost
        // an extra promise and two more microtask hops per call. Foreign thenables go through
        // Promise.resolve so that one calling back twice cannot release the slot twice.
        const settled = out instanceof Promise ? out : Promise.resolve(out);
        settled.then(
          (value) => {
            release();
            call.resolve(value);
          },
          (error) => {
            release();
            call.reject(error);
          },
        );
      } else {
        active--;
        call.resolve(out);
      }
    }
  };

  const run = (fn: (...args: unknown[]) => unknown, ...rest: unknown[]): Promise<unknown> => {
    const args = rest.length > 0 ? rest : NO_ARGS;
    if (active >= max) {
      return new Promise((resolve, reject) => {
        const call: PendingCall = { fn, args, resolve, reject, next: undefined };
        if (tail === undefined) head = call;
        else tail.next = call;
        tail = call;
        pending++;
      });
    }
    active++;
    let out: unknown;
    try {
      out = args === NO_ARGS ? fn() : fn(...args);
    } catch (error) {
      release();
      return Promise.reject(error);
    }
    if (out instanceof Promise) return out.then(passValue, passError);
    if (isPromiseLike(out)) return Promise.resolve(out).then(passValue, passError);
    release();
    return Promise.resolve(out);
  };

  return Object.defineProperties(run, {
    activeCount: { get: () => active, enumerable: true },
    pendingCount: { get: () => pending, enumerable: true },
    concurrency: { value: max, enumerable: true },
    clearQueue: {
      value: (reason?: unknown): void => {
        const error = reason ?? new AbortError("The limit queue was cleared");
        for (let call = dequeue(); call !== undefined; call = dequeue()) call.reject(error);
      },
    },
  }) as unknown as LimitFunction;
}
