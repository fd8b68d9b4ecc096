import { createApi, jsonResponse, problemResponses, secureRoute } from "@edge-async/http";
import { readLimit, visibleOwner } from "../access.ts";
import { noQuery } from "../contract.ts";
import { database } from "../db/database.ts";
import { countJobs } from "../db/jobs.ts";
import type { App } from "../env.ts";
import { jobStats } from "../jobs-contract.ts";

const statsRoute = secureRoute({
  access: { scope: "jobs:read" },
  method: "get",
  path: "/",
  tags: ["stats"],
  summary: "Count jobs by status and type",
  description: "The API key's own jobs (every job with `jobs:admin`).",
  middleware: [readLimit] as const,
  request: { query: noQuery },
  responses: {
    200: jsonResponse(jobStats, "Counts; every status appears, zero or not"),
    ...problemResponses({
      401: "No credentials, or credentials this worker does not accept (`WWW-Authenticate: Bearer`)",
      403: "The credentials do not grant jobs:read",
      429: "Past this API key's request rate (`Retry-After`, `RateLimit`, `RateLimit-Policy`)",
      503: "The worker is not configured",
    }),
  },
});

/** `/v1/stats`: job counts by status and by type, of the caller's jobs (all of them for an admin). */
export const statsRoutes = createApi<App>().openapi(statsRoute, async (c) =>
  c.json(await countJobs(database(c.env.DB), visibleOwner(c.var.principal)), 200),
);
