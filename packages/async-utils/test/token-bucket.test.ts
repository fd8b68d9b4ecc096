import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TokenBucket, type TokenBucketOptions } from "../src/token-bucket.ts";

function manualClock(start = 0) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe("TokenBucket without waiting (injected clock)", () => {
  it("starts full and refuses once empty", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1, now: clock.read });
    expect(bucket.available).toBe(3);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it("refills lazily from the clock, never above capacity", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ capacity: 4, refillPerSecond: 2, now: clock.read });
    expect(bucket.tryTake(4)).toBe(true);
    clock.now = 500;
    expect(bucket.available).toBe(1);
    expect(bucket.tryTake(2)).toBe(false);
    clock.now = 1_000;
    expect(bucket.tryTake(2)).toBe(true);
    clock.now = 60_000;
    expect(bucket.available).toBe(4);
  });

  it("honours initialTokens and validates its options", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({
      capacity: 5,
      refillPerSecond: 1,
      initialTokens: 0,
      now: clock.read,
    });
    expect(bucket.tryTake()).toBe(false);
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: -1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ refillPerSecond: 1 } as TokenBucketOptions)).toThrow(
      "capacity must be a positive number or Infinity, got undefined",
    );
    expect(() => new TokenBucket({ capacity: 1 } as TokenBucketOptions)).toThrow(
      "refillPerSecond must be a non-negative number or Infinity, got undefined",
    );
    expect(new TokenBucket({ capacity: 2.5, refillPerSecond: 0 }).capacity).toBe(2.5);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 1, initialTokens: 2 })).toThrow(
      RangeError,
    );
  });

  it("rejects a request larger than capacity, which could never be granted", async () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1 });
    expect(() => bucket.tryTake(3)).toThrow(RangeError);
    await expect(bucket.take(3)).rejects.toBeInstanceOf(RangeError);
    await expect(bucket.take(-1)).rejects.toBeInstanceOf(RangeError);
  });

  it("ignores a clock that goes backwards instead of minting tokens", () => {
    const clock = manualClock(10_000);
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: clock.read });
    bucket.tryTake(2);
    clock.now = 5_000;
    expect(bucket.available).toBe(0);
    clock.now = 6_000;
    expect(bucket.available).toBe(1);
  });

  it("supports Infinity capacity and Infinity refill", () => {
    const unlimited = new TokenBucket({ capacity: Number.POSITIVE_INFINITY, refillPerSecond: 0 });
    for (let i = 0; i < 1_000; i++) expect(unlimited.tryTake(1_000)).toBe(true);
    const clock = manualClock();
    const instant = new TokenBucket({
      capacity: 2,
      refillPerSecond: Number.POSITIVE_INFINITY,
      now: clock.read,
    });
    expect(instant.tryTake(2)).toBe(true);
    expect(instant.tryTake(2)).toBe(true);
  });
});

