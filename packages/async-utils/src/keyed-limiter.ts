import { abortReason, listenAbortShared } from "./internal/abort.ts";
import { bulkheadFull, rejectSoon } from "./internal/bulkhead.ts";
import { checkBound, isPromiseLike } from "./internal/concurrency.ts";

/**
 * Options for {@link KeyedLimiter}.
 *
 * @example
 * ```ts
 * import { KeyedLimiter, type KeyedLimiterOptions } from "@edge-async/async-utils";
 *
 * const options: KeyedLimiterOptions = { concurrency: 2, maxWaiting: 50 };
 * const perOrigin = new KeyedLimiter<string>(options);
 * ```
 */
export interface KeyedLimiterOptions {
  /** Most calls running at once for any one key: a positive integer or `Infinity`. Required. */
  readonly concurrency: number;
  /**
   * Most calls waiting at once for any one key: a non-negative integer or `Infinity` (the
   * default). A call that would wait behind a full line for its key rejects at once with
   * {@link BulkheadFullError}, so one slow tenant cannot queue up without bound.
   */
  readonly maxWaiting?: number;
}

// A call waiting for (or holding) a slot of its key's lane. Waiting calls form an intrusive
// doubly linked list per lane, so an aborted call leaves its line in O(1).
interface Call {
  fn: () => unknown;
  lane: Lane;
  /** Resolves the gate whose continuation, registered by the caller, starts `fn`. */
  open: (call: Call) => void;
  /** Rejects the gate: the caller's promise then rejects without `fn` being called. */
  fail: (reason: unknown) => void;
  prev: Call | undefined;
  next: Call | undefined;
  detach: (() => void) | undefined;
}

// One executor for every gate instead of a closure per waiting call; it runs synchronously.
let parked: Call | undefined;
function park(open: (call: Call) => void, fail: (reason: unknown) => void): void {
  const call = parked as Call;
  call.open = open;
  call.fail = fail;
  parked = undefined;
}

function noop(): void {}

// The calls of one key. A lane exists only while its key has calls running or waiting.
class Lane {
  active = 0;
  waiting = 0;
  head: Call | undefined;
  tail: Call | undefined;
  readonly key: unknown;
  readonly owner: KeyedLimiter<unknown>;

  constructor(key: unknown, owner: KeyedLimiter<unknown>) {
    this.key = key;
    this.owner = owner;
  }

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
    this.fill();
  }

  /** Starts waiting calls while there is room, then forgets the lane if it has gone idle. */
  fill(): void {
    const max = this.owner.concurrency;
    for (let call = this.head; call !== undefined && this.active < max; call = this.head) {
      this.unlink(call);
      call.detach?.();
      this.active++;
      call.open(call);
    }
    if (this.active === 0 && this.head === undefined) forget(this.owner, this);
  }

  push(call: Call): void {
    call.prev = this.tail;
    if (this.tail === undefined) this.head = call;
    else this.tail.next = call;
    this.tail = call;
    this.waiting++;
  }

  unlink(call: Call): void {
    if (call.prev === undefined) this.head = call.next;
    else call.prev.next = call.next;
    if (call.next === undefined) this.tail = call.prev;
    else call.next.prev = call.prev;
    call.prev = undefined;
    call.next = undefined;
    this.waiting--;
  }
}

/** Runs a call that holds a slot, inside the reaction its caller registered. */
function start(call: Call): unknown {
  const lane = call.lane;
  let out: unknown;
  try {
    out = call.fn();
  } catch (error) {
    lane.release();
    throw error;
  }
  if (out instanceof Promise) return out.then(lane.passValue, lane.passError);
  // A foreign thenable goes through Promise.resolve so one calling back twice cannot release twice.
  if (isPromiseLike(out)) return Promise.resolve(out).then(lane.passValue, lane.passError);
  lane.release();
  return out;
}

// Assigned by KeyedLimiter's static block, which alone can reach its private fields.
let forget: (owner: KeyedLimiter<unknown>, lane: Lane) => void;

