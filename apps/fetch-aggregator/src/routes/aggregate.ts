import { createApi, jsonInput, problemResponses, secureRoute, wantsNdjson } from "@edge-async/http";
import type { MiddlewareHandler } from "hono";
import { plannedSubrequests, runCall } from "../aggregate.ts";
import { NOT_CONFIGURED } from "../config.ts";
import { aggregateLine, aggregateRequest, aggregateResponse, noQuery } from "../contract.ts";
import type { App } from "../env.ts";
import {
  ACCESS_REFUSALS,
  FAN_OUT_LIMITS,
  keyCounter,
  requestLimit,
  reserveSubrequests,
  subrequestBudget,
} from "../limits.ts";
import { planAggregate } from "../plan.ts";
import { serverTiming } from "../server-timing.ts";
import { type CallLines, streamCall } from "../stream.ts";

/** Reads the JSON body under the shared rules, within MAX_REQUEST_BYTES (known only at run time). */
const aggregateInput: MiddlewareHandler<App> = (c, next) =>
  jsonInput({ maxBytes: c.var.config.maxRequestBytes })(c, next);

const header = (description: string) => ({ description, schema: { type: "string" as const } });

const aggregate = secureRoute({
  access: { scope: "aggregate" },
  method: "post",
  path: "/",
  tags: ["aggregate"],
  summary: "Fan one call out to many upstream requests, every result back within a deadline",
  description:
    "Runs the requests concurrently (at most `concurrency` at a time), identical GETs coalesced, each with its timeout, retries and its origin's circuit breaker, all within `deadlineMs`. Failures are results, not a failed call. With `Accept: application/x-ndjson` the results stream out one line each in finish order, then a summary line.",
  // The key's request rate is counted before the body is read; its subrequests once planned.
  middleware: [requestLimit, subrequestBudget, aggregateInput] as const,
  request: {
    query: noQuery,
    body: { required: true, content: { "application/json": { schema: aggregateRequest } } },
  },
  responses: {
    200: {
      description:
        "Every result: as one JSON document in request order, or (Accept: application/x-ndjson) one line per result in finish order, each with its `index`, then a `{summary}` line",
      headers: {
        "Server-Timing": header("The JSON answer's total and slowest request (not on NDJSON)"),
        "Cache-Control": header("`no-store`"),
      },
      content: {
        "application/json": { schema: aggregateResponse },
        "application/x-ndjson": { schema: aggregateLine },
      },
    },
    ...problemResponses({
      400: "The body is not JSON or not UTF-8, a field is invalid (pointer to it), or a limit from configuration is passed (/concurrency, /deadlineMs, /requests/n/retries)",
      413: "More than MAX_REQUESTS requests (pointer /requests), or a body over MAX_REQUEST_BYTES as sent or decoded",
      415: "The body is not application/json, or its Content-Encoding is not gzip, deflate or br",
      ...ACCESS_REFUSALS,
      ...FAN_OUT_LIMITS,
      ...NOT_CONFIGURED,
    }),
  },
});

/** Each result with its position in `requests`, in finish order, then the summary. */
const AGGREGATE_LINES: CallLines = {
  result: (result, index) => ({ index, ...result }),
  last: (report) => ({ summary: report.summary }),
};

/** `/v1/aggregate`: the fan-out (aggregate.ts, upstream-fetch.ts do the work). */
export const aggregateRoutes = createApi<App>().openapi(aggregate, async (c) => {
  const config = c.var.config;
  const plan = planAggregate(c.req.valid("json"), config);
  await reserveSubrequests(c, plannedSubrequests(plan));
  const takeRetry = keyCounter(c);
  // zod-openapi types JSON and text answers only; the NDJSON answer is a plain Response.
  if (wantsNdjson(c.req.header("accept"))) {
    return streamCall(c, plan, config, takeRetry, AGGREGATE_LINES) as never;
  }
  const report = await runCall(plan, config, { signal: c.var.signal, takeRetry });
  return c.json({ results: report.results, summary: report.summary }, 200, {
    "server-timing": serverTiming(report.summary.durationMs, report.slowest),
    "cache-control": "no-store",
  });
});
