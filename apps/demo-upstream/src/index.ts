/**
 * demo-upstream: plays the upstream APIs of fetch-aggregator for local development and the
 * README's examples. Realistic JSON (users, orders, recommendations) plus knobs for the failure
 * modes the gateway handles: latency, status codes, Retry-After, flaky endpoints, large bodies,
 * redirects. It also serves a JSON Feed and a text file for queue-worker's `ingest` and `fetch` jobs.
 * Every wait stops at the caller's `request-timeout-ms`, and `GET /__requests` shows it did.
 *
 * @module
 */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { jsonFeed, order, ordersOf, recommendationsFor, user } from "./data.ts";
import { deadlineAndLog, problem, requestLog } from "./requests.ts";

interface Env {
  /** Latency added to every answer, in milliseconds. */
  LATENCY_MS?: string;
}

const MAX_DELAY_MS = 30_000;
const MAX_LARGE_BYTES = 50 * 1024 * 1024;

/** Failures served so far per flaky key (per isolate; restart `wrangler dev` to reset). */
const flakyCounts = new Map<string, number>();

function clampInt(value: string | undefined, fallback: number, max: number): number {
  const parsed = Number.parseInt(value ?? "", 10);
  return Number.isFinite(parsed) && parsed >= 0 ? Math.min(parsed, max) : fallback;
}

/**
 * A wait in whole milliseconds, 0 to {@link MAX_DELAY_MS}, as plain digits: `1e3` or `-5` is a
 * 400 naming `parameter` rather than some other wait read loosely from it.
 */
function delayMs(value: string | undefined, parameter: string): number | Response {
  if (value === undefined) return 0;
  const ms = /^[0-9]{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (ms >= 0 && ms <= MAX_DELAY_MS) return ms;
  const detail = `must be whole milliseconds from 0 to ${MAX_DELAY_MS} (got ${JSON.stringify(value.slice(0, 32))})`;
  return problem(400, `${parameter} ${detail}`, [{ parameter, detail }]);
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** The answer once a wait was cut short: 504 at the caller's deadline (nobody reads it otherwise). */
function stopped(signal: AbortSignal): Response {
  const deadline = (signal.reason as { name?: unknown } | undefined)?.name === "TimeoutError";
  return Response.json(
    { error: deadline ? "request-timeout-ms ran out" : "the client went away" },
    { status: deadline ? 504 : 499 },
  );
}

/**
 * The worker: every route of the stand-in upstream.
 *
 * @example
 * ```ts
 * import app from "./index.ts";
 * const user = await (await app.request("/users/42")).json();
 * ```
 */
const app = new Hono<{ Bindings: Env; Variables: { signal: AbortSignal } }>()
  // c.var.signal: the client going away or the caller's deadline; each request logged.
  .use(deadlineAndLog)
  // Fixed latency from the var, plus `?delay=ms` on any route.
  .use(async (c, next) => {
    const fixed = clampInt(c.env.LATENCY_MS, 0, MAX_DELAY_MS);
    const extra = delayMs(c.req.query("delay"), "delay");
    if (extra instanceof Response) return extra;
    await wait(fixed + extra, c.var.signal);
    if (c.var.signal.aborted) return stopped(c.var.signal);
    await next();
  })
  .get("/__requests", (c) => c.json(requestLog()))
  .get("/healthz", (c) => c.json({ status: "ok" }))
  .get("/users/:id", (c) => c.json(user(c.req.param("id"))))
  .get("/users/:id/orders", (c) =>
    c.json(ordersOf(c.req.param("id"), clampInt(c.req.query("limit"), 5, 50))),
  )
  .get("/users/:id/recommendations", (c) => c.json(recommendationsFor(c.req.param("id"))))
  .get("/orders/:id", (c) => c.json(order(c.req.param("id"))))
  .get("/delay/:ms", async (c) => {
    const ms = delayMs(c.req.param("ms"), "ms");
    if (ms instanceof Response) return ms;
    await wait(ms, c.var.signal);
    if (c.var.signal.aborted) return stopped(c.var.signal);
    return c.json({ delayedMs: ms });
  })
  // `/status/503?retryAfter=1`: that status, with Retry-After when asked.
  .get("/status/:code", (c) => {
    const code = clampInt(c.req.param("code"), 200, 599);
    const status = Math.max(code, 200) as ContentfulStatusCode;
    const retryAfter = c.req.query("retryAfter");
    if (retryAfter !== undefined) c.header("retry-after", retryAfter);
    return c.json({ status }, status);
  })
  // `/flaky/k?failures=2&status=503&retryAfter=1`: the first `failures` calls per key fail.
  .get("/flaky/:key", (c) => {
    const key = c.req.param("key");
    const failures = clampInt(c.req.query("failures"), 1, 100);
    const seen = flakyCounts.get(key) ?? 0;
    flakyCounts.set(key, seen + 1);
    if (seen < failures) {
      const retryAfter = c.req.query("retryAfter");
      if (retryAfter !== undefined) c.header("retry-after", retryAfter);
      const status = clampInt(c.req.query("status"), 503, 599) as ContentfulStatusCode;
      return c.json({ attempt: seen + 1, failing: true }, status);
    }
    return c.json({ attempt: seen + 1, failing: false });
  })
  // `/large/2000000`: that many bytes of text, streamed.
  .get("/large/:bytes", (c) => {
    const total = clampInt(c.req.param("bytes"), 1024, MAX_LARGE_BYTES);
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        const size = Math.min(chunk.byteLength, total - sent);
        controller.enqueue(chunk.subarray(0, size));
        sent += size;
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  })
  .get("/feed.json", (c) =>
    c.json(jsonFeed(new URL(c.req.url).origin), 200, { "content-type": "application/feed+json" }),
  )
  .get("/hello.txt", (c) => c.text("Hello, edge!\n"))
  .get("/redirect", (c) => c.redirect(c.req.query("to") ?? "/healthz", 302))
  .all("/echo", async (c) =>
    c.json({
      method: c.req.method,
      headers: Object.fromEntries(c.req.raw.headers),
      body: await c.req.text(),
    }),
  );

export default app;
