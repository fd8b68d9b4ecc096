import { abortReason, listenAbortShared } from "./internal/abort.ts";
import { WaiterList } from "./internal/waiter-list.ts";

interface Caller<V> {
  readonly resolve: (value: V) => void;
  readonly reject: (reason: unknown) => void;
  detach: () => void;
}

interface Flight<V> {
  readonly controller: AbortController;
  readonly callers: WaiterList<Caller<V>>;
}

/**
 * Single-flight de-duplication: concurrent `run()` calls with the same key share one execution
 * of `fn` and all receive its result (or error). Once it settles, the next call starts afresh;
 * nothing is cached.
 *
 * Each caller can abort on its own and leaves at once; the shared execution's signal aborts only
 * when every caller waiting on it has aborted. A call arriving after that starts a new execution.
 *
 * Holds in-flight promises: in Workers create it per request (e.g. to de-duplicate subrequests of
 * one request), never at module scope, because another request must not await them.
 *
 * @example
 * ```ts
 * import { Coalescer } from "@edge-async/async-utils";
 * const users = new Coalescer<string, Response>();
 * const load = (id: string) =>
 *   users.run(id, (signal) => fetch(`https://api.example.com/users/${id}`, { signal }));
 * const [a, b] = await Promise.all([load("42"), load("42")]); // one fetch
 * ```
 */
export class Coalescer<K, V> {
  readonly #flights = new Map<K, Flight<V>>();

  /** Executions in flight (distinct keys). */
  get inFlight(): number {
    return this.#flights.size;
  }

  /**
   * Joins the execution in flight for `key`, or starts `fn` for it.
   *
   * @example
   * ```ts
   * import { Coalescer } from "@edge-async/async-utils";
   * const coalescer = new Coalescer<string, number>();
   * let calls = 0;
   * const work = async () => ++calls;
   * await Promise.all([coalescer.run("k", work), coalescer.run("k", work)]);
   * console.assert(calls === 1);
   * ```
   */
  run(
    key: K,
    fn: (signal: AbortSignal) => Promise<V>,
    options: { signal?: AbortSignal } = {},
  ): Promise<V> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let flight = this.#flights.get(key);
    const starting = flight === undefined;
    if (flight === undefined) {
      flight = { controller: new AbortController(), callers: new WaiterList() };
      this.#flights.set(key, flight);
    }
    const joined = flight;
    const result = new Promise<V>((resolve, reject) => {
      const caller: Caller<V> = { resolve, reject, detach: noop };
      const node = joined.callers.push(caller);
      caller.detach = listenAbortShared(signal, () => {
        joined.callers.remove(node);
        const reason = abortReason(signal as AbortSignal);
        reject(reason);
        if (joined.callers.size === 0) {
          // Nobody wants the result any more: stop the work and let a later call start afresh.
          if (this.#flights.get(key) === joined) this.#flights.delete(key);
          joined.controller.abort(reason);
        }
      });
    });
    if (starting) this.#start(key, joined, fn);
    return result;
  }

  #start(key: K, flight: Flight<V>, fn: (signal: AbortSignal) => Promise<V>): void {
    const settle = (deliver: (caller: Caller<V>) => void): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
      for (const caller of flight.callers.drain()) {
        caller.detach();
        deliver(caller);
      }
    };
    (async () => fn(flight.controller.signal))().then(
      (value) => settle((caller) => caller.resolve(value)),
      (error: unknown) => settle((caller) => caller.reject(error)),
    );
  }
}

function noop(): void {}
