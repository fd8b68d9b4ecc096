// What decides, for a closed CircuitBreaker, that the circuit must open: failures in a row, or
// the share of failed calls in a sliding window of time or of calls. Not exported from the package.

import type { CircuitBreakerOptions } from "../circuit-breaker.ts";
import { checkBound, describeValue } from "./concurrency.ts";
import { OutcomeRing, SlidingCounts } from "./sliding-window.ts";

export interface FailurePolicy {
  success(): void;
  /** Records a failure; true when the circuit must open. */
  failure(): boolean;
  reset(): void;
}

const RATE_ONLY = ["failureRate", "minimumCalls", "windowMs", "windowSize"] as const;

export function failurePolicy(options: CircuitBreakerOptions, now: () => number): FailurePolicy {
  const { mode = "consecutive" } = options;
  if (mode === "consecutive") {
    const extra = RATE_ONLY.find((name) => options[name] !== undefined);
    if (extra !== undefined) throw new TypeError(`${extra} applies only to mode "rate"`);
    const threshold = checkBound(options.failureThreshold ?? 5, "failureThreshold");
    let failures = 0;
    return {
      success: () => {
        failures = 0;
      },
      failure: () => ++failures >= threshold,
      reset: () => {
        failures = 0;
      },
    };
  }
  if (mode !== "rate") {
    throw new TypeError(`mode must be "consecutive" or "rate", got ${describeValue(mode)}`);
  }
  if (options.failureThreshold !== undefined) {
    throw new TypeError('failureThreshold applies only to mode "consecutive"');
  }
  const { failureRate = 0.5, minimumCalls = 10, windowMs, windowSize } = options;
  if (!(typeof failureRate === "number" && failureRate > 0 && failureRate <= 1)) {
    throw new RangeError(
      `failureRate must be above 0 and up to 1, got ${describeValue(failureRate)}`,
    );
  }
  checkBound(minimumCalls, "minimumCalls", "positive integer", false);
  if (windowMs !== undefined && windowSize !== undefined) {
    throw new TypeError("give windowMs or windowSize, not both");
  }
  const opens = (calls: number, failures: number): boolean =>
    calls >= minimumCalls && failures >= failureRate * calls;
  if (windowMs !== undefined) {
    // first: successes, second: failures
    const counts = new SlidingCounts(
      checkBound(windowMs, "windowMs", "positive number", false),
      10,
      now,
    );
    return {
      success: () => counts.addFirst(),
      failure: () => {
        counts.addSecond();
        const failures = counts.second;
        return opens(counts.first + failures, failures);
      },
      reset: () => counts.clear(),
    };
  }
  const ring = new OutcomeRing(
    checkBound(windowSize ?? 100, "windowSize", "positive integer", false),
  );
  return {
    success: () => ring.add(false),
    failure: () => {
      ring.add(true);
      return opens(ring.calls, ring.failures);
    },
    reset: () => ring.clear(),
  };
}
