import { describe, expect, it, vi } from "vitest";
import { sleep } from "../src/sleep.ts";
import { TaskGroup } from "../src/task-group.ts";
import { deferred, flush, trackedController } from "./helpers/signals.ts";

/** A task that runs until its signal aborts, then rejects with the signal's reason. */
const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));

describe("TaskGroup", () => {
  it("runs spawned tasks concurrently and resolves wait() once all are done", async () => {
    const group = new TaskGroup();
    const a = deferred<number>();
    const b = deferred<string>();
    const first = group.spawn(() => a.promise);
    const second = group.spawn(() => b.promise);
    const third = group.spawn(() => 3);
    let waited = false;
    const waiting = group.wait().then(() => {
      waited = true;
    });
    b.resolve("two");
    await flush();
    expect(waited).toBe(false);
    a.resolve(1);
    await waiting;
    await expect(Promise.all([first, second, third])).resolves.toEqual([1, "two", 3]);
    // the group is over: its signal aborts so nothing that kept it can run on
    expect(group.signal.aborted).toBe(true);
  });

  it("resolves wait() at once for an empty group", async () => {
    await expect(new TaskGroup().wait()).resolves.toBeUndefined();
  });

  it("aborts every sibling on the first failure and rejects with an AggregateError of real failures only", async () => {
    const group = new TaskGroup();
    const boom = new Error("boom");
    const stopped: string[] = [];
    group.spawn(async (signal) => {
      try {
        await untilAborted(signal);
      } finally {
        stopped.push("sibling");
      }
    });
    group.spawn(async (signal) => {
      await sleep(1_000_000, { signal }).finally(() => stopped.push("sleeper"));
    });
    const failing = group.spawn(async () => {
      await flush(2);
      throw boom;
    });
    const error = await group.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([boom]);
    expect(stopped.sort()).toEqual(["sibling", "sleeper"]);
    await expect(failing).rejects.toBe(boom);
  });

  it("reports every failure that is not a consequence of the group's own abort", async () => {
    const group = new TaskGroup();
    const first = new Error("first");
    const cleanup = new Error("cleanup failed");
    group.spawn(() => {
      throw first;
    });
    group.spawn(async (signal) => {
      await untilAborted(signal).catch(() => {
        throw cleanup;
      });
    });
    const error = (await group.wait().catch((e: unknown) => e)) as AggregateError;
    expect(error.errors).toEqual([first, cleanup]);
  });

  it("await using waits for the tasks and throws the AggregateError; nothing runs afterwards", async () => {
    const boom = new Error("boom");
    let sawAbort = false;
    let finishedAfterBlock = false;
    const run = async (): Promise<void> => {
      await using group = new TaskGroup();
      group.spawn(async (signal) => {
        await untilAborted(signal).catch(() => {
          sawAbort = true;
        });
        await flush(5);
        finishedAfterBlock = true;
      });
      group.spawn(async () => {
        await flush(1);
        throw boom;
      });
    };
    const error = (await run().catch((e: unknown) => e)) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.errors).toEqual([boom]);
    // the block did not end before its tasks did
    expect(sawAbort).toBe(true);
    expect(finishedAfterBlock).toBe(true);
  });

  it("ignored task rejections never surface as unhandled rejections", async () => {
    const group = new TaskGroup();
    group.spawn(() => Promise.reject(new Error("ignored")));
    group.spawn(() => {
      throw new Error("ignored too");
    });
    await expect(group.wait()).rejects.toBeInstanceOf(AggregateError);
  });

  it("abort() cancels the tasks without making wait() fail", async () => {
    const group = new TaskGroup();
    const task = group.spawn(untilAborted);
    const reason = new Error("enough");
    group.abort(reason);
    await expect(task).rejects.toBe(reason);
    await expect(group.wait()).resolves.toBeUndefined();
  });

  it("rejects with the parent's reason when the parent signal aborts, and detaches from it", async () => {
    const { controller, listeners } = trackedController();
    const group = new TaskGroup({ signal: controller.signal });
    expect(listeners()).toBe(1);
    let seen: AbortSignal | undefined;
    group.spawn((signal) => {
      seen = signal;
      return untilAborted(signal);
    });
    const reason = new Error("request cancelled");
    controller.abort(reason);
    expect(seen?.reason).toBe(reason);
    await expect(group.wait()).rejects.toBe(reason);
  });

  it("starts aborted under an aborted parent: spawn runs nothing and rejects", async () => {
    const reason = new Error("gone");
    const group = new TaskGroup({ signal: AbortSignal.abort(reason) });
    const fn = vi.fn();
    await expect(group.spawn(fn)).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    await expect(group.wait()).rejects.toBe(reason);
  });

  it("does not start tasks spawned after a failure", async () => {
    const group = new TaskGroup();
    group.spawn(() => {
      throw new Error("x");
    });
    await flush();
    const late = vi.fn();
    await expect(group.spawn(late)).rejects.toMatchObject({ name: "AbortError" });
    expect(late).not.toHaveBeenCalled();
    await expect(group.wait()).rejects.toBeInstanceOf(AggregateError);
  });

  it("waits for tasks spawned by tasks while waiting", async () => {
    const group = new TaskGroup();
    const order: string[] = [];
    group.spawn(async () => {
      await flush(2);
      group.spawn(async () => {
        await flush(5);
        order.push("child");
      });
      order.push("parent");
    });
    await group.wait();
    expect(order).toEqual(["parent", "child"]);
  });

  it("refuses new tasks once it has ended and detaches from the parent", async () => {
    const { controller, listeners } = trackedController();
    const group = new TaskGroup({ signal: controller.signal });
    group.spawn(() => 1);
    await group.wait();
    expect(listeners()).toBe(0);
    expect(() => group.spawn(() => 2)).toThrow(/ended/);
    // waiting again is harmless
    await expect(group.wait()).resolves.toBeUndefined();
  });
});
