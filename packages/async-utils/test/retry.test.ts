import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CircuitOpenError } from "../src/circuit-breaker.ts";
import { retry } from "../src/retry.ts";
import { sleep } from "../src/sleep.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("retry", () => {
  it("returns the first success without waiting", async () => {
    const fn = vi.fn(async (_attempt: number) => "ok");
    await expect(retry(fn)).resolves.toBe("ok");
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn.mock.calls[0]?.[0]).toBe(1);
  });

  it("retries failures with exponential backoff and passes the attempt number", async () => {
    const attempts: number[] = [];
    const delays: number[] = [];
    const result = retry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 4) throw new Error(`fail ${attempt}`);
        return attempt;
      },
      {
        retries: 5,
        minDelayMs: 100,
        factor: 2,
        jitter: false,
        onRetry: ({ delayMs }) => delays.push(delayMs),
      },
    );
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    await expect(result).resolves.toBe(4);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(delays).toEqual([100, 200, 400]);
  });

  it("waits the computed delay, not less", async () => {
    let calls = 0;
    const result = retry(
      async () => {
        calls++;
        if (calls === 1) throw new Error("once");
        return "done";
      },
      { minDelayMs: 1_000, jitter: false },
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe("done");
  });

  it("caps delays at maxDelayMs", async () => {
    const delays: number[] = [];
    const result = retry(
      async () => {
        throw new Error("always");
      },
      {
        retries: 6,
        minDelayMs: 100,
        maxDelayMs: 500,
        jitter: false,
        onRetry: ({ delayMs }) => delays.push(delayMs),
      },
    );
    result.catch(() => {});
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(result).rejects.toThrow("always");
    expect(delays).toEqual([100, 200, 400, 500, 500, 500]);
  });

  it("uses full jitter: a uniform random delay up to the backoff", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.25);
    const delays: number[] = [];
    const result = retry(
      async (attempt) => {
        if (attempt < 3) throw new Error("x");
        return attempt;
      },
      { minDelayMs: 100, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    await vi.advanceTimersByTimeAsync(25 + 50);
    await expect(result).resolves.toBe(3);
    expect(delays).toEqual([25, 50]);
  });

  it("rejects with the last error once retries run out (retries: 0 means one call)", async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error(`boom ${calls}`);
        },
        { retries: 0 },
      ),
    ).rejects.toThrow("boom 1");
    expect(calls).toBe(1);

    calls = 0;
    const result = retry(
      async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      { retries: 2, minDelayMs: 1, jitter: false },
    );
    result.catch(() => {});
    await vi.advanceTimersByTimeAsync(100);
    await expect(result).rejects.toThrow("boom 3");
  });

  it("stops when shouldRetry says no, and passes it the error and attempt", async () => {
    const seen: [unknown, number][] = [];
    const fatal = new Error("fatal");
    const result = retry(
      async (attempt) => {
        throw attempt === 1 ? new Error("transient") : fatal;
      },
      {
        minDelayMs: 1,
        shouldRetry: async (error, attempt) => {
          seen.push([error, attempt]);
          return error !== fatal;
        },
      },
    );
    result.catch(() => {});
    await vi.advanceTimersByTimeAsync(10);
    await expect(result).rejects.toBe(fatal);
    expect(seen.map(([, attempt]) => attempt)).toEqual([1, 2]);
  });

  it("honours a retryAfterMs hint on the error, capped by maxDelayMs", async () => {
    const delays: number[] = [];
    const result = retry(
      async (attempt) => {
        if (attempt === 1) throw Object.assign(new Error("429"), { retryAfterMs: 2_000 });
        if (attempt === 2) throw Object.assign(new Error("429"), { retryAfterMs: 99_999 });
        return "ok";
      },
      { minDelayMs: 10, maxDelayMs: 5_000, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    await vi.advanceTimersByTimeAsync(1_999);
    expect(delays).toEqual([2_000]);
    await vi.advanceTimersByTimeAsync(1 + 5_000);
    await expect(result).resolves.toBe("ok");
    expect(delays).toEqual([2_000, 5_000]);
  });

  it("treats CircuitOpenError.retryAfterMs as a hint", async () => {
    const delays: number[] = [];
    const result = retry(
      async (attempt) => {
        if (attempt === 1) throw new CircuitOpenError(750);
        return "closed again";
      },
      { minDelayMs: 1, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    await vi.advanceTimersByTimeAsync(750);
    await expect(result).resolves.toBe("closed again");
    expect(delays).toEqual([750]);
  });

  it("turns a synchronous throw into a retried failure", async () => {
    const result = retry(
      (attempt) => {
        if (attempt === 1) throw new Error("sync");
        return "fine";
      },
      { minDelayMs: 1, jitter: false },
    );
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe("fine");
  });
});

describe("retry cancellation", () => {
  it("never calls fn when the signal is already aborted", async () => {
    const fn = vi.fn(async () => 1);
    const reason = new Error("cancelled");
    await expect(retry(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it("aborts the running attempt's signal and rejects at once, even if fn ignores it", async () => {
    const controller = new AbortController();
    let attemptSignal: AbortSignal | undefined;
    const result = retry(
      (_attempt, signal) => {
        attemptSignal = signal;
        return new Promise<never>(() => {}); // ignores its signal and never settles
      },
      { signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(attemptSignal?.aborted).toBe(false);
    const reason = new Error("user left");
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(attemptSignal?.aborted).toBe(true);
    expect(attemptSignal?.reason).toBe(reason);
  });

  it("abort during the backoff wait rejects without another attempt and clears the timer", async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = retry(
      async () => {
        calls++;
        throw new Error("flaky");
      },
      { minDelayMs: 10_000, jitter: false, signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await expect(result).rejects.toMatchObject({ name: "AbortError" });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(1);
  });

  it("an attempt that fails because of the abort reports the abort, not its own error", async () => {
    const controller = new AbortController();
    const result = retry(
      (_attempt, signal) =>
        new Promise<never>((_, reject) => {
          signal.addEventListener("abort", () => reject(new Error("fetch failed")));
        }),
      { signal: controller.signal },
    );
    const reason = new Error("timeout");
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
  });

  it("validates its options", async () => {
    await expect(retry(async () => 1, { retries: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(retry(async () => 1, { factor: 0.5 })).rejects.toBeInstanceOf(RangeError);
    await expect(retry(async () => 1, { retries: 1.5 })).rejects.toThrow(
      "retries must be a non-negative integer or Infinity, got 1.5",
    );
    await expect(retry(async () => 1, { retries: Number.POSITIVE_INFINITY })).resolves.toBe(1);
  });

  it("waitForCancelled: on abort, rejects with the reason only once the attempt has settled", async () => {
    const controller = new AbortController();
    const steps: string[] = [];
    const pending = retry(
      async (_attempt, signal) => {
        try {
          await sleep(10_000, { signal });
        } finally {
          await sleep(25);
          steps.push("attempt settled");
        }
      },
      { signal: controller.signal, waitForCancelled: true },
    ).catch((error: unknown) => {
      steps.push("rejected");
      return error;
    });
    const reason = new Error("gave up");
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(24);
    expect(steps).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toBe(reason);
    expect(steps).toEqual(["attempt settled", "rejected"]);
  });

  it("waitForCancelled: an attempt that succeeds after the abort still rejects with the reason", async () => {
    const controller = new AbortController();
    const pending = retry(
      async () => {
        await sleep(10);
        return "ignored its signal";
      },
      { signal: controller.signal, waitForCancelled: true },
    );
    const reason = new Error("gave up");
    controller.abort(reason);
    const assertion = expect(pending).rejects.toBe(reason);
    await vi.advanceTimersByTimeAsync(10);
    await assertion;
  });
});
