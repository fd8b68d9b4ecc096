import { CircuitBreaker } from "@edge-async/async-utils";

/** Settings a breaker is built with. */
export interface BreakerSettings {
  failureThreshold: number;
  resetTimeoutMs: number;
}

interface Entry {
  breaker: CircuitBreaker;
  settings: string;
}

/**
 * One breaker per upstream origin, at module scope so its state outlives a request and is shared
 * by every request this isolate serves. `CircuitBreaker` is plain numbers against a clock (no
 * timers, no promises), which is what makes that safe in Workers.
 *
 * Why not a Durable Object: a DO would give one global view per origin, but would put a
 * round-trip to a single location in front of every upstream call, and that round-trip fails
 * exactly when things are already going wrong. A breaker is a load-shedding heuristic; each
 * isolate learning about a dead origin after a handful of failures of its own is good enough.
 */
const breakers = new Map<string, Entry>();

/** Origins tracked at most; the least recently used is forgotten beyond it. */
const MAX_ORIGINS = 1_000;

/**
 * The breaker of `origin`, created on first use. Changed settings (a redeploy with new vars)
 * start the origin afresh.
 */
export function breakerFor(origin: string, settings: BreakerSettings): CircuitBreaker {
  const key = `${settings.failureThreshold}/${settings.resetTimeoutMs}`;
  const entry = breakers.get(origin);
  if (entry !== undefined && entry.settings === key) {
    // Re-insert so the Map's insertion order doubles as recency for the eviction below.
    breakers.delete(origin);
    breakers.set(origin, entry);
    return entry.breaker;
  }
  const breaker = new CircuitBreaker({
    failureThreshold: settings.failureThreshold,
    resetTimeoutMs: settings.resetTimeoutMs,
    halfOpenMaxCalls: 1,
  });
  breakers.delete(origin);
  breakers.set(origin, { breaker, settings: key });
  if (breakers.size > MAX_ORIGINS) {
    const oldest = breakers.keys().next().value;
    if (oldest !== undefined) breakers.delete(oldest);
  }
  return breaker;
}
