import { mapConcurrent } from "./map-concurrent.ts";

/**
 * A unit of work for {@link gather}, `settle`, `asCompleted` and `TaskGroup`: a function that
 * receives the signal to honour and returns a value or a promise of one.
 *
 * @example
 * ```ts
 * import type { Task } from "@edge-async/async-utils";
 *
 * const load: Task<string> = async (signal) => (await fetch("https://example.com", { signal })).text();
 * ```
 */
export type Task<T> = (signal: AbortSignal) => PromiseLike<T> | T;

/**
 * Options shared by {@link gather}, `settle` and `asCompleted`.
 *
 * @example
 * ```ts
 * import { gather, type ConcurrencyOptions } from "@edge-async/async-utils";
 *
 * const options: ConcurrencyOptions = { concurrency: 4, signal: AbortSignal.timeout(5_000) };
 * await gather([() => 1, () => 2], options);
 * ```
 */
export interface ConcurrencyOptions {
  /** Cancels everything: running tasks see their signal abort and the call rejects with the reason. */
  signal?: AbortSignal;
  /** Most tasks running at once; a positive integer or `Infinity` (the default). */
  concurrency?: number;
}

/**
 * Runs tasks (at most `concurrency` at a time) and resolves with their results in order.
 *
 * The first failure aborts the signal of every task still running, and the call rejects with
 * that error at once, like `Promise.all` but without leaving the siblings working. A tuple of
 * tasks keeps each result's type.
 *
 * @example
 * ```ts
 * import { gather } from "@edge-async/async-utils";
 *
 * const [user, posts] = await gather([
 *   (signal) => fetch("https://example.com/user", { signal }).then((r) => r.json()),
 *   (signal) => fetch("https://example.com/posts", { signal }).then((r) => r.json()),
 * ]);
 * ```
 */
export function gather<const T extends readonly Task<unknown>[]>(
  tasks: T,
  options?: ConcurrencyOptions,
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }>;
export function gather<T>(tasks: Iterable<Task<T>>, options?: ConcurrencyOptions): Promise<T[]>;
export function gather<T>(tasks: Iterable<Task<T>>, options?: ConcurrencyOptions): Promise<T[]> {
  return mapConcurrent(tasks, runTask, options) as Promise<T[]>;
}

function runTask<T>(task: Task<T>, _index: number, signal: AbortSignal): PromiseLike<T> | T {
  return task(signal);
}
