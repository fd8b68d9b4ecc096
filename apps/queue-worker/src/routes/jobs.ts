import { HttpProblem, jsonBody, params, query } from "@edge-async/http";
import { createCursorCodec, pageParams, pageResponse } from "@edge-async/pagination";
import { Hono } from "hono";
import * as z from "zod";
import { readConfig } from "../config.ts";
import { database } from "../db/database.ts";
import { findJob, type ListPosition, listJobs } from "../db/jobs.ts";
import type { Env } from "../env.ts";
import { toJobView } from "../job-view.ts";
import { enqueueJobs } from "../producer.ts";
import { enqueueBatchRequest, enqueueRequest, jobIdParam, listFilters } from "./schemas.ts";

const listQuery = z.object({ ...listFilters, ...pageParams({ defaultLimit: 20, maxLimit: 100 }) });
const positionSchema = z.tuple([z.number().int(), z.string()]);

/**
 * `/v1/jobs`: enqueue one job or a batch, read a job, list jobs (newest first, signed cursors
 * bound to the filters).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { jobRoutes } from "./routes/jobs.ts";
 * const app = new Hono().route("/v1/jobs", jobRoutes);
 * ```
 */
export const jobRoutes = new Hono<{ Bindings: Env }>()
  .post("/", jsonBody(enqueueRequest, { maxBytes: 256 * 1024 }), async (c) => {
    const config = readConfig(c.env);
    const [entry] = await enqueueJobs(c.env, database(c.env.DB), config, [c.req.valid("json")]);
    const { job, created } = entry!;
    c.header("location", `/v1/jobs/${job.id}`);
    if (created) return c.json({ id: job.id, status: job.status }, 202);
    c.header("idempotent-replayed", "true");
    return c.json(toJobView(job, config.maxAttempts), 200);
  })
  .post("/batch", jsonBody(enqueueBatchRequest, { maxBytes: 1024 * 1024 }), async (c) => {
    const config = readConfig(c.env);
    const entries = await enqueueJobs(c.env, database(c.env.DB), config, c.req.valid("json").jobs, {
      pointerPrefix: (index) => `/jobs/${index}`,
    });
    const jobs = entries.map(({ job, created }) => ({ id: job.id, status: job.status, created }));
    return c.json({ jobs }, entries.some((entry) => entry.created) ? 202 : 200);
  })
  .get("/", query(listQuery), async (c) => {
    const config = readConfig(c.env);
    const { status, type, limit, cursor } = c.req.valid("query");
    if (config.cursorSecret === undefined) {
      throw new HttpProblem(503, "listing-not-configured", "Listing not configured", {
        detail: "CURSOR_SECRET is not set; run `wrangler secret put CURSOR_SECRET`.",
      });
    }
    const cursors = createCursorCodec({
      secret: config.cursorSecret,
      purpose: "queue-worker.jobs",
      schema: positionSchema,
    });
    const filters = { status, type };
    const after: ListPosition | undefined =
      cursor === undefined ? undefined : await cursors.decode(cursor, filters);
    const rows = await listJobs(database(c.env.DB), filters, limit, after);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last !== undefined
        ? await cursors.encode([last.createdAt, last.id], filters)
        : null;
    return pageResponse(c, {
      items: page.map((row) => toJobView(row, config.maxAttempts)),
      nextCursor,
    });
  })
  .get("/:id", params(jobIdParam), async (c) => {
    const config = readConfig(c.env);
    const { id } = c.req.valid("param");
    const job = await findJob(database(c.env.DB), id);
    if (job === undefined) {
      throw new HttpProblem(404, "job-not-found", "Job not found", { detail: `No job ${id}` });
    }
    return c.json(toJobView(job, config.maxAttempts));
  });
