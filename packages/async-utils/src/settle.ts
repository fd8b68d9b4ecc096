import type { ConcurrencyOptions, Task } from "./gather.ts";
import { isPromiseLike } from "./internal/concurrency.ts";
import { mapConcurrent } from "./map-concurrent.ts";

/**
 * The outcome of one task, shaped like `PromiseSettledResult`.
 *
 * @example
 * ```ts
 * import type { Settled } from "@edge-async/async-utils";
 *
 * const outcome: Settled<number> = { status: "fulfilled", value: 1 };
 * ```
 */
export type Settled<T> =
  | { status: "fulfilled"; value: T }
  | { status: "rejected"; reason: unknown };

/**
 * Runs every task (at most `concurrency` at a time) and resolves with each outcome in order;
 * a failing task does not stop the others (asyncio's `gather(..., return_exceptions=True)`).
 *
 * Only `signal` cuts it short: running tasks see their signal abort and the call rejects with
 * the reason.
 *
 * @example
 * ```ts
 * import { settle } from "@edge-async/async-utils";
 *
 * const outcomes = await settle([() => 1, () => Promise.reject(new Error("nope"))]);
 * for (const outcome of outcomes) {
 *   if (outcome.status === "rejected") console.error(outcome.reason);
 * }
 * ```
 */
export function settle<T>(
  tasks: Iterable<Task<T>>,
  options?: ConcurrencyOptions,
): Promise<Settled<T>[]> {
  return mapConcurrent(tasks, settleTask, options) as Promise<Settled<T>[]>;
}

/** Runs `task` and turns its outcome into a {@link Settled}; never throws or rejects. */
function settleTask<T>(
  task: Task<T>,
  _index: number,
  signal: AbortSignal,
): Settled<T> | Promise<Settled<T>> {
  let out: PromiseLike<T> | T;
  try {
    out = task(signal);
  } catch (reason) {
    return { status: "rejected", reason };
  }
  if (!isPromiseLike(out)) return { status: "fulfilled", value: out };
  return Promise.resolve(out).then(fulfilled, rejected) as Promise<Settled<T>>;
}

function fulfilled<T>(value: T): Settled<T> {
  return { status: "fulfilled", value };
}

function rejected(reason: unknown): Settled<never> {
  return { status: "rejected", reason };
}
