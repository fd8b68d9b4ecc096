import { AbortError } from "./errors.ts";
import { bulkheadFull, rejectSoon } from "./internal/bulkhead.ts";
import { checkBound, describeValue, isPromiseLike } from "./internal/concurrency.ts";

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
  /**
   * Runs `fn(...args)` once fewer than `concurrency` calls are active, in call order, and
   * resolves or rejects as it does (a synchronous throw becomes a rejection). `fn` always starts
   * asynchronously, after the caller's synchronous code, and in the caller's async context.
   * With `maxWaiting`, a call that would wait behind that many rejects with
   * {@link BulkheadFullError} instead, without calling `fn`.
   */
  <A extends unknown[], R>(fn: (...args: A) => PromiseLike<R> | R, ...args: A): Promise<R>;
  /** Calls running now, counting those given a slot whose `fn` starts in the next microtask. */
  readonly activeCount: number;
  /** Calls waiting for a free slot (their `fn` was not called yet). */
  readonly pendingCount: number;
  /**
   * The limit: a positive integer or `Infinity`. Setting it resizes the running limiter:
   * a bigger value starts waiting calls at once; a smaller one lets running calls finish and
   * starts no more until fewer than the new limit are active. A bad value throws a RangeError.
   *
   * @example
   * ```ts
   * import { limit } from "@edge-async/async-utils";
   *
   * const run = limit(2);
   * run.concurrency = 8; // e.g. the upstream said it can take more
   * ```
   */
  concurrency: number;
  /**
   * Empties the queue of waiting calls; calls already running are not affected. Each dropped
   * call rejects with `reason`, or with an {@link AbortError} when no reason is given, unless
   * the limiter was made with `rejectOnClear: false` (then, as in `p-limit`, it never settles).
   */
  clearQueue(reason?: unknown): void;
  /**
   * Calls `fn(value, index)` for every value of `iterable` through this limiter and resolves
   * with the results in input order, like
   * `Promise.all(Array.from(iterable, (value, index) => run(fn, value, index)))`. Rejects with
   * the first failure (calls already queued still run); an iterable that throws rejects the call.
   *
   * @example
   * ```ts
   * import { limit } from "@edge-async/async-utils";
   *
   * const run = limit(4);
   * const urls = ["https://example.com/a", "https://example.com/b"];
   * const lines = await run.map(urls, async (url, i) => `${i}: ${(await fetch(url)).status}`);
   * ```
   */
  map<T, R>(
    iterable: Iterable<T>,
    fn: (value: T, index: number) => PromiseLike<R> | R,
  ): Promise<R[]>;
}

/**
 * Options for {@link limit} and {@link limitFunction}: `p-limit`'s, plus `maxWaiting`.
 *
 * @example
 * ```ts
 * import { limit, type LimitOptions } from "@edge-async/async-utils";
 *
 * const options: LimitOptions = { concurrency: 4, rejectOnClear: true };
 * const run = limit(options);
 * ```
 */
export interface LimitOptions {
  /** Most calls running at once: a positive integer or `Infinity`. Required. */
  readonly concurrency: number;
  /** Whether `clearQueue()` rejects the calls it drops (default `true`; `p-limit`'s is `false`). */
  readonly rejectOnClear?: boolean;
  /**
   * Most calls waiting at once: a non-negative integer or `Infinity` (the default). A call that
   * would wait behind a full line rejects at once with {@link BulkheadFullError}, without
   * calling `fn` (the bulkhead pattern: fail fast rather than pile up behind a slow dependency).
   */
  readonly maxWaiting?: number;
}

/**
 * A function made by {@link limitFunction}: at most `concurrency` of its calls run at once.
 *
 * @example
 * ```ts
 * import { limitFunction, type LimitedFunction } from "@edge-async/async-utils";
 *
 * const load: LimitedFunction<[string], Response> = limitFunction((url: string) => fetch(url), {
 *   concurrency: 2,
 * });
 * load.clearQueue();
 * ```
 */
export interface LimitedFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  /** Same as {@link LimitFunction.clearQueue}. */
  clearQueue(reason?: unknown): void;
}

// The gate executor is shared by every waiting call rather than being a fresh closure per call:
// `schedule` puts the call here and the executor, which runs synchronously, takes it back.
let parked: Call | undefined;
function park(open: (call: Call) => void): void {
  (parked as Call).open = open;
  parked = undefined;
}

