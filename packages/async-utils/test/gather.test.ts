import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { gather } from "../src/gather.ts";
import { sleep } from "../src/sleep.ts";
import { flush } from "./helpers/signals.ts";

const never = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));

describe("gather", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves with results in task order and keeps tuple types", async () => {
    vi.useFakeTimers();
    const pending = gather([
      async (signal) => {
        await sleep(20, { signal });
        return 1;
      },
      () => "two",
      async () => true,
    ]);
    expectTypeOf(pending).toEqualTypeOf<Promise<[number, string, boolean]>>();
    await vi.advanceTimersByTimeAsync(20);
    await expect(pending).resolves.toEqual([1, "two", true]);
  });

  it("accepts any iterable of tasks", async () => {
    function* tasks(): Generator<(signal: AbortSignal) => number> {
      for (let i = 0; i < 3; i++) yield () => i;
    }
    const results = await gather(tasks());
    expectTypeOf(results).toEqualTypeOf<number[]>();
    expect(results).toEqual([0, 1, 2]);
  });

  it("resolves [] for no tasks", async () => {
    await expect(gather([])).resolves.toEqual([]);
  });

  it("rejects with the first failure and aborts the tasks still running", async () => {
    const boom = new Error("boom");
    const signals: AbortSignal[] = [];
    const pending = gather([
      (signal) => {
        signals.push(signal);
        return never(signal);
      },
      async (signal) => {
        signals.push(signal);
        await flush(2);
        throw boom;
      },
      (signal) => {
        signals.push(signal);
        return never(signal);
      },
    ]);
    await expect(pending).rejects.toBe(boom);
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(signals[0]?.reason).toMatchObject({ name: "AbortError", cause: boom });
  });

  it("limits concurrency and never starts tasks after a failure", async () => {
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const tasks = Array.from({ length: 8 }, (_, i) => async () => {
      started.push(i);
      active++;
      peak = Math.max(peak, active);
      await flush(3);
      active--;
      if (i === 3) throw new Error("third");
      return i;
    });
    await expect(gather(tasks, { concurrency: 2 })).rejects.toThrow("third");
    expect(peak).toBe(2);
    await flush(50);
    expect(started).not.toContain(6);
    expect(started).not.toContain(7);
  });

  it("runs tasks one by one with concurrency 1", async () => {
    const log: number[] = [];
    await gather(
      [1, 2, 3].map((i) => async () => {
        log.push(i);
        await flush(2);
        log.push(-i);
      }),
      { concurrency: 1 },
    );
    expect(log).toEqual([1, -1, 2, -2, 3, -3]);
  });

  it("calls no task when the signal is already aborted", async () => {
    const task = vi.fn(() => 1);
    const reason = new Error("aborted before start");
    await expect(gather([task], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(task).not.toHaveBeenCalled();
  });

  it("aborting the signal aborts the running tasks and rejects with its reason", async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const pending = gather(
      [0, 1].map(() => (signal: AbortSignal) => {
        signals.push(signal);
        return never(signal);
      }),
      { signal: controller.signal },
    );
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(signals.map((signal) => signal.reason)).toEqual([reason, reason]);
  });
});
