import { healthCheck, problemErrorHandler, problemNotFound } from "@edge-async/http";
import { Hono } from "hono";
import { consumeJobs } from "./consumer.ts";
import { handleDeadLetters } from "./dead-letter.ts";
import type { Env } from "./env.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { statsRoutes } from "./routes/stats.ts";

/**
 * queue-worker: an HTTP API that enqueues jobs (producer) and the Queues consumer that runs them,
 * job state in D1. See README.md for the lifecycle and its guarantees.
 *
 * @example
 * ```sh
 * curl -X POST localhost:8789/v1/jobs -H 'content-type: application/json' \
 *   -d '{"type":"simulate","payload":{"durationMs":100,"failureRate":0.3}}'
 * ```
 */
export const app = new Hono<{ Bindings: Env }>()
  .onError(problemErrorHandler)
  .notFound(problemNotFound)
  .get(
    "/healthz",
    healthCheck<{ Bindings: Env }>("database", (c) => c.env.DB.prepare("select 1").first()),
  )
  .route("/v1/jobs", jobRoutes)
  .route("/v1/stats", statsRoutes);

/** Both consumers live here; the batch's queue name says which one runs. */
async function queue(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx?: ExecutionContext,
): Promise<void> {
  if (batch.queue === env.DEAD_LETTER_QUEUE) await handleDeadLetters(batch, env);
  else await consumeJobs(batch, env);
}

export default { fetch: app.fetch, queue } satisfies ExportedHandler<Env, unknown>;