// A waiting call. Waiting calls form an intrusive singly linked FIFO, so queueing allocates
// nothing beyond the record itself, and the record is kept small: a call with arguments is
// wrapped in a closure instead of carrying an array, since the collector's work per waiting
// call is most of what a queue of thousands of calls costs.
interface Call {
  fn: () => unknown;
  /** Resolves the gate whose continuation, registered by the caller, starts `fn`. */
  open: (call: Call) => void;
  next: Call | undefined;
}

/** Marks a call dropped by `clearQueue`: its `fn` then throws the rejection reason. */
function cleared(): void {}

// Every call's promise is `gate.then(start)`, with the reaction registered in the caller's
// synchronous frame: promise reactions run in the async context (AsyncLocalStorage) captured at
// `.then`, so `fn` sees its own caller's context, not that of whichever call freed the slot.
// It costs one gate promise per waiting call and keeps no second promise per call: the caller's
// promise is the reaction's own, and it adopts what `fn` returns.
class Limiter {
  max: number;
  active = 0;
  pending = 0;
  head: Call | undefined;
  tail: Call | undefined;
  readonly rejectOnClear: boolean;
  readonly maxWaiting: number;

  constructor(max: number, rejectOnClear: boolean, maxWaiting: number) {
    this.max = max;
    this.rejectOnClear = rejectOnClear;
    this.maxWaiting = maxWaiting;
  }

  schedule(fn: () => unknown): Promise<unknown> {
    const call: Call = { fn, open: noop, next: undefined };
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(call).then(this.start);
    }
    if (this.pending >= this.maxWaiting) {
      return rejectSoon(bulkheadFull(this.maxWaiting));
    }
    parked = call;
    const gate = new Promise<Call>(park);
    if (this.tail === undefined) this.head = call;
    else this.tail.next = call;
    this.tail = call;
    this.pending++;
    return gate.then(this.start);
  }

  /** Runs a call that holds a slot, inside the reaction its caller registered. */
  readonly start = (call: Call): unknown => {
    if (call.open === cleared) return call.fn(); // throws the reason; it never held a slot
    let out: unknown;
    try {
      out = call.fn();
    } catch (error) {
      this.release();
      throw error;
    }
    if (out instanceof Promise) return out.then(this.passValue, this.passError);
    // Foreign thenables go through Promise.resolve so one calling back twice cannot release twice.
    if (isPromiseLike(out)) return Promise.resolve(out).then(this.passValue, this.passError);
    this.release();
    return out;
  };

  readonly passValue = (value: unknown): unknown => {
    this.release();
    return value;
  };

  readonly passError = (error: unknown): never => {
    this.release();
    throw error;
  };

  release(): void {
    this.active--;
    if (this.head !== undefined && this.active < this.max) this.openNext();
  }

  resize(max: number): void {
    this.max = max;
    while (this.head !== undefined && this.active < this.max) this.openNext();
  }

  clear(reason: unknown): void {
    const reject = reason !== undefined || this.rejectOnClear;
    const error = reason ?? new AbortError("The limit queue was cleared");
    for (let call = this.dequeue(); call !== undefined; call = this.dequeue()) {
      // Without rejectOnClear the gate never opens: the call is dropped, as p-limit drops it.
      if (!reject) continue;
      const open = call.open;
      call.open = cleared;
      call.fn = () => {
        throw error;
      };
      open(call);
    }
  }

  map(iterable: Iterable<unknown>, fn: (...args: unknown[]) => unknown): Promise<unknown[]> {
    const calls: Promise<unknown>[] = [];
    try {
      let index = 0;
      for (const value of iterable) {
        const at = index++;
        calls.push(this.schedule(() => fn(value, at)));
      }
    } catch (error) {
      // Promise.all never sees the calls already scheduled: observe their rejections here.
      for (const call of calls) call.catch(noop);
      return Promise.reject(error);
    }
    return Promise.all(calls);
  }

  private openNext(): void {
    const call = this.dequeue() as Call;
    this.active++;
    call.open(call);
  }

  private dequeue(): Call | undefined {
    const call = this.head;
    if (call === undefined) return undefined;
    this.head = call.next;
    call.next = undefined;
    if (this.head === undefined) this.tail = undefined;
    this.pending--;
    return call;
  }
}

