import type { ConcurrencyOptions, Task } from "./gather.ts";
import { checkConcurrency, isPromiseLike } from "./internal/concurrency.ts";
import { ConcurrentMapIterator } from "./internal/map-iterator.ts";
import type { Settled } from "./settle.ts";

/**
 * One outcome yielded by {@link asCompleted}: the {@link Settled} result plus the task's index.
 *
 * @example
 * ```ts
 * import type { Completed } from "@edge-async/async-utils";
 *
 * const done: Completed<string> = { status: "fulfilled", value: "ok", index: 2 };
 * ```
 */
export type Completed<T> = Settled<T> & { index: number };

/**
 * Runs tasks (at most `concurrency` at a time) and yields each outcome as soon as it finishes,
 * fastest first, with the task's index. Failures are yielded, not thrown.
 *
 * Leaving the loop early aborts the signal of every task still running. When `signal` aborts,
 * running tasks are aborted and the iteration rejects with the reason.
 *
 * @example
 * ```ts
 * import { asCompleted } from "@edge-async/async-utils";
 *
 * const mirrors = ["https://a.example", "https://b.example", "https://c.example"];
 * for await (const outcome of asCompleted(mirrors.map((url) => (signal) => fetch(url, { signal })))) {
 *   if (outcome.status === "fulfilled" && outcome.value.ok) {
 *     console.log("first healthy mirror:", mirrors[outcome.index]);
 *     break; // aborts the slower requests
 *   }
 * }
 * ```
 */
export function asCompleted<T>(
  tasks: Iterable<Task<T>>,
  options?: ConcurrencyOptions,
): AsyncIterableIterator<Completed<T>> {
  return new ConcurrentMapIterator<Task<T>, Completed<T>>(
    tasks,
    completeTask,
    checkConcurrency(options?.concurrency),
    false,
    options?.signal,
  );
}

function completeTask<T>(
  task: Task<T>,
  index: number,
  signal: AbortSignal,
): Completed<T> | Promise<Completed<T>> {
  let out: PromiseLike<T> | T;
  try {
    out = task(signal);
  } catch (reason) {
    return { status: "rejected", reason, index };
  }
  if (!isPromiseLike(out)) return { status: "fulfilled", value: out, index };
  return Promise.resolve(out).then(
    (value): Completed<T> => ({ status: "fulfilled", value, index }),
    (reason): Completed<T> => ({ status: "rejected", reason, index }),
  );
}
