// retry, hedge, CircuitBreaker and TokenBucket: recovery, tail latency and rate.
import assert from "node:assert/strict";
import {
  CircuitBreaker,
  CircuitOpenError,
  hedge,
  isAbortError,
  RetryBudget,
  retry,
  sleep,
  TokenBucket,
} from "../../src/index.ts";
import { describe, flush, it } from "./harness.ts";

describe("retry", () => {
  it("retries with bounded, growing backoff until fn succeeds", async () => {
    const delays: number[] = [];
    const attempts: number[] = [];
    const value = await retry(
      (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error(`attempt ${attempt}`);
        return "ok";
      },
      {
        retries: 5,
        minDelayMs: 1,
        factor: 2,
        jitter: false,
        onRetry: (i) => delays.push(i.delayMs),
      },
    );
    assert.equal(value, "ok");
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(delays, [1, 2]);
  });

  it("rejects with the last error once retries run out or shouldRetry says no", async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        () => {
          calls++;
          throw new Error(`failure ${calls}`);
        },
        { retries: 2, minDelayMs: 0 },
      ),
      (e) => (e as Error).message === "failure 3",
    );
    let fatalCalls = 0;
    await assert.rejects(
      retry(
        () => {
          fatalCalls++;
          throw new TypeError("fatal");
        },
        { shouldRetry: (error) => !(error instanceof TypeError) },
      ),
      TypeError,
    );
    assert.equal(fatalCalls, 1);
  });

  it("aborting during the backoff rejects at once with the reason", async () => {
    const controller = new AbortController();
    const pending = retry(
      () => {
        throw new Error("down");
      },
      { minDelayMs: 60_000, jitter: false, signal: controller.signal },
    );
    await flush();
    controller.abort(new Error("caller"));
    await assert.rejects(pending, (e) => (e as Error).message === "caller");
  });
});

describe("RetryBudget", () => {
  it("allows minRetries plus ratio × calls in the window; retry stops when it is spent", async () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.5, minRetries: 1, windowMs: 1_000, now: () => now });
    for (let i = 0; i < 4; i++) budget.recordCall();
    assert.equal(budget.available, 3);
    let calls = 0;
    await assert.rejects(
      retry(
        () => {
          calls++;
          throw new Error("down");
        },
        { retries: 10, minDelayMs: 0, budget },
      ),
      /down/,
    );
    // One call recorded by retry itself (5 calls: 1 + 2.5 retries), so 3 retries, 4 attempts.
    assert.equal(calls, 4);
    assert.equal(budget.tryRetry(), false);
    now = 2_000; // the window has passed
    assert.equal(budget.tryRetry(), true);
  });
});

describe("hedge", () => {
  it("starts another attempt after delayMs; the first success wins and the rest abort", async () => {
    const reasons: unknown[] = [];
    const winner = await hedge(
      async (signal, attempt) => {
        if (attempt === 2) return "second";
        try {
          await sleep(60_000, { signal });
        } catch (error) {
          reasons.push(error);
          throw error;
        }
        return "first";
      },
      { delayMs: 5, maxAttempts: 3 },
    );
    assert.equal(winner, "second");
    await flush();
    assert.equal(reasons.length, 1);
    assert.ok(isAbortError(reasons[0]));
  });

  it("a failure starts the next attempt at once; all failing gives an AggregateError", async () => {
    const started: number[] = [];
    const pending = hedge(
      async (_signal, attempt) => {
        started.push(attempt);
        throw new Error(`attempt ${attempt}`);
      },
      { delayMs: 60_000, maxAttempts: 3 },
    );
    await assert.rejects(pending, (e) => e instanceof AggregateError && e.errors.length === 3);
    assert.deepEqual(started, [1, 2, 3]);
  });
});

describe("CircuitBreaker", () => {
  it("opens after consecutive failures, probes after the reset timeout, closes on success", async () => {
    let now = 0;
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      resetTimeoutMs: 100,
      now: () => now,
    });
    const fail = (): Promise<never> => Promise.reject(new Error("down"));
    await assert.rejects(breaker.run(fail), /down/);
    assert.equal(breaker.state, "closed");
    await assert.rejects(breaker.run(fail), /down/);
    assert.equal(breaker.state, "open");
    let called = false;
    await assert.rejects(
      breaker.run(() => {
        called = true;
      }),
      (e) => e instanceof CircuitOpenError && e.retryAfterMs === 100,
    );
    assert.equal(called, false);
    now = 100;
    assert.equal(breaker.state, "half-open");
    assert.equal(await breaker.run(() => "probe"), "probe");
    assert.equal(breaker.state, "closed");
  });

  it("isFailure decides which errors count", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const aborted = (): Promise<never> => Promise.reject(AbortSignal.abort().reason);
    await assert.rejects(breaker.run(aborted, { isFailure: (e) => !isAbortError(e) }));
    assert.equal(breaker.canRequest(), true);
    breaker.recordFailure();
    assert.equal(breaker.canRequest(), false);
  });
});

describe("TokenBucket", () => {
  it("allows a burst up to capacity, then refills from the clock", () => {
    let now = 0;
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 10, now: () => now });
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
    now = 100; // one token at 10 per second
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
    assert.throws(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 }), RangeError);
  });

  it("take() waits for the refill, FIFO; an aborted waiter leaves the line", async () => {
    // 50 ms per token: a slow machine cannot refill one between the synchronous takes below.
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 20, initialTokens: 0 });
    const controller = new AbortController();
    const order: string[] = [];
    const first = bucket.take().then(() => order.push("first"));
    const leaving = bucket.take(1, { signal: controller.signal });
    const third = bucket.take().then(() => order.push("third"));
    assert.equal(bucket.waiting, 3);
    controller.abort();
    await assert.rejects(leaving, (e) => isAbortError(e));
    await Promise.all([first, third]);
    assert.deepEqual(order, ["first", "third"]);
    assert.equal(bucket.waiting, 0);
  });
});