/**
 * Creates a function that runs at most `concurrency` of the calls it is given at once, in call
 * order: a drop-in for `p-limit` 7 (number or `{ concurrency, rejectOnClear }`, `activeCount`,
 * `pendingCount`, writable `concurrency`, `clearQueue`, `map`), with the differences listed in
 * the package README. Chiefly, `clearQueue` rejects the calls it drops unless
 * `rejectOnClear: false` is passed, so no `Promise.all` waits forever.
 *
 * Each `fn` starts asynchronously and runs in its caller's async context, so an
 * `AsyncLocalStorage` store (request ids, tracing) reads the caller's value even for a call
 * that waited behind others. With `maxWaiting`, a call that finds that many already waiting
 * rejects at once with {@link BulkheadFullError}. Throws a RangeError when `concurrency` is
 * missing or not a positive integer or `Infinity` (or `maxWaiting` is not a non-negative
 * integer or `Infinity`), and a TypeError when `rejectOnClear` is not a boolean.
 *
 * @example
 * ```ts
 * import { limit } from "@edge-async/async-utils";
 *
 * const urls = ["https://example.com/a", "https://example.com/b"];
 * const run = limit(4); // or limit({ concurrency: 4, rejectOnClear: true })
 * const sizes = await Promise.all(
 *   urls.map((url) => run(async () => (await fetch(url)).headers.get("content-length"))),
 * );
 * ```
 */
export function limit(concurrency: number | LimitOptions): LimitFunction {
  let max: unknown = concurrency;
  let rejectOnClear: unknown = true;
  let maxWaiting: unknown = Number.POSITIVE_INFINITY;
  if (typeof concurrency === "object" && concurrency !== null) {
    ({
      concurrency: max,
      rejectOnClear = true,
      maxWaiting = Number.POSITIVE_INFINITY,
    } = concurrency);
  }
  if (typeof rejectOnClear !== "boolean") {
    throw new TypeError(`rejectOnClear must be a boolean, got ${describeValue(rejectOnClear)}`);
  }
  const limiter = new Limiter(
    checkBound(max, "concurrency"),
    rejectOnClear,
    checkBound(maxWaiting, "maxWaiting", "non-negative integer"),
  );
  // Not a rest parameter: a call without arguments, the common case, then allocates no array.
  function run(fn: (...args: unknown[]) => unknown): Promise<unknown> {
    // biome-ignore lint/complexity/noArguments: see above
    if (arguments.length < 2) return limiter.schedule(fn);
    // biome-ignore lint/complexity/noArguments: see above
    const args: unknown[] = Array.prototype.slice.call(arguments, 1);
    return limiter.schedule(() => fn(...args));
  }
  return Object.defineProperties(run, {
    activeCount: { get: () => limiter.active, enumerable: true },
    pendingCount: { get: () => limiter.pending, enumerable: true },
    concurrency: {
      get: () => limiter.max,
      set: (value: unknown) => limiter.resize(checkBound(value, "concurrency")),
      enumerable: true,
    },
    clearQueue: { value: (reason?: unknown): void => limiter.clear(reason) },
    map: {
      value: (iterable: Iterable<unknown>, fn: (...args: unknown[]) => unknown) =>
        limiter.map(iterable, fn),
    },
  }) as unknown as LimitFunction;
}

/**
 * Wraps `fn` so that at most `concurrency` of its calls run at once, as `p-limit`'s
 * `limitFunction` does: each call of the result is `limit(options)(fn, ...args)` on one shared
 * limiter. `options` is a concurrency or {@link LimitOptions}, validated as by {@link limit}.
 *
 * @example
 * ```ts
 * import { limitFunction } from "@edge-async/async-utils";
 *
 * const fetchText = limitFunction(async (url: string) => (await fetch(url)).text(), {
 *   concurrency: 2,
 * });
 * const urls = ["https://example.com/a", "https://example.com/b"];
 * const pages = await Promise.all(urls.map((url) => fetchText(url)));
 * ```
 */
export function limitFunction<A extends unknown[], R>(
  fn: (...args: A) => PromiseLike<R> | R,
  options: number | LimitOptions,
): LimitedFunction<A, R> {
  const run = limit(options);
  const limited = (...args: A): Promise<R> => run(fn, ...args);
  return Object.defineProperty(limited, "clearQueue", {
    value: run.clearQueue,
  }) as LimitedFunction<A, R>;
}

function noop(): void {}
