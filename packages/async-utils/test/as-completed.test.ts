import { afterEach, describe, expect, it, vi } from "vitest";
import { asCompleted, type Completed } from "../src/as-completed.ts";
import { sleep } from "../src/sleep.ts";
import { flush } from "./helpers/signals.ts";

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
};

describe("asCompleted", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("yields outcomes in finish order with their index; failures are yielded, not thrown", async () => {
    vi.useFakeTimers();
    const boom = new Error("boom");
    const tasks = [
      (signal: AbortSignal) => sleep(30, { signal }).then(() => "slow"),
      (signal: AbortSignal) => sleep(10, { signal }).then(() => "fast"),
      (signal: AbortSignal) => sleep(20, { signal }).then(() => Promise.reject(boom)),
    ];
    const pending = collect(asCompleted(tasks));
    await vi.advanceTimersByTimeAsync(30);
    await expect(pending).resolves.toEqual([
      { status: "fulfilled", value: "fast", index: 1 },
      { status: "rejected", reason: boom, index: 2 },
      { status: "fulfilled", value: "slow", index: 0 },
    ] satisfies Completed<string>[]);
  });

  it("handles synchronous results and throws, and no tasks at all", async () => {
    const sync = new Error("sync");
    const outcomes = await collect(
      asCompleted<number>([
        () => 1,
        () => {
          throw sync;
        },
      ]),
    );
    expect(outcomes).toEqual([
      { status: "fulfilled", value: 1, index: 0 },
      { status: "rejected", reason: sync, index: 1 },
    ]);
    await expect(collect(asCompleted([]))).resolves.toEqual([]);
  });

  it("breaking out of the loop aborts the tasks still running", async () => {
    const signals: AbortSignal[] = [];
    const tasks = [0, 1, 2].map((i) => (signal: AbortSignal) => {
      signals.push(signal);
      return i === 1 ? Promise.resolve(i) : new Promise<number>(() => {});
    });
    for await (const outcome of asCompleted(tasks)) {
      expect(outcome).toEqual({ status: "fulfilled", value: 1, index: 1 });
      break;
    }
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it("respects concurrency, starting the next task when one finishes", async () => {
    let active = 0;
    let peak = 0;
    const tasks = Array.from({ length: 9 }, (_, i) => async () => {
      active++;
      peak = Math.max(peak, active);
      await flush(9 - i);
      active--;
      return i;
    });
    const outcomes = await collect(asCompleted(tasks, { concurrency: 2 }));
    expect(peak).toBe(2);
    expect(outcomes.map((o) => o.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("with concurrency 1 runs tasks one by one, so finish order is input order", async () => {
    const log: string[] = [];
    const tasks = [3, 1, 2].map((wait, i) => async () => {
      log.push(`start ${i}`);
      await flush(wait);
      log.push(`end ${i}`);
      return i;
    });
    const outcomes = await collect(asCompleted(tasks, { concurrency: 1 }));
    expect(outcomes.map((o) => o.index)).toEqual([0, 1, 2]);
    expect(log).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
  });

  it("rejects the iteration with the signal's reason and aborts the running tasks", async () => {
    const reason = new Error("deadline");
    await expect(
      collect(asCompleted([() => 1], { signal: AbortSignal.abort(reason) })),
    ).rejects.toBe(reason);

    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const iterator = asCompleted(
      [0, 1].map(() => (signal: AbortSignal) => {
        signals.push(signal);
        return new Promise<number>(() => {});
      }),
      { signal: controller.signal },
    );
    const next = iterator.next();
    controller.abort(reason);
    await expect(next).rejects.toBe(reason);
    expect(signals.every((signal) => signal.reason === reason)).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });
});
