import { logEvent, writeMetric } from "@edge-async/http";
import type { Outcome } from "./upstream-fetch.ts";

/**
 * Reports one upstream request once it has ended: an `upstream` log line (origin, method,
 * status, outcome, duration, attempts, cached) and an `upstream` data point, so a slow call shows
 * which upstream the time went to. Only the origin is named, never the path or query (they may
 * carry ids or tokens).
 *
 * Data point: index1 = origin; blob1 = "upstream", blob2 = origin, blob3 = outcome ("ok" or the
 * error code); double1 = duration ms, double2 = attempts, double3 = status (0 without an
 * answer), double4 = 1 when served from the cache.
 */
export function reportUpstream(
  request: { url: URL; method: string },
  outcome: Outcome,
  durationMs: number,
): void {
  const origin = request.url.origin;
  const result = outcome.ok ? "ok" : (outcome.error?.code ?? "http");
  const cached = outcome.cached === true;
  logEvent("upstream", {
    origin,
    method: request.method,
    status: outcome.status ?? null,
    outcome: result,
    durationMs,
    attempts: outcome.attempts,
    cached,
    error: outcome.ok ? undefined : outcome.error?.message,
  });
  writeMetric({
    kind: "upstream",
    index: origin,
    blobs: [origin, result],
    doubles: [durationMs, outcome.attempts, outcome.status ?? 0, cached ? 1 : 0],
  });
}
