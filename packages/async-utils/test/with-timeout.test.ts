import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TimeoutError } from "../src/errors.ts";
import { sleep } from "../src/sleep.ts";
import { withTimeout } from "../src/with-timeout.ts";
import { trackedController } from "./helpers/signals.ts";

describe("withTimeout", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves with fn's value and clears its timer", async () => {
    const pending = withTimeout(async (signal) => {
      await sleep(10, { signal });
      return "ok";
    }, 100);
    await vi.advanceTimersByTimeAsync(10);
    await expect(pending).resolves.toBe("ok");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("accepts synchronous values and turns synchronous throws into rejections", async () => {
    await expect(withTimeout(() => 42, 10)).resolves.toBe(42);
    const boom = new Error("boom");
    await expect(
      withTimeout(() => {
        throw boom;
      }, 10),
    ).rejects.toBe(boom);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborts fn's signal with a TimeoutError and rejects with it when time runs out", async () => {
    let seen: AbortSignal | undefined;
    let stoppedWork = false;
    const pending = withTimeout(
      (signal) => {
        seen = signal;
        return sleep(10_000, { signal }).catch((error) => {
          stoppedWork = true;
          throw error;
        });
      },
      50,
      { message: "upstream too slow" },
    );
    const assertion = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(50);
    await assertion;
    const error = await pending.catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "TimeoutError",
      message: "upstream too slow",
      timeoutMs: 50,
    });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(stoppedWork).toBe(true);
    // the inner sleep's timer is gone too: the work stopped, not just the waiting
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects on time even when fn ignores its signal, without an unhandled rejection later", async () => {
    const pending = withTimeout(
      () =>
        new Promise((_, reject) => {
          setTimeout(() => reject(new Error("late failure")), 500);
        }),
      100,
    );
    const assertion = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(100);
    await assertion;
    await vi.advanceTimersByTimeAsync(400);
  });

  it("forwards the caller's abort to fn and rejects with its reason", async () => {
    const { controller, listeners } = trackedController();
    let seen: AbortSignal | undefined;
    const pending = withTimeout(
      (signal) => {
        seen = signal;
        return sleep(1_000, { signal });
      },
      500,
      { signal: controller.signal },
    );
    expect(listeners()).toBe(1);
    const reason = new Error("user left");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(seen?.reason).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("does not call fn when the signal is already aborted", async () => {
    const fn = vi.fn(() => 1);
    const reason = new Error("already");
    await expect(withTimeout(fn, 10, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it("detaches from the caller's signal once settled", async () => {
    const { controller, listeners } = trackedController();
    await withTimeout(() => Promise.resolve(1), 100, { signal: controller.signal });
    expect(listeners()).toBe(0);
    await expect(
      withTimeout(() => Promise.reject(new Error("x")), 100, { signal: controller.signal }),
    ).rejects.toThrow("x");
    expect(listeners()).toBe(0);
  });

  it("sets no timer for an Infinity deadline", async () => {
    const pending = withTimeout((signal) => sleep(5, { signal }), Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(1); // only the inner sleep
    await vi.advanceTimersByTimeAsync(5);
    await expect(pending).resolves.toBeUndefined();
  });

  it("waitForCancelled: rejects only once the cancelled work has settled", async () => {
    const steps: string[] = [];
    const work = async (signal: AbortSignal): Promise<string> => {
      try {
        await sleep(10_000, { signal });
        return "finished";
      } catch (error) {
        await sleep(30); // cleanup that takes a while after the abort
        steps.push("cleaned up");
        throw error;
      }
    };
    let rejectedAt: number | undefined;
    const waited = withTimeout(work, 100, { waitForCancelled: true }).catch((error: unknown) => {
      rejectedAt = Date.now();
      steps.push("rejected");
      return error;
    });
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(100);
    expect(steps).toEqual([]);
    await vi.advanceTimersByTimeAsync(30);
    await expect(waited).resolves.toBeInstanceOf(TimeoutError);
    expect(steps).toEqual(["cleaned up", "rejected"]);
    expect((rejectedAt ?? 0) - start).toBe(130);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("waitForCancelled: the caller's abort waits too, and the reason wins over the work's outcome", async () => {
    const controller = new AbortController();
    let workDone = false;
    const pending = withTimeout(
      async (signal) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
        await sleep(20);
        workDone = true;
        return "completed despite the abort";
      },
      1_000,
      { signal: controller.signal, waitForCancelled: true },
    );
    const reason = new Error("user left");
    controller.abort(reason);
    const assertion = expect(pending).rejects.toBe(reason);
    await vi.advanceTimersByTimeAsync(19);
    expect(workDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await assertion;
    expect(workDone).toBe(true);
  });

  it("waitForCancelled: work that aborts its caller while starting is still waited for", async () => {
    const controller = new AbortController();
    const gate = Promise.withResolvers<void>();
    let settled = false;
    const pending = withTimeout(
      async () => {
        controller.abort(new Error("aborted from inside"));
        await gate.promise;
      },
      1_000,
      { signal: controller.signal, waitForCancelled: true },
    ).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    gate.resolve();
    await expect(pending).rejects.toThrow("aborted from inside");
  });
});

describe("withTimeout's bound", () => {
  it("refuses a time limit that is not a non-negative number with a RangeError naming it", () => {
    for (const ms of [Number.NaN, -1, undefined]) {
      expect(() => withTimeout(async () => 1, ms as number)).toThrow(RangeError);
      expect(() => withTimeout(async () => 1, ms as number)).toThrow(
        /^ms must be a non-negative number/,
      );
    }
  });
});
