import { linkedController } from "@edge-async/async-utils";
import { jsonBody, NDJSON_HEADERS, ndjsonStream, wantsNdjson } from "@edge-async/http";
import type { Context } from "hono";
import { type CallPlan, runCall } from "../aggregate.ts";
import type { AggregatorApp, Config } from "../config.ts";
import { planAggregate } from "../plan.ts";
import { type AggregateRequest, aggregateRequestSchema } from "../schemas.ts";
import { serverTiming } from "../server-timing.ts";

type AggregateBody = ReturnType<
  typeof jsonBody<typeof aggregateRequestSchema, AggregatorApp, "/v1/aggregate">
>;

/** Validates the body of `POST /v1/aggregate`, with the byte limit from configuration. */
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
 */
export async function aggregateHandler(c: AggregateContext): Promise<Response> {
  const config = c.var.config;
  const plan = planAggregate(c.req.valid("json"), config);
  if (wantsNdjson(c.req.header("accept"))) return streamCall(c, plan, config);
  const report = await runCall(plan, config, { signal: c.req.raw.signal });
  return c.json({ results: report.results, summary: report.summary }, 200, {
    "server-timing": serverTiming(report.summary.durationMs, report.slowest),
    "cache-control": "no-store",
  });
}

/**
 * The NDJSON answer: one line per result as it finishes, then the summary. The call stops as soon
 * as the client goes away, whether the runtime reports that by aborting the request's signal or
 * by cancelling the response stream.
 */
function streamCall(c: Context, plan: CallPlan, config: Config): Response {
  const call = linkedController(c.req.raw.signal);
  const finished = Promise.withResolvers<void>();
  const body = ndjsonStream(
    async (write) => {
      try {
        const report = await runCall(plan, config, {
          signal: call.signal,
          onResult: async (result, index) => {
            await write({ index, ...result });
          },
        });
        await write({ summary: report.summary });
      } catch (error) {
        console.error("fetch-aggregator: NDJSON producer failed", error);
        throw error;
      } finally {
        call.dispose();
        finished.resolve();
      }
    },
    { onCancel: (reason) => call.controller.abort(reason) },
  );
  keepAlive(c, finished.promise);
  return new Response(body, { headers: { ...NDJSON_HEADERS } });
}

/** Keeps the isolate serving the stream until the producer is done (no-op outside Workers). */
function keepAlive(c: Context, done: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // app.request() in unit tests has no execution context; the stream still completes.
  }
}
