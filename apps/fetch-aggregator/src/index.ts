/**
 * fetch-aggregator: one request in, many upstream requests out, concurrently, every result back
 * within a deadline. Routes are wired here; the work lives in the modules named beside them.
 *
 * @module
 */
import { healthCheck, params, problemErrorHandler, problemNotFound, query } from "@edge-async/http";
import { Hono } from "hono";
import { type AggregatorApp, withConfig } from "./config.ts";
import { aggregateBody, aggregateHandler } from "./routes/aggregate.ts";
import { proxyHandler } from "./routes/proxy.ts";
import { listViewsHandler, viewHandler } from "./routes/views.ts";
import { proxyQuerySchema, viewParamsSchema, viewQuerySchema } from "./schemas.ts";

/** The worker: `export default` of a Hono app is the module worker's `fetch` handler. */
const app = new Hono<AggregatorApp>()
  .onError(problemErrorHandler)
  .notFound(problemNotFound)
  .get("/healthz", healthCheck())
  .use("/v1/*", withConfig)
  // Fan-out with deadline, retries, breakers, coalescing, cache: aggregate.ts, upstream-fetch.ts.
  .post("/v1/aggregate", aggregateBody, aggregateHandler)
  // Named compositions from the VIEWS var: views.ts.
  .get("/v1/views", listViewsHandler)
  .get("/v1/views/:name", params(viewParamsSchema), query(viewQuerySchema), viewHandler)
  // One upstream call passed through, the benchmark's baseline: proxy.ts.
  .get("/v1/proxy", query(proxyQuerySchema), proxyHandler);

export default app;
