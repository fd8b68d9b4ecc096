import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { shield } from "../src/shield.ts";
import { sleep } from "../src/sleep.ts";
import { heapUsed } from "./helpers/bulk-abort.ts";
import { nextMacrotask, watchUnhandledRejections } from "./helpers/iteration.ts";
import { deferred, flush, trackedController } from "./helpers/signals.ts";

describe("shield", () => {
  it("runs cleanup to completion although the scope's signal has aborted", async () => {
    const scope = new AbortController();
    const steps: string[] = [];
    const work = async (signal: AbortSignal): Promise<string> => {
      try {
        await sleep(1_000, { signal });
      } finally {
        await shield(async (cleanup) => {
          expect(cleanup.aborted).toBe(false);
          await Promise.resolve();
          steps.push("rolled back");
        });
        steps.push("after cleanup");
      }
      return "unreachable";
    };
    const pending = work(scope.signal);
    scope.abort(new Error("client left"));
    await expect(pending).rejects.toThrow("client left");
    expect(steps).toEqual(["rolled back", "after cleanup"]);
  });

  it("settles as fn does, synchronous values and throws included", async () => {
    await expect(shield(() => 7)).resolves.toBe(7);
    await expect(shield(async () => "async")).resolves.toBe("async");
    const boom = new Error("boom");
    await expect(
      shield(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(shield(() => Promise.reject(boom))).rejects.toBe(boom);
  });

  it("with a signal, the caller stops waiting at once while fn runs on", async () => {
    const { controller, listeners } = trackedController();
    const gate = deferred<string>();
    let finished = false;
    const pending = shield(
      async () => {
        const value = await gate.promise;
        finished = true;
        return value;
      },
      { signal: controller.signal },
    );
    expect(listeners()).toBe(1);
    const reason = new Error("stop waiting");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(finished).toBe(false);
    gate.resolve("done anyway");
    await flush();
    expect(finished).toBe(true);
  });

  it("starts fn even when the signal is already aborted, and detaches once fn settles", async () => {
    let started = false;
    const reason = new Error("already gone");
    await expect(
      shield(
        () => {
          started = true;
        },
        { signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    expect(started).toBe(true);
    const { controller, listeners } = trackedController();
    await expect(shield(async () => 1, { signal: controller.signal })).resolves.toBe(1);
    expect(listeners()).toBe(0);
  });

  it("leaves no unhandled rejection when fn fails after the caller stopped waiting", async () => {
    const watch = watchUnhandledRejections();
    try {
      const controller = new AbortController();
      const gate = deferred();
      const pending = shield(
        async () => {
          await gate.promise;
          throw new Error("late failure");
        },
        { signal: controller.signal },
      );
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: "AbortError" });
      gate.resolve();
      await nextMacrotask();
      expect(watch.reasons).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it("hands the work to waitUntil as a promise that never rejects", async () => {
    const handed: Promise<unknown>[] = [];
    const waitUntil = (promise: Promise<unknown>) => handed.push(promise);
    await expect(shield(async () => "kept", { waitUntil })).resolves.toBe("kept");
    await expect(shield(() => Promise.reject(new Error("failed")), { waitUntil })).rejects.toThrow(
      "failed",
    );
    expect(handed).toHaveLength(2);
    await expect(Promise.all(handed)).resolves.toEqual([undefined, undefined]);
  });

  it("rejects a bad timeoutMs without calling fn", async () => {
    let called = false;
    const fn = () => {
      called = true;
    };
    await expect(shield(fn, { timeoutMs: -1 })).rejects.toThrow("timeoutMs must be >= 0, got -1");
    await expect(shield(fn, { timeoutMs: Number.NaN })).rejects.toThrow(RangeError);
    expect(called).toBe(false);
  });

  it(`retains nothing after 20,000 callers stopped waiting on shielded work`, async () => {
    const gate = deferred();
    const round = async (): Promise<void> => {
      const controller = new AbortController();
      const calls = Array.from({ length: 20_000 }, () =>
        shield(() => gate.promise, { signal: controller.signal }).catch(() => "stopped"),
      );
      controller.abort();
      expect(new Set(await Promise.all(calls))).toEqual(new Set(["stopped"]));
    };
    await round();
    const afterFirst = heapUsed();
    await round();
    gate.resolve();
    await flush();
    const afterSecond = heapUsed();
    if (afterFirst !== undefined && afterSecond !== undefined) {
      expect(afterSecond - afterFirst).toBeLessThan(2 * 2 ** 20);
    }
  });
});

describe("shield timeoutMs", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts fn's own signal with a TimeoutError after timeoutMs", async () => {
    let seen: AbortSignal | undefined;
    const pending = shield(
      (signal) => {
        seen = signal;
        return sleep(60_000, { signal });
      },
      { timeoutMs: 100 },
    );
    const assertion = expect(pending).rejects.toMatchObject({
      name: "TimeoutError",
      timeoutMs: 100,
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await assertion;
    expect(vi.getTimerCount()).toBe(0);
  });

  it("clears its timer as soon as fn settles", async () => {
    await expect(shield(async () => "quick", { timeoutMs: 5_000 })).resolves.toBe("quick");
    await expect(shield(() => "sync", { timeoutMs: 5_000 })).resolves.toBe("sync");
    await expect(
      shield(() => Promise.reject(new Error("x")), { timeoutMs: 5_000 }),
    ).rejects.toThrow("x");
    expect(vi.getTimerCount()).toBe(0);
  });
});