/**
 * A concurrency limit per key: at most `concurrency` calls run at once for each key (an
 * origin, a tenant, a user), any number of keys side by side, each key's calls started in call
 * order. A key is forgotten as soon as it has no call running or waiting, so memory is bounded
 * by the calls in flight, however many distinct keys pass through.
 *
 * Like {@link limit}, each `fn` starts asynchronously in its caller's async context
 * (`AsyncLocalStorage`). A waiting call whose signal aborts leaves its line at once and rejects
 * with the reason; its listener is detached. Use one per request in Workers: waiters are
 * promises (see the package README on module scope).
 *
 * @example
 * ```ts
 * import { KeyedLimiter } from "@edge-async/async-utils";
 *
 * const perOrigin = new KeyedLimiter<string>({ concurrency: 2 });
 * const urls = ["https://a.example/1", "https://a.example/2", "https://b.example/1"];
 * const pages = await Promise.all(
 *   urls.map((url) => perOrigin.run(new URL(url).origin, () => fetch(url))),
 * );
 * ```
 */
export class KeyedLimiter<K> {
  /** Most calls waiting at once per key; see {@link KeyedLimiterOptions.maxWaiting}. */
  readonly maxWaiting: number;
  #concurrency: number;
  readonly #lanes = new Map<K, Lane>();

  /**
   * Throws a RangeError naming the value when `concurrency` is missing or not a positive
   * integer or `Infinity`, or `maxWaiting` is not a non-negative integer or `Infinity`.
   */
  constructor(options: KeyedLimiterOptions) {
    this.#concurrency = checkBound(options?.concurrency, "concurrency");
    const maxWaiting = options.maxWaiting ?? Number.POSITIVE_INFINITY;
    this.maxWaiting = checkBound(maxWaiting, "maxWaiting", "non-negative integer");
  }

  /**
   * The limit per key. Setting it applies to every key at once: a bigger value starts waiting
   * calls at once; a smaller one lets running calls finish and starts no more for a key until
   * fewer than the new limit run. A bad value throws a RangeError.
   */
  get concurrency(): number {
    return this.#concurrency;
  }

  set concurrency(value: number) {
    this.#concurrency = checkBound(value, "concurrency");
    for (const lane of [...this.#lanes.values()]) lane.fill();
  }

  /** Keys with a call running or waiting: every other key has been forgotten. */
  get size(): number {
    return this.#lanes.size;
  }

  /** Calls of `key` running now, counting those whose `fn` starts in the next microtask. */
  activeCount(key: K): number {
    return this.#lanes.get(key)?.active ?? 0;
  }

  /** Calls of `key` waiting for a slot. */
  pendingCount(key: K): number {
    return this.#lanes.get(key)?.waiting ?? 0;
  }

  /**
   * Runs `fn` once fewer than `concurrency` calls of `key` are running and every earlier call of
   * `key` has started, and settles as `fn` does (a synchronous throw becomes a rejection).
   * Keys are compared as `Map` keys are (SameValueZero). `options.signal` cancels the wait:
   * the call leaves its line and rejects with the reason; once `fn` runs it is up to `fn`.
   * Rejects at once with {@link BulkheadFullError} when `maxWaiting` calls of `key` already wait.
   *
   * @example
   * ```ts
   * import { KeyedLimiter } from "@edge-async/async-utils";
   *
   * const perTenant = new KeyedLimiter<string>({ concurrency: 4, maxWaiting: 100 });
   * const report = await perTenant.run("tenant-42", async () => "built", {
   *   signal: AbortSignal.timeout(5_000),
   * });
   * ```
   */
  run<T>(key: K, fn: () => PromiseLike<T> | T, options?: { signal?: AbortSignal }): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = new Lane(key, this as KeyedLimiter<unknown>);
      this.#lanes.set(key, lane);
    }
    const call: Call = {
      fn,
      lane,
      open: noop,
      fail: noop,
      prev: undefined,
      next: undefined,
      detach: undefined,
    };
    if (lane.active < this.#concurrency && lane.head === undefined) {
      lane.active++;
      return Promise.resolve(call).then(start) as Promise<T>;
    }
    if (lane.waiting >= this.maxWaiting) {
      return rejectSoon(bulkheadFull(this.maxWaiting));
    }
    parked = call;
    const gate = new Promise<Call>(park);
    lane.push(call);
    if (signal !== undefined) {
      call.detach = listenAbortShared(signal, () => {
        call.detach = undefined;
        call.lane.unlink(call);
        call.fail(abortReason(signal));
        call.lane.fill();
      });
    }
    return gate.then(start) as Promise<T>;
  }

  static {
    forget = (owner, lane) => {
      if (owner.#lanes.get(lane.key) === lane) owner.#lanes.delete(lane.key);
    };
  }
}
