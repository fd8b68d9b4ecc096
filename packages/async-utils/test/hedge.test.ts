import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { hedge } from "../src/hedge.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** An attempt that resolves with `value` after `ms`, or rejects when its signal aborts. */
function after<T>(ms: number, value: T, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

describe("hedge", () => {
  it("returns a fast first attempt without starting another", async () => {
    const fn = vi.fn((signal: AbortSignal) => after(10, "first", signal));
    const result = hedge(fn, { delayMs: 50 });
    await vi.advanceTimersByTimeAsync(10);
    await expect(result).resolves.toBe("first");
    await vi.advanceTimersByTimeAsync(100);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("starts a second attempt after delayMs; the first success wins and the loser is aborted", async () => {
    const signals: AbortSignal[] = [];
    const result = hedge(
      (signal, attempt) => {
        signals.push(signal);
        return after(attempt === 1 ? 1_000 : 10, `attempt ${attempt}`, signal);
      },
      { delayMs: 50 },
    );
    await vi.advanceTimersByTimeAsync(49);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10);
    await expect(result).resolves.toBe("attempt 2");
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false); // the winner's signal may still carry a body stream
  });

  it("the original attempt can still win after a hedge started", async () => {
    const result = hedge((signal, attempt) => after(attempt === 1 ? 60 : 100, attempt, signal), {
      delayMs: 50,
    });
    await vi.advanceTimersByTimeAsync(60);
    await expect(result).resolves.toBe(1);
  });

  it("starts the next attempt at once when one fails", async () => {
    const started: number[] = [];
    const result = hedge(
      async (signal, attempt) => {
        started.push(attempt);
        if (attempt === 1) throw new Error("fast failure");
        return after(5, "second", signal);
      },
      { delayMs: 1_000 },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(5);
    await expect(result).resolves.toBe("second");
  });

  it("never exceeds maxAttempts", async () => {
    const fn = vi.fn((signal: AbortSignal, attempt: number) => after(10_000, attempt, signal));
    const result = hedge(fn, { delayMs: 10, maxAttempts: 3 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fn).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(result).resolves.toBe(1);
  });

  it("rejects with an AggregateError of every failure, in attempt order", async () => {
    const result = hedge(
      async (_signal, attempt) => {
        throw new Error(`failure ${attempt}`);
      },
      { delayMs: 10, maxAttempts: 3 },
    );
    result.catch(() => {});
    await vi.advanceTimersByTimeAsync(0);
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      "failure 1",
      "failure 2",
      "failure 3",
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("waits for the attempts still running before giving up", async () => {
    const result = hedge(
      (signal, attempt) =>
        attempt === 1 ? after(100, "slow but fine", signal) : Promise.reject(new Error("no")),
      { delayMs: 10 },
    );
    await vi.advanceTimersByTimeAsync(100);
    await expect(result).resolves.toBe("slow but fine");
  });

  it("maxAttempts 1 is a plain call", async () => {
    const fn = vi.fn(async () => {
      throw new Error("only");
    });
    const error = await hedge(fn, { delayMs: 0, maxAttempts: 1 }).catch((e: unknown) => e);
    expect((error as AggregateError).errors).toHaveLength(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("delayMs Infinity only hedges on failure", async () => {
    const fn = vi.fn((signal: AbortSignal, attempt: number) => after(1_000_000, attempt, signal));
    const result = hedge(fn, { delayMs: Number.POSITIVE_INFINITY });
    expect(vi.getTimerCount()).toBe(1); // just the attempt's own timer
    await vi.advanceTimersByTimeAsync(1_000_000);
    await expect(result).resolves.toBe(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("aborting the signal aborts every attempt, clears the timer and rejects with the reason", async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const result = hedge(
      (signal) => {
        signals.push(signal);
        return after(10_000, "late", signal);
      },
      { delayMs: 10, maxAttempts: 3, signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(15);
    const reason = new Error("client disconnected");
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(signals).toHaveLength(2);
    expect(signals.every((signal) => signal.aborted && signal.reason === reason)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never calls fn when the signal is already aborted", async () => {
    const fn = vi.fn(async () => 1);
    await expect(hedge(fn, { delayMs: 1, signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it("validates delayMs and maxAttempts", async () => {
    await expect(hedge(async () => 1, { delayMs: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(hedge(async () => 1, { delayMs: 1, maxAttempts: 0 })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(
      hedge(async () => 1, { delayMs: 1, maxAttempts: Number.POSITIVE_INFINITY }),
    ).rejects.toThrow("maxAttempts must be a positive integer, got Infinity");
  });

  it("waitForCancelled: the winner is handed over only once the aborted attempts have settled", async () => {
    const steps: string[] = [];
    const result = hedge(
      async (signal, attempt) => {
        if (attempt === 2) return "second wins";
        try {
          return await after(1_000, "first", signal);
        } finally {
          await new Promise((resolve) => setTimeout(resolve, 40));
          steps.push("first settled");
        }
      },
      { delayMs: 10, waitForCancelled: true },
    ).then((value) => {
      steps.push(value);
      return value;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(steps).toEqual([]);
    await vi.advanceTimersByTimeAsync(40);
    await expect(result).resolves.toBe("second wins");
    expect(steps).toEqual(["first settled", "second wins"]);
  });

  it("waitForCancelled: the caller's abort rejects once every attempt has settled", async () => {
    const controller = new AbortController();
    const settledAttempts: number[] = [];
    const result = hedge(
      async (signal, attempt) => {
        try {
          return await after(1_000, attempt, signal);
        } finally {
          await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
          settledAttempts.push(attempt);
        }
      },
      { delayMs: 10, maxAttempts: 3, signal: controller.signal, waitForCancelled: true },
    );
    await vi.advanceTimersByTimeAsync(25);
    const reason = new Error("caller left");
    controller.abort(reason);
    const assertion = expect(result).rejects.toBe(reason);
    await vi.advanceTimersByTimeAsync(10);
    expect(settledAttempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(5);
    await assertion;
    expect(settledAttempts).toEqual([1, 2, 3]);
  });
});
