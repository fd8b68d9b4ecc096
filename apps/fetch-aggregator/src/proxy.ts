import { withTimeout } from "@edge-async/async-utils";
import { checkTarget, HttpProblem } from "@edge-async/http";
import { breakerFor } from "./breakers.ts";
import type { Config } from "./config.ts";

/**
 * Passes one upstream GET through: same policy, breaker and timeout as an aggregate call, but no
 * retries, no buffering and no JSON envelope. It is the single-call baseline of the benchmark,
 * and handy for checking what the gateway sees of one upstream. `beforeFetch` runs once the
 * target is allowed, before the circuit is asked (it counts the subrequest, and may refuse).
 */
export async function proxyOnce(
  url: URL,
  config: Config,
  signal: AbortSignal,
  beforeFetch: () => Promise<void> = async () => {},
): Promise<Response> {
  const verdict = checkTarget(url, config);
  if (!verdict.allowed) {
    throw new HttpProblem(403, "blocked", "Target refused", { detail: verdict.reason });
  }
  // Before the breaker: a half-open circuit's probe, once claimed, must be reported.
  await beforeFetch();
  const breaker = breakerFor(url.origin, {
    failureThreshold: config.breakerFailureThreshold,
    resetTimeoutMs: config.breakerResetMs,
  });
  if (!breaker.canRequest()) {
    throw new HttpProblem(503, "circuit-open", "Circuit open", {
      detail: `Calls to ${url.origin} are paused after repeated failures.`,
    });
  }
  let upstream: Response;
  try {
    upstream = await withTimeout(
      (attemptSignal) => fetch(url, { signal: attemptSignal, redirect: "manual" }),
      config.defaultTimeoutMs,
      { signal },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    breaker.recordFailure();
    const timedOut = (error as { name?: string }).name === "TimeoutError";
    throw new HttpProblem(
      timedOut ? 504 : 502,
      timedOut ? "timeout" : "network",
      timedOut ? "Upstream timed out" : "Upstream unreachable",
      {
        detail: error instanceof Error ? error.message : String(error),
      },
    );
  }
  if (upstream.status >= 500) breaker.recordFailure();
  else breaker.recordSuccess();
  const headers = new Headers();
  // Not Cache-Control: the answer to an authenticated call is `no-store` (set by the access check).
  for (const name of ["content-type", "etag", "last-modified", "retry-after"]) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
}