describe("TokenBucket.take (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves at once while tokens last, then after the refill time", async () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 10 });
    await bucket.take(2);
    let done = false;
    const pending = bucket.take().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(done).toBe(true);
    expect(bucket.available).toBe(0);
  });

  it("grants waiters in FIFO order even when a later one asks for less", async () => {
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1, initialTokens: 0 });
    const order: string[] = [];
    const big = bucket.take(3).then(() => order.push("big"));
    const small = bucket.take(1).then(() => order.push("small"));
    expect(bucket.tryTake(1)).toBe(false); // parked waiters come first
    await vi.advanceTimersByTimeAsync(2_999);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual(["big"]);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([big, small]);
    expect(order).toEqual(["big", "small"]);
  });

  it("keeps a single timer for the head waiter, however many are parked", async () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1, initialTokens: 0 });
    const takes = Array.from({ length: 50 }, () => bucket.take());
    expect(vi.getTimerCount()).toBe(1);
    expect(bucket.waiting).toBe(50);
    await vi.advanceTimersByTimeAsync(50_000);
    await Promise.all(takes);
    expect(bucket.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("an aborted head waiter leaves at once and the next one is rescheduled (or served)", async () => {
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1, initialTokens: 1 });
    const controller = new AbortController();
    const head = bucket.take(5, { signal: controller.signal });
    let servedSmall = false;
    const small = bucket.take(1).then(() => {
      servedSmall = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(servedSmall).toBe(false);
    controller.abort(new Error("no longer needed"));
    await expect(head).rejects.toThrow("no longer needed");
    await small; // one token was there all along: served without waiting for the timer
    expect(servedSmall).toBe(true);
    expect(bucket.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never grants a waiter whose shared signal is aborting, even as the head ahead of it leaves", async () => {
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 1, initialTokens: 2 });
    const shared = new AbortController();
    const big = bucket.take(5, { signal: shared.signal });
    const small = bucket.take(1, { signal: shared.signal }); // grantable once `big` leaves
    shared.abort();
    const outcomes = await Promise.allSettled([big, small]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    expect(bucket.available).toBe(2); // nothing was spent on a cancelled request
  });

  it("rejects at once when the signal was aborted before the call", async () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1 });
    await expect(bucket.take(1, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(bucket.available).toBe(1); // nothing was taken
  });

  it("with refillPerSecond 0, a waiter waits until aborted and holds no timer", async () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 0, initialTokens: 0 });
    const controller = new AbortController();
    const pending = bucket.take(1, { signal: controller.signal });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000_000);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("take(0) resolves without tokens", async () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1, initialTokens: 0 });
    await bucket.take(0);
  });

  it("10,000 aborted waiters leave no waiter and no timer behind", async () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 0.001, initialTokens: 0 });
    const controller = new AbortController();
    const takes = Array.from({ length: 10_000 }, () =>
      bucket.take(1, { signal: controller.signal }),
    );
    controller.abort();
    const outcomes = await Promise.allSettled(takes);
    expect(outcomes.every((outcome) => outcome.status === "rejected")).toBe(true);
    expect(bucket.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("TokenBucket properties", () => {
  it("never grants more than capacity + refill * elapsed in any window (tryTake)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 500 }), fc.double({ min: 0, max: 1, noNaN: true })),
          {
            maxLength: 60,
          },
        ),
        (capacity, refillPerSecond, steps) => {
          const clock = manualClock();
          const bucket = new TokenBucket({ capacity, refillPerSecond, now: clock.read });
          const grants: { at: number; n: number }[] = [];
          for (const [advanceMs, fraction] of steps) {
            clock.now += advanceMs;
            const n = Math.max(1, Math.round(fraction * capacity));
            if (bucket.tryTake(n)) grants.push({ at: clock.now, n });
          }
          assertWithinRate(grants, capacity, refillPerSecond);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never grants more than capacity + refill * elapsed in any window (take, fake timers)", async () => {
    vi.useFakeTimers();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 10 }),
          fc.integer({ min: 1, max: 50 }),
          fc.array(
            fc.tuple(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true })),
            {
              minLength: 1,
              maxLength: 30,
            },
          ),
          async (capacity, refillPerSecond, requests) => {
            const start = Date.now();
            const bucket = new TokenBucket({ capacity, refillPerSecond });
            const grants: { at: number; n: number }[] = [];
            const takes: Promise<void>[] = [];
            for (const [gapMs, fraction] of requests) {
              await vi.advanceTimersByTimeAsync(gapMs);
              const n = Math.max(1, Math.round(fraction * capacity));
              takes.push(
                bucket.take(n).then(() => void grants.push({ at: Date.now() - start, n })),
              );
            }
            const total = requests.reduce(
              (sum, [, f]) => sum + Math.max(1, Math.round(f * capacity)),
              0,
            );
            await vi.advanceTimersByTimeAsync(Math.ceil((total / refillPerSecond) * 1000) + 1000);
            await Promise.all(takes);
            expect(grants.length).toBe(requests.length);
            assertWithinRate(grants, capacity, refillPerSecond);
          },
        ),
        { numRuns: 100 },
      );
    } finally {
      vi.useRealTimers();
    }
  });
});

function assertWithinRate(
  grants: { at: number; n: number }[],
  capacity: number,
  refillPerSecond: number,
): void {
  for (let i = 0; i < grants.length; i++) {
    let granted = 0;
    for (let j = i; j < grants.length; j++) {
      const grant = grants[j] as { at: number; n: number };
      granted += grant.n;
      const elapsedMs = grant.at - (grants[i] as { at: number }).at;
      expect(granted).toBeLessThanOrEqual(capacity + (refillPerSecond * elapsedMs) / 1000 + 1e-9);
    }
  }
}
