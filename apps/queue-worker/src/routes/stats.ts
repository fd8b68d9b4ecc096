import { Hono } from "hono";
import { database } from "../db/database.ts";
import { jobStats } from "../db/jobs.ts";
import type { Env } from "../env.ts";

/**
 * `/v1/stats`: job counts by status and by type.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { statsRoutes } from "./routes/stats.ts";
 * const app = new Hono().route("/v1/stats", statsRoutes);
 * ```
 */
export const statsRoutes = new Hono<{ Bindings: Env }>().get("/", async (c) =>
  c.json(await jobStats(database(c.env.DB))),
);
