import { createApi, jsonResponse, problemResponses } from "@edge-async/http";
import { createRoute } from "@hono/zod-openapi";
import { jobStats } from "../contract.ts";
import { database } from "../db/database.ts";
import { countJobs } from "../db/jobs.ts";
import type { App } from "../env.ts";

const statsRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["stats"],
  summary: "Count jobs by status and type",
  responses: {
    200: jsonResponse(jobStats, "Counts; every status appears, zero or not"),
    ...problemResponses({ 503: "The worker is not configured" }),
  },
});

/** `/v1/stats`: job counts by status and by type. */
export const statsRoutes = createApi<App>().openapi(statsRoute, async (c) =>
  c.json(await countJobs(database(c.env.DB)), 200),
);
