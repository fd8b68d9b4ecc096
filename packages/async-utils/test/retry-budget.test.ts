import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { retry } from "../src/retry.ts";
import { RetryBudget } from "../src/retry-budget.ts";

function budgetWithClock(options: ConstructorParameters<typeof RetryBudget>[0] = {}) {
  const clock = { now: 0 };
  const budget = new RetryBudget({ ...options, now: () => clock.now });
  return { budget, clock };
}

describe("RetryBudget", () => {
  it("allows minRetries with no traffic, then ratio of the calls made", () => {
    const { budget } = budgetWithClock({ ratio: 0.5, minRetries: 1 });
    expect(budget.available).toBe(1);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    for (let i = 0; i < 4; i++) budget.recordCall();
    expect(budget.available).toBe(2);
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
  });

  it("a denied retry takes nothing from the budget", () => {
    const { budget } = budgetWithClock({ ratio: 1, minRetries: 0 });
    expect(budget.tryRetry()).toBe(false);
    budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
  });

  it("calls and retries leave the window as time moves on", () => {
    const { budget, clock } = budgetWithClock({ ratio: 0.1, minRetries: 0, windowMs: 1_000 });
    for (let i = 0; i < 30; i++) budget.recordCall();
    expect(budget.available).toBe(3);
    budget.tryRetry();
    budget.tryRetry();
    clock.now = 999;
    expect(budget.available).toBe(1);
    clock.now = 1_000; // the slice holding everything leaves whole
    expect(budget.available).toBe(0);
    budget.recordCall();
    expect(budget.tryRetry()).toBe(false);
    for (let i = 0; i < 9; i++) budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    clock.now = 100_000; // long idle: a fresh window
    expect(budget.available).toBe(0);
  });

  it("counts a clock that steps back in the newest slice instead of rewinding", () => {
    const { budget, clock } = budgetWithClock({ ratio: 1, minRetries: 0, windowMs: 1_000 });
    clock.now = 5_000;
    budget.recordCall();
    clock.now = 4_000;
    expect(budget.available).toBe(1);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  it("validates its options, naming a bad value", () => {
    expect(() => new RetryBudget({ ratio: 1.5 })).toThrow(
      "ratio must be a number from 0 to 1, got 1.5",
    );
    expect(() => new RetryBudget({ ratio: Number.NaN })).toThrow(RangeError);
    expect(() => new RetryBudget({ minRetries: -1 })).toThrow(
      "minRetries must be a non-negative integer, got -1",
    );
    expect(() => new RetryBudget({ windowMs: 0 })).toThrow(
      "windowMs must be a positive number, got 0",
    );
    expect(() => new RetryBudget({ windowMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    const budget = new RetryBudget();
    expect([budget.ratio, budget.minRetries, budget.windowMs]).toEqual([0.2, 10, 10_000]);
  });

  it("property: a retry is granted exactly when the window's retries stay within minRetries + ratio x calls", () => {
    type Event = { kind: "call" | "retry" | "wait"; ms: number };
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom("call" as const, "retry" as const, "wait" as const),
            ms: fc.integer({ min: 0, max: 400 }),
          }),
          { maxLength: 200 },
        ),
        (ratio, minRetries, events: Event[]) => {
          const windowMs = 1_000;
          const sliceMs = windowMs / 10;
          const { budget, clock } = budgetWithClock({ ratio, minRetries, windowMs });
          const log: { kind: "call" | "retry"; slice: number }[] = [];
          for (const event of events) {
            if (event.kind === "wait") {
              clock.now += event.ms;
              continue;
            }
            const slice = Math.floor(clock.now / sliceMs);
            const inWindow = log.filter((entry) => entry.slice > slice - 10);
            const calls = inWindow.filter((entry) => entry.kind === "call").length;
            const retries = inWindow.length - calls;
            if (event.kind === "call") {
              budget.recordCall();
              log.push({ kind: "call", slice });
            } else {
              const granted = budget.tryRetry();
              expect(granted).toBe(retries + 1 <= minRetries + ratio * calls);
              if (granted) log.push({ kind: "retry", slice });
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("retry with a budget", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("stops retrying with the last error once the shared budget is spent", async () => {
    const budget = new RetryBudget({ ratio: 0, minRetries: 2 });
    const attempts: number[] = [];
    const failing = (name: string) =>
      retry(
        async (attempt) => {
          attempts.push(attempt);
          throw new Error(`${name} ${attempt}`);
        },
        { retries: 5, minDelayMs: 1, jitter: false, budget },
      );
    const first = failing("first");
    const firstFailed = expect(first).rejects.toThrow("first 3");
    await vi.advanceTimersByTimeAsync(10);
    await firstFailed;
    // the budget is shared: the next call gets no retry at all
    const second = failing("second");
    const secondFailed = expect(second).rejects.toThrow("second 1");
    await vi.advanceTimersByTimeAsync(10);
    await secondFailed;
    expect(attempts).toEqual([1, 2, 3, 1]);
  });

  it("counts each call once, so successes earn retries for later failures", async () => {
    const budget = new RetryBudget({ ratio: 0.5, minRetries: 0 });
    for (let i = 0; i < 4; i++) await retry(async () => "ok", { budget });
    expect(budget.available).toBe(2);
    let calls = 0;
    const result = retry(
      async () => {
        calls++;
        if (calls < 3) throw new Error("flaky");
        return "recovered";
      },
      { minDelayMs: 1, jitter: false, budget },
    );
    await vi.advanceTimersByTimeAsync(10);
    await expect(result).resolves.toBe("recovered");
    expect(budget.available).toBe(0);
  });

  it("a refusal from shouldRetry takes nothing from the budget", async () => {
    const budget = new RetryBudget({ ratio: 0, minRetries: 1 });
    await expect(
      retry(
        async () => {
          throw new Error("fatal");
        },
        { budget, shouldRetry: () => false },
      ),
    ).rejects.toThrow("fatal");
    expect(budget.available).toBe(1);
  });
});
