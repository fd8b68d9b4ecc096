/**
 * paginated-feed: a D1 feed served by signed keyset cursors, with idempotent batch ingest and a
 * streaming NDJSON export. Routes are wired here; each lives in its own module.
 *
 * @module
 */
import { healthCheck, problemErrorHandler, problemNotFound } from "@edge-async/http";
import { Hono } from "hono";
import type { FeedApp } from "./env.ts";
import { benchRoutes } from "./routes/bench-routes.ts";
import { exportItems } from "./routes/export-items.ts";
import { getItem } from "./routes/get-item.ts";
import { ingestItems } from "./routes/ingest-items.ts";
import { listItems } from "./routes/list-items.ts";

const app = new Hono<FeedApp>()
  .onError(problemErrorHandler)
  .notFound(problemNotFound)
  .get(
    "/healthz",
    healthCheck<FeedApp>("database", (c) => c.env.DB.prepare("select 1").first()),
  )
  .route("/v1/items", listItems)
  .route("/v1/items", ingestItems)
  // Before /:id, which would otherwise take "export" for an id.
  .route("/v1/items", exportItems)
  .route("/v1/items", getItem)
  .route("/__bench", benchRoutes);

/**
 * The app's type, for Hono RPC clients.
 *
 * @example
 * ```ts
 * import { hc } from "hono/client";
 * const rpc = hc<FeedAppType>("http://127.0.0.1:8788");
 * ```
 */
export type FeedAppType = typeof app;

export default app;
