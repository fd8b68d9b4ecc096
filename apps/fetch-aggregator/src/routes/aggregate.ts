import { jsonBody } from "@edge-async/http";
import type { Context } from "hono";
import { runCall } from "../aggregate.ts";
import type { AggregatorApp } from "../config.ts";
import { ndjsonStream, wantsNdjson } from "../ndjson.ts";
import { planAggregate } from "../plan.ts";
import { type AggregateRequest, aggregateRequestSchema } from "../schemas.ts";
import { serverTiming } from "../server-timing.ts";

type AggregateBody = ReturnType<
  typeof jsonBody<typeof aggregateRequestSchema, AggregatorApp, "/v1/aggregate">
>;

/**
 * Validates the body of `POST /v1/aggregate`, with the byte limit from configuration.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { aggregateBody, aggregateHandler } from "./routes/aggregate.ts";
 * import { type AggregatorApp, withConfig } from "./config.ts";
 * const app = new Hono<AggregatorApp>().use(withConfig).post("/v1/aggregate", aggregateBody, aggregateHandler);
 * ```
 */
export const aggregateBody: AggregateBody = (c, next) =>
  jsonBody<typeof aggregateRequestSchema, AggregatorApp, "/v1/aggregate">(aggregateRequestSchema, {
    maxBytes: c.var.config.maxRequestBytes,
  })(c, next);

type AggregateContext = Context<
  AggregatorApp,
  "/v1/aggregate",
  { in: { json: unknown }; out: { json: AggregateRequest } }
>;

/**
 * `POST /v1/aggregate`: runs the call and answers JSON (results in request order, with
 * `Server-Timing`), or with `Accept: application/x-ndjson` streams each result as it finishes
 * followed by a `{"summary": ...}` line.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { aggregateBody, aggregateHandler } from "./routes/aggregate.ts";
 * import { type AggregatorApp, withConfig } from "./config.ts";
 * const app = new Hono<AggregatorApp>().use(withConfig).post("/v1/aggregate", aggregateBody, aggregateHandler);
 * ```
 */
export async function aggregateHandler(c: AggregateContext): Promise<Response> {
  const config = c.var.config;
  const plan = planAggregate(c.req.valid("json"), config);
  const clientSignal = c.req.raw.signal;
  if (wantsNdjson(c.req.header("accept"))) {
    const gone = new AbortController();
    const onClientAbort = () => gone.abort(clientSignal.reason);
    clientSignal.addEventListener("abort", onClientAbort, { once: true });
    const { response, done } = ndjsonStream(async (write) => {
      try {
        const report = await runCall(plan, config, {
          signal: gone.signal,
          onResult: async (result, index) => {
            if (!(await write({ index, ...result }))) gone.abort(new Error("client gone"));
          },
        });
        await write({ summary: report.summary });
      } finally {
        clientSignal.removeEventListener("abort", onClientAbort);
      }
    });
    keepAlive(c, done);
    return response;
  }
  const report = await runCall(plan, config, { signal: clientSignal });
  return c.json({ results: report.results, summary: report.summary }, 200, {
    "server-timing": serverTiming(report.summary.durationMs, report.slowest),
    "cache-control": "no-store",
  });
}

/** Keeps the isolate serving the stream until the producer is done (no-op outside Workers). */
function keepAlive(c: Context, done: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // app.request() in unit tests has no execution context; the stream still completes.
  }
}
