import { AbortError, isAbortError } from "./errors.ts";
import { abortReason, listenAbort, noop } from "./internal/abort.ts";

/**
 * Options for {@link TaskGroup}.
 *
 * @example
 * ```ts
 * import { TaskGroup, type TaskGroupOptions } from "@edge-async/async-utils";
 *
 * const options: TaskGroupOptions = { signal: AbortSignal.timeout(5_000) };
 * await using group = new TaskGroup(options);
 * group.spawn(async () => "done");
 * ```
 */
export interface TaskGroupOptions {
  /** Aborting it aborts every task of the group; the group then rejects with the reason. */
  signal?: AbortSignal;
}

/**
 * Structured concurrency, like Python's `asyncio.TaskGroup`: tasks spawned into the group share
 * its {@link TaskGroup.signal}; the first failure aborts all of them; waiting on the group (or
 * leaving its `await using` block) waits until every task has settled, then rejects with an
 * `AggregateError` of the failures. Nothing keeps running after the group ends: its signal
 * aborts once it is over, and no task can be spawned into it any more.
 *
 * Failures caused by the group's own cancellation (abort errors raised after the group aborted)
 * are not reported. Calling {@link TaskGroup.abort} cancels the tasks without making `wait()`
 * fail; an aborted parent `signal` makes it reject with the parent's reason.
 *
 * Unlike Python, an `await using` block cannot see an exception thrown by its own body, so such an
 * exception does not cancel the tasks: the block still waits for them. Call
 * {@link TaskGroup.abort} in a `catch` when the body's failure should stop them.
 *
 * @example
 * ```ts
 * import { TaskGroup } from "@edge-async/async-utils";
 *
 * async function loadDashboard(userId: string, signal: AbortSignal) {
 *   await using group = new TaskGroup({ signal });
 *   const profile = group.spawn((signal) => fetch(`https://api.example/users/${userId}`, { signal }));
 *   const orders = group.spawn((signal) => fetch(`https://api.example/orders?user=${userId}`, { signal }));
 *   return { profile: await profile, orders: await orders };
 * } // if either request fails, the other is aborted and an AggregateError is thrown here
 * ```
 */
export class TaskGroup implements AsyncDisposable {
  #controller = new AbortController();
  /** Aborts when a task fails, when {@link TaskGroup.abort} is called, when the parent signal aborts, and when the group ends. */
  readonly signal: AbortSignal = this.#controller.signal;
  #detachParent = noop;
  #running = 0;
  #failures: unknown[] = [];
  /** Why the group's signal aborted first: a failed task, `abort()`, or the parent signal. */
  #abortCause: "failure" | "owner" | "parent" | undefined;
  #ended = false;
  #idle: PromiseWithResolvers<void> | undefined;
  #result: Promise<void> | undefined;

  constructor(options?: TaskGroupOptions) {
    const parent = options?.signal;
    const onParentAbort = (): void => this.#abortWith("parent", abortReason(parent as AbortSignal));
    if (parent?.aborted) onParentAbort();
    else this.#detachParent = listenAbort(parent, onParentAbort);
  }

  /**
   * Starts `fn(signal)` as a task of the group and returns its result. The returned promise can
   * be ignored safely: its rejection is reported through {@link TaskGroup.wait} instead of as an
   * unhandled rejection. Spawning into an aborted group starts nothing and rejects with the abort
   * reason; spawning into an ended group throws.
   */
  spawn<T>(fn: (signal: AbortSignal) => PromiseLike<T> | T): Promise<T> {
    if (this.#ended) throw new Error("Cannot spawn into a TaskGroup that has ended");
    const signal = this.signal;
    let task: Promise<T>;
    if (signal.aborted) {
      task = Promise.reject(abortReason(signal));
    } else {
      this.#running++;
      try {
        task = Promise.resolve(fn(signal));
      } catch (error) {
        task = Promise.reject(error);
      }
      task.then(this.#taskDone, this.#taskFailed);
    }
    task.catch(noop);
    return task;
  }

  /**
   * Aborts every task of the group with `reason` (an {@link AbortError} by default). The group
   * still waits for them to settle, and `wait()` does not fail because of it.
   */
  abort(reason?: unknown): void {
    this.#abortWith("owner", reason ?? new AbortError("The task group was aborted"));
  }

  /**
   * Resolves once every task (including tasks spawned while waiting) has settled; rejects with an
   * `AggregateError` of the failures, or with the parent signal's reason if that aborted the
   * group. The group ends then: its signal aborts and `spawn` throws.
   */
  wait(): Promise<void> {
    this.#result ??= this.#finish();
    return this.#result;
  }

  /** Same as {@link TaskGroup.wait}: leaving an `await using` block waits for the group. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.wait();
  }

  async #finish(): Promise<void> {
    // Tasks may spawn more tasks while we wait, so re-check after every wake-up.
    while (this.#running > 0) {
      this.#idle ??= Promise.withResolvers<void>();
      await this.#idle.promise;
    }
    this.#ended = true;
    this.#detachParent();
    const cause = this.#abortCause;
    const parentReason = this.signal.reason;
    this.#abortWith("owner", new AbortError("The task group has ended"));
    const failures = this.#failures;
    if (failures.length > 0) {
      throw new AggregateError(failures, `${failures.length} task(s) of the group failed`);
    }
    if (cause === "parent") throw parentReason;
  }

  #abortWith(cause: "failure" | "owner" | "parent", reason: unknown): void {
    if (this.signal.aborted) return;
    this.#abortCause = cause;
    this.#controller.abort(reason);
  }

  #settled(): void {
    if (--this.#running === 0 && this.#idle !== undefined) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle.resolve();
    }
  }

  #taskDone = (): void => {
    this.#settled();
  };

  #taskFailed = (error: unknown): void => {
    const causedByGroup =
      this.signal.aborted && (error === this.signal.reason || isAbortError(error));
    if (!causedByGroup) {
      this.#failures.push(error);
      this.#abortWith(
        "failure",
        new AbortError("Aborted because a task of the group failed", { cause: error }),
      );
    }
    this.#settled();
  };
}
