import { TimeoutError } from "./errors.ts";
import { abortReason, listenAbort } from "./internal/abort.ts";
import { isPromiseLike } from "./internal/concurrency.ts";

/**
 * Options for {@link shield}.
 *
 * @example
 * ```ts
 * import { shield, type ShieldOptions } from "@edge-async/async-utils";
 *
 * const options: ShieldOptions = { timeoutMs: 5_000 };
 * await shield(async () => "flushed", options);
 * ```
 */
export interface ShieldOptions {
  /**
   * The caller's signal. It never reaches `fn`: when it aborts, the returned promise rejects at
   * once with its reason while `fn` runs on (asyncio's `shield`). Leave it out to wait for
   * `fn` whatever happens, as a `finally` block doing cleanup should.
   */
  signal?: AbortSignal;
  /**
   * The longest `fn` may run, in milliseconds: then its signal aborts with a
   * {@link TimeoutError}, so cleanup that hangs cannot hold things up forever. Default
   * `Infinity`: no limit.
   */
  timeoutMs?: number;
  /**
   * Hands `fn`'s promise to the runtime so the work outlives the request that started it: in
   * Workers, `ctx.waitUntil.bind(ctx)`. The promise given never rejects.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
}

// setTimeout keeps its delay in a signed 32-bit integer (~24.8 days); longer counts as never.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * Runs `fn` shielded from cancellation: `fn` gets a signal of its own that the caller's
 * aborts never reach, so cleanup (a rollback, releasing a lock, flushing a log) runs to
 * completion even when the scope that started it has been aborted. The counterpart of
 * asyncio's `shield`.
 *
 * Resolves or rejects as `fn` does. With `signal`, the caller may stop waiting: the returned
 * promise rejects with the signal's reason at once and `fn` keeps running (its outcome is then
 * dropped, never an unhandled rejection). `timeoutMs` bounds `fn` through its own signal;
 * `waitUntil` keeps the work alive in a runtime that would end it with the request.
 *
 * @example
 * ```ts
 * import { shield } from "@edge-async/async-utils";
 *
 * async function transfer(signal: AbortSignal, db: { query(sql: string, o?: object): Promise<void> }) {
 *   await db.query("BEGIN");
 *   try {
 *     await db.query("UPDATE accounts SET ...", { signal });
 *     await db.query("COMMIT");
 *   } catch (error) {
 *     // the request's signal may have aborted already: the rollback must still run
 *     await shield((cleanup) => db.query("ROLLBACK", { signal: cleanup }), { timeoutMs: 5_000 });
 *     throw error;
 *   }
 * }
 * ```
 */
export function shield<T>(
  fn: (signal: AbortSignal) => PromiseLike<T> | T,
  options: ShieldOptions = {},
): Promise<T> {
  const { signal, timeoutMs = Number.POSITIVE_INFINITY, waitUntil } = options;
  if (!(typeof timeoutMs === "number" && timeoutMs >= 0)) {
    return Promise.reject(new RangeError(`timeoutMs must be >= 0, got ${String(timeoutMs)}`));
  }
  const work = runShielded(fn, timeoutMs);
  const handled = work.then(noop, noop);
  waitUntil?.(handled);
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const detach = listenAbort(signal, () => reject(abortReason(signal)));
    work.then(
      (value) => {
        detach();
        resolve(value);
      },
      (error: unknown) => {
        detach();
        reject(error);
      },
    );
  });
}

/** Calls `fn` with a fresh signal that only `timeoutMs` can abort; clears the timer after. */
function runShielded<T>(
  fn: (signal: AbortSignal) => PromiseLike<T> | T,
  timeoutMs: number,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutMs <= MAX_TIMER_DELAY) {
    timer = setTimeout(() => {
      controller.abort(
        new TimeoutError(`Shielded work timed out after ${timeoutMs} ms`, { timeoutMs }),
      );
    }, timeoutMs);
  }
  let result: PromiseLike<T> | T;
  try {
    result = fn(controller.signal);
  } catch (error) {
    if (timer !== undefined) clearTimeout(timer);
    return Promise.reject(error);
  }
  if (!isPromiseLike(result)) {
    if (timer !== undefined) clearTimeout(timer);
    return Promise.resolve(result);
  }
  const work = Promise.resolve(result);
  if (timer !== undefined)
    work.then(
      () => clearTimeout(timer as ReturnType<typeof setTimeout>),
      () => clearTimeout(timer as ReturnType<typeof setTimeout>),
    );
  return work;
}

function noop(): void {}
