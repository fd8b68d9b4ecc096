import { describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitOpenError } from "../src/circuit-breaker.ts";

function breakerWithClock(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = { now: 1_000 };
  const breaker = new CircuitBreaker({ ...options, now: () => clock.now });
  return { breaker, clock };
}

const fail = () => Promise.reject(new Error("upstream down"));

describe("CircuitBreaker", () => {
  it("starts closed and lets calls through", async () => {
    const { breaker } = breakerWithClock();
    expect(breaker.state).toBe("closed");
    expect(breaker.canRequest()).toBe(true);
    await expect(breaker.run(() => 42)).resolves.toBe(42);
  });

  it("opens after failureThreshold consecutive failures", async () => {
    const { breaker } = breakerWithClock({ failureThreshold: 3 });
    for (let i = 0; i < 2; i++) await expect(breaker.run(fail)).rejects.toThrow("upstream down");
    expect(breaker.state).toBe("closed");
    await expect(breaker.run(fail)).rejects.toThrow("upstream down");
    expect(breaker.state).toBe("open");
    expect(breaker.canRequest()).toBe(false);
  });

  it("a success resets the consecutive failure count", () => {
    const { breaker } = breakerWithClock({ failureThreshold: 2 });
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed");
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
  });

  it("refuses calls while open without calling fn, saying when to come back", async () => {
    const { breaker, clock } = breakerWithClock({ failureThreshold: 1, resetTimeoutMs: 5_000 });
    breaker.recordFailure();
    clock.now += 2_000;
    const fn = vi.fn(() => "never");
    const error = await breaker.run(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ name: "CircuitOpenError", retryAfterMs: 3_000 });
  });

  it("turns half-open after resetTimeoutMs; a probe success closes it", async () => {
    const { breaker, clock } = breakerWithClock({ failureThreshold: 1, resetTimeoutMs: 5_000 });
    breaker.recordFailure();
    clock.now += 4_999;
    expect(breaker.state).toBe("open");
    clock.now += 1;
    expect(breaker.state).toBe("half-open");
    await expect(breaker.run(() => "probe ok")).resolves.toBe("probe ok");
    expect(breaker.state).toBe("closed");
  });

  it("a probe failure opens it again for a full resetTimeoutMs", async () => {
    const { breaker, clock } = breakerWithClock({ failureThreshold: 1, resetTimeoutMs: 5_000 });
    breaker.recordFailure();
    clock.now += 5_000;
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe("open");
    clock.now += 4_999;
    expect(breaker.state).toBe("open");
    clock.now += 1;
    expect(breaker.state).toBe("half-open");
  });

  it("lets only halfOpenMaxCalls probes through at once", () => {
    const { breaker, clock } = breakerWithClock({
      failureThreshold: 1,
      resetTimeoutMs: 100,
      halfOpenMaxCalls: 2,
    });
    breaker.recordFailure();
    clock.now += 100;
    expect([breaker.canRequest(), breaker.canRequest(), breaker.canRequest()]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("refuses concurrent run() calls while the single probe is out", async () => {
    const { breaker, clock } = breakerWithClock({ failureThreshold: 1, resetTimeoutMs: 100 });
    breaker.recordFailure();
    clock.now += 100;
    let finishProbe: (value: string) => void = () => {};
    const probe = breaker.run(
      () =>
        new Promise<string>((resolve) => {
          finishProbe = resolve;
        }),
    );
    await expect(breaker.run(() => "second")).rejects.toMatchObject({ retryAfterMs: 0 });
    finishProbe("done");
    await expect(probe).resolves.toBe("done");
    expect(breaker.state).toBe("closed");
  });

  it("a probe slot that is never reported frees itself after resetTimeoutMs", () => {
    const { breaker, clock } = breakerWithClock({ failureThreshold: 1, resetTimeoutMs: 100 });
    breaker.recordFailure();
    clock.now += 100;
    expect(breaker.canRequest()).toBe(true); // claimed, then the request crashed silently
    expect(breaker.canRequest()).toBe(false);
    clock.now += 100;
    expect(breaker.canRequest()).toBe(true);
  });

  it("errors that isFailure rejects pass through without counting", async () => {
    const { breaker } = breakerWithClock({ failureThreshold: 1 });
    const notFound = new Error("404");
    await expect(
      breaker.run(() => Promise.reject(notFound), { isFailure: () => false }),
    ).rejects.toBe(notFound);
    expect(breaker.state).toBe("closed");
  });

  it("a non-failure error during half-open returns the probe slot without deciding", async () => {
    const { breaker, clock } = breakerWithClock({ failureThreshold: 1, resetTimeoutMs: 100 });
    breaker.recordFailure();
    clock.now += 100;
    await expect(
      breaker.run(() => Promise.reject(new Error("client aborted")), { isFailure: () => false }),
    ).rejects.toThrow();
    expect(breaker.state).toBe("half-open");
    expect(breaker.canRequest()).toBe(true);
  });

  it("ignores late outcomes while open", () => {
    const { breaker } = breakerWithClock({ failureThreshold: 1, resetTimeoutMs: 100 });
    breaker.recordFailure();
    breaker.recordSuccess();
    expect(breaker.state).toBe("open");
  });

  it("also catches synchronous throws from fn", async () => {
    const { breaker } = breakerWithClock({ failureThreshold: 1 });
    await expect(
      breaker.run(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    expect(breaker.state).toBe("open");
  });

  it("holds no timers and no promises (plain state)", () => {
    vi.useFakeTimers();
    try {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      breaker.recordFailure();
      breaker.canRequest();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(30_000); // the default clock is Date.now, faked here
      expect(breaker.state).toBe("half-open");
    } finally {
      vi.useRealTimers();
    }
  });

  it("validates its options", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ resetTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ halfOpenMaxCalls: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 2.5 })).toThrow(
      "failureThreshold must be a positive integer or Infinity, got 2.5",
    );
    expect(() => new CircuitBreaker({ halfOpenMaxCalls: Number.NaN })).toThrow("got NaN");
  });
});
