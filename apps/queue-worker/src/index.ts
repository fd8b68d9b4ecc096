import { ACCESS_SECURITY_SCHEMES, createWorkerApi, serviceRoutes } from "@edge-async/http";
import packageJson from "../package.json" with { type: "json" };
import { parseConfig } from "./config.ts";
import { consumeJobs } from "./consumer.ts";
import { database } from "./db/database.ts";
import { handleDeadLetters } from "./dead-letter.ts";
import type { App, Env } from "./env.ts";
import { runJobUpkeep } from "./maintenance.ts";
import { groupRoutes } from "./routes/groups.ts";
import { jobControlRoutes } from "./routes/job-control.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { scheduleRoutes } from "./routes/schedules.ts";
import { statsRoutes } from "./routes/stats.ts";
import { runDueSchedules } from "./schedules-run.ts";
import { sweepUnsentJobs } from "./sweep.ts";

/**
 * queue-worker: an HTTP API that enqueues jobs (producer) and the Queues consumer that runs them,
 * job state in D1. This file is the table of contents; see README.md for the lifecycle.
 */
// Security headers, CORS from CORS_ORIGINS (none by default), the vars parsed once per isolate.
export const app = createWorkerApi<App>(parseConfig);
app
  .route("/v1/jobs", jobRoutes)
  .route("/v1/jobs", jobControlRoutes)
  .route("/v1/groups", groupRoutes)
  .route("/v1/schedules", scheduleRoutes)
  .route("/v1/stats", statsRoutes);
serviceRoutes(
  app,
  {
    name: "queue-worker",
    version: packageJson.version,
    description:
      "A job system on Cloudflare Queues: this worker enqueues jobs (D1 first, then the queue) and runs them as the queue's consumer, at least once delivered, effectively once run, with retries, backoff and a dead-letter queue.",
    tags: [
      { name: "jobs", description: "Enqueue jobs, read them, list them" },
      {
        name: "groups",
        description: "Groups of jobs: failFast or settle, followed as they finish",
      },
      { name: "schedules", description: "Jobs enqueued on a cron schedule" },
      { name: "stats", description: "Job counts" },
    ],
    securitySchemes: ACCESS_SECURITY_SCHEMES,
  },
  { dependency: "database", probe: (c) => c.env.DB.prepare("select 1").first() },
);

/** Both consumers live here; the batch's queue name says which one runs. */
async function queue(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx?: ExecutionContext,
): Promise<void> {
  if (batch.queue === env.DEAD_LETTER_QUEUE) await handleDeadLetters(batch, env);
  else await consumeJobs(batch, env);
}

/**
 * The cron trigger, every minute: enqueues the due runs of schedules (src/schedules-run.ts), then
 * sends the messages of jobs recorded but never handed to the queue. Each runs even if the other
 * fails; the invocation then fails with the first error, so the trigger's log shows it.
 */
async function scheduled(
  _controller: ScheduledController,
  env: Env,
  _ctx?: ExecutionContext,
): Promise<void> {
  const db = database(env.DB);
  const results = [
    await runDueSchedules(env, db, parseConfig(env)).then(
      () => undefined,
      (error: unknown) => ({ error }),
    ),
    await sweepUnsentJobs(env, db).then(
      () => undefined,
      (error: unknown) => ({ error }),
    ),
    // Parked jobs coming due, completion callbacks, the retention purge (src/maintenance.ts).
    await runJobUpkeep(env, db, parseConfig(env)).then(([error]) =>
      error === undefined ? undefined : { error },
    ),
  ];
  const failed = results.find((result) => result !== undefined);
  if (failed !== undefined) throw failed.error;
}

export default { fetch: app.fetch, queue, scheduled } satisfies ExportedHandler<Env, unknown>;
