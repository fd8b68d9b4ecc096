import { remainingMs, withTimeout } from "@edge-async/async-utils";
import {
  checkTarget,
  declaresMoreThan,
  HttpProblem,
  limitedChunks,
  withDeadline,
  withTraceparent,
} from "@edge-async/http";
import { breakerFor } from "./breakers.ts";
import type { Config } from "./config.ts";

/**
 * Passes one upstream GET through: same policy, breaker and timeout as an aggregate call, but no
 * retries, no buffering and no JSON envelope. It is the single-call baseline of the benchmark,
 * and handy for checking what the gateway sees of one upstream. `beforeFetch` runs once the
 * target is allowed, before the circuit is asked (it counts the subrequest, and may refuse).
 * `signal` is the request's (`c.var.signal`): the upstream is told what is left of its deadline.
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
  const budgetMs = Math.min(
    remainingMs(signal) ?? Number.POSITIVE_INFINITY,
    config.defaultTimeoutMs,
  );
  // The request id (traceparent) and what is left of the budget go with the proxied fetch.
  const outgoing = withDeadline(withTraceparent(), budgetMs);
  try {
    upstream = await withTimeout(
      (attemptSignal) =>
        fetch(url, { signal: attemptSignal, redirect: "manual", headers: outgoing }),
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
  if (declaresMoreThan(upstream.headers, config.maxBodyBytes)) {
    await upstream.body?.cancel();
    throw new HttpProblem(502, "too_large", "Upstream answer too large", {
      detail: `The upstream announces more than MAX_BODY_BYTES (${config.maxBodyBytes} bytes).`,
    });
  }
  const headers = new Headers();
  // Not Cache-Control: the answer to an authenticated call is `no-store` (set by the access check).
  for (const name of ["content-type", "etag", "last-modified", "retry-after"]) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // A redirect is passed on, not followed: its Location made absolute against the upstream URL,
  // since the client would resolve a relative one against the gateway.
  const location = upstream.headers.get("location");
  if (location !== null && URL.canParse(location, url)) {
    headers.set("location", new URL(location, url).href);
  }
  return new Response(cappedBody(upstream.body, config.maxBodyBytes, signal), {
    status: upstream.status,
    headers,
  });
}

/**
 * The upstream body, streamed, but cut (the stream errors, so the client sees a broken transfer,
 * never a silently short one) once it passes `maxBytes`: MAX_BODY_BYTES holds here as in an
 * aggregate call.
 */
function cappedBody(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  signal: AbortSignal,
): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  const chunks = limitedChunks(body, maxBytes, { signal });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return();
    },
  });
}
