import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { failureKind, isRetryableStatus, retryClassifier, retryDelay } from "../src/index.ts";

const statusError = (status: number, retryAfterMs?: number) =>
  Object.assign(new Error(`answered ${status}`), { status, retryAfterMs });

class RefusedError extends Error {}

describe("failureKind", () => {
  it("tells aborts, final errors, answers and transport failures apart", () => {
    const isFinal = (error: unknown) => error instanceof RefusedError;
    expect(failureKind(new DOMException("stop", "AbortError"), isFinal)).toBe("aborted");
    expect(failureKind(Object.assign(new Error("x"), { name: "AbortError" }))).toBe("aborted");
    expect(failureKind(new RefusedError("no"), isFinal)).toBe("final");
    expect(failureKind(statusError(503), isFinal)).toBe("status");
    expect(failureKind(new DOMException("late", "TimeoutError"))).toBe("transport");
    expect(failureKind(new TypeError("Network connection lost"))).toBe("transport");
    expect(failureKind(new Error("internal error"))).toBe("transport");
    expect(failureKind("a thrown string")).toBe("transport");
    expect(failureKind(undefined)).toBe("transport");
  });

  it("lets an abort win over the caller's final errors", () => {
    const abort = new DOMException("stop", "AbortError");
    expect(failureKind(abort, () => true)).toBe("aborted");
  });
});

describe("retryClassifier", () => {
  it("retries transport failures and retryable statuses, nothing else", () => {
    const shouldRetry = retryClassifier({ isFinal: (error) => error instanceof RefusedError });
    expect(shouldRetry(new TypeError("fetch failed"))).toBe(true);
    expect(shouldRetry(new DOMException("late", "TimeoutError"))).toBe(true);
    expect(shouldRetry(statusError(503))).toBe(true);
    expect(shouldRetry(statusError(429))).toBe(true);
    expect(shouldRetry(statusError(408))).toBe(true);
    expect(shouldRetry(statusError(404))).toBe(false);
    expect(shouldRetry(statusError(400))).toBe(false);
    expect(shouldRetry(new RefusedError("private address"))).toBe(false);
    expect(shouldRetry(new DOMException("stop", "AbortError"))).toBe(false);
  });

  it("agrees with isRetryableStatus for every status", () => {
    const shouldRetry = retryClassifier();
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        expect(shouldRetry(statusError(status))).toBe(isRetryableStatus(status));
      }),
      { numRuns: 200 },
    );
  });

  it("gives up when Retry-After asks for more than the caller can wait", () => {
    const shouldRetry = retryClassifier({ maxDelayMs: 5_000 });
    expect(shouldRetry(statusError(503, 5_000))).toBe(true);
    expect(shouldRetry(statusError(503, 5_001))).toBe(false);
    expect(shouldRetry(Object.assign(new Error("busy"), { retryAfterMs: 60_000 }))).toBe(false);
    expect(retryClassifier()(statusError(503, 3_600_000))).toBe(true);
  });

  it("reads a function maxDelayMs at each decision (time left to a deadline)", () => {
    let left = 1_000;
    const shouldRetry = retryClassifier({ maxDelayMs: () => left });
    expect(shouldRetry(statusError(429, 800))).toBe(true);
    left = 500;
    expect(shouldRetry(statusError(429, 800))).toBe(false);
  });

  it("ignores a retryAfterMs that is not a number", () => {
    const shouldRetry = retryClassifier({ maxDelayMs: 10 });
    expect(shouldRetry(Object.assign(new Error("x"), { retryAfterMs: "soon" }))).toBe(true);
  });
});

describe("retryDelay", () => {
  it("lengthens the backoff to Retry-After, capped", () => {
    expect(retryDelay(300, undefined, 5_000)).toBe(300);
    expect(retryDelay(300, 100, 5_000)).toBe(300);
    expect(retryDelay(300, 2_000, 5_000)).toBe(2_000);
    expect(retryDelay(300, 60_000, 5_000)).toBe(5_000);
    expect(retryDelay(7, 3, 10)).toBe(7);
  });

  it("is never above the cap, nor below the backoff or the hint unless the cap is", () => {
    fc.assert(
      fc.property(
        fc.nat(100_000),
        fc.option(fc.nat(100_000), { nil: undefined }),
        fc.nat(100_000),
        (backoff, hint, cap) => {
          const delay = retryDelay(backoff, hint, cap);
          expect(delay).toBeLessThanOrEqual(cap);
          expect(delay).toBeGreaterThanOrEqual(Math.min(cap, backoff));
          expect(delay).toBeGreaterThanOrEqual(Math.min(cap, hint ?? 0));
          expect([backoff, hint, cap]).toContain(delay);
        },
      ),
      { numRuns: 200 },
    );
  });
});
