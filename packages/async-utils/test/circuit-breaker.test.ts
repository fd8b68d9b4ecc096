import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { CircuitBreaker, CircuitOpenError, type CircuitState } from "../src/circuit-breaker.ts";

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

describe("CircuitBreaker rate mode", () => {
  it("opens once failureRate of at least minimumCalls calls in the last windowSize failed", () => {
    const { breaker } = breakerWithClock({
      mode: "rate",
      windowSize: 10,
      minimumCalls: 4,
      failureRate: 0.5,
    });
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed"); // 3 calls: below minimumCalls
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordFailure(); // 4 of 8
    expect(breaker.state).toBe("open");
  });

  it("old outcomes leave a count window, so a burst long ago does not count", () => {
    const { breaker } = breakerWithClock({
      mode: "rate",
      windowSize: 4,
      minimumCalls: 4,
      failureRate: 0.75,
    });
    breaker.recordFailure();
    breaker.recordFailure();
    for (let i = 0; i < 4; i++) breaker.recordSuccess(); // the failures slide out
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed"); // 2 of the last 4
    breaker.recordFailure();
    expect(breaker.state).toBe("open"); // 3 of the last 4
  });

  it("old outcomes leave a time window", () => {
    const { breaker, clock } = breakerWithClock({
      mode: "rate",
      windowMs: 1_000,
      minimumCalls: 2,
      failureRate: 1,
    });
    breaker.recordFailure();
    clock.now += 1_000;
    breaker.recordFailure();
    expect(breaker.state).toBe("closed"); // the first failure left the window
    clock.now += 500;
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
  });

  it("probes as in consecutive mode, and starts with an empty window after closing", () => {
    const { breaker, clock } = breakerWithClock({
      mode: "rate",
      windowSize: 10,
      minimumCalls: 2,
      failureRate: 0.5,
      resetTimeoutMs: 100,
    });
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    clock.now += 100;
    expect(breaker.canRequest()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe("closed");
    breaker.recordFailure(); // 1 of 1: below minimumCalls, the old failures are gone
    expect(breaker.state).toBe("closed");
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
  });

  it("defaults: a window of 100 calls, 10 calls minimum, 50%", () => {
    const { breaker } = breakerWithClock({ mode: "rate" });
    for (let i = 0; i < 9; i++) breaker.recordFailure();
    expect(breaker.state).toBe("closed");
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
  });

  it("refuses options of the other mode and bad values, naming them", () => {
    expect(() => new CircuitBreaker({ windowMs: 1_000 })).toThrow(
      'windowMs applies only to mode "rate"',
    );
    expect(() => new CircuitBreaker({ mode: "rate", failureThreshold: 3 })).toThrow(
      'failureThreshold applies only to mode "consecutive"',
    );
    expect(() => new CircuitBreaker({ mode: "rate", windowMs: 10, windowSize: 10 })).toThrow(
      "give windowMs or windowSize, not both",
    );
    expect(() => new CircuitBreaker({ mode: "sliding" as "rate" })).toThrow(
      'mode must be "consecutive" or "rate", got "sliding"',
    );
    expect(() => new CircuitBreaker({ mode: "rate", failureRate: 0 })).toThrow(
      "failureRate must be above 0 and up to 1, got 0",
    );
    expect(() => new CircuitBreaker({ mode: "rate", minimumCalls: 0 })).toThrow(
      "minimumCalls must be a positive integer, got 0",
    );
    expect(() => new CircuitBreaker({ mode: "rate", windowSize: 2.5 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ mode: "rate", windowMs: -1 })).toThrow(RangeError);
  });

  it("property: opens exactly when the last windowSize outcomes reach minimumCalls and failureRate", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0.1, 0.25, 0.5, 0.75, 1),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (windowSize, minimumCalls, failureRate, outcomes) => {
          const { breaker } = breakerWithClock({
            mode: "rate",
            windowSize,
            minimumCalls,
            failureRate,
          });
          const seen: boolean[] = [];
          for (const failed of outcomes) {
            if (failed) breaker.recordFailure();
            else breaker.recordSuccess();
            seen.push(failed);
            const window = seen.slice(-windowSize);
            const failures = window.filter(Boolean).length;
            const shouldOpen =
              failed && window.length >= minimumCalls && failures >= failureRate * window.length;
            expect(breaker.state).toBe(shouldOpen ? "open" : "closed");
            if (shouldOpen) return; // from here on it is the probing cycle's business
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("CircuitBreaker onStateChange", () => {
  it("tells every change of state, the half-open one when next consulted", async () => {
    const changes: string[] = [];
    const { breaker, clock } = breakerWithClock({
      failureThreshold: 1,
      resetTimeoutMs: 100,
      onStateChange: (from, to) => changes.push(`${from}->${to}`),
    });
    breaker.recordSuccess();
    expect(changes).toEqual([]);
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(changes).toEqual(["closed->open"]);
    clock.now += 100;
    expect(changes).toEqual(["closed->open"]); // no timer: nobody looked yet
    expect(breaker.canRequest()).toBe(true);
    expect(changes).toEqual(["closed->open", "open->half-open"]);
    breaker.recordFailure();
    clock.now += 100;
    await expect(breaker.run(() => "probe ok")).resolves.toBe("probe ok");
    expect(changes).toEqual([
      "closed->open",
      "open->half-open",
      "half-open->open",
      "open->half-open",
      "half-open->closed",
    ]);
  });

  it("sees the new state from inside the callback", () => {
    const seen: CircuitState[] = [];
    const breaker: CircuitBreaker = new CircuitBreaker({
      failureThreshold: 1,
      onStateChange: () => seen.push(breaker.state),
    });
    breaker.recordFailure();
    expect(seen).toEqual(["open"]);
  });

  it("a callback that throws does not disturb the breaker; its error is reported later", () => {
    const reported: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, "queueMicrotask").mockImplementation((callback) => {
      reported.push(callback);
    });
    try {
      const breaker = new CircuitBreaker({
        failureThreshold: 1,
        onStateChange: () => {
          throw new Error("listener bug");
        },
      });
      expect(() => breaker.recordFailure()).not.toThrow();
      expect(breaker.state).toBe("open");
    } finally {
      spy.mockRestore();
    }
    expect(reported).toHaveLength(1);
    expect(() => reported[0]?.()).toThrow("listener bug");
  });
});
