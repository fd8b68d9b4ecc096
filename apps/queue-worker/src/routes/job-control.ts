import {
  createApi,
  HttpProblem,
  jsonInput,
  jsonResponse,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { visibleOwner, writeLimit } from "../access.ts";
import { bulkRetryRequest, bulkRetryResult } from "../bulk-retry-contract.ts";
import { deliverDueCallbacks } from "../callbacks.ts";
import { noQuery } from "../contract.ts";
import {
  CANCELLABLE_STATUSES,
  cancelJob,
  deleteFinishedJob,
  type JobChange,
  RETRYABLE_STATUSES,
  requeueJob,
  requeueMatching,
} from "../db/control.ts";
import { database } from "../db/database.ts";
import { findJob } from "../db/jobs.ts";
import { FINISHED_STATUSES } from "../db/schema.ts";
import type { App, Env } from "../env.ts";
import { toJobView } from "../job-view.ts";
import { jobIdParam, jobView } from "../jobs-contract.ts";
import { jobMessage } from "../messages.ts";
import { JOB_ID_ROUTING_PATH } from "./jobs.ts";

const controlProblems = {
  400: "The id is not a UUID",
  401: "No credentials, or credentials this worker does not accept (`WWW-Authenticate: Bearer`)",
  403: "The credentials do not grant jobs:write",
  404: "No job of this API key has this id (another key's job reads as missing; any job with `jobs:admin`)",
  429: "Past this API key's request rate (`Retry-After`, `RateLimit`, `RateLimit-Policy`)",
  503: "The worker is not configured",
} as const;

const cancelRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "post",
  path: "/{id}/cancel",
  tags: ["jobs"],
  summary: "Cancel a job that waits to run",
  description:
    "A `queued` job, or a `failed` one waiting for its retry, becomes `cancelled` (final): its message is acked without running when it arrives (200). A `running` job's run is asked to stop: the consumer's heartbeat aborts its signal within a few seconds and the job ends `cancelled` (202). A job of the API key's own (any job with `jobs:admin`).",
  middleware: [writeLimit] as const,
  request: { params: jobIdParam, query: noQuery },
  responses: {
    200: jsonResponse(jobView, "The job, now cancelled"),
    202: jsonResponse(
      jobView,
      "The job is running: its run is asked to stop (its signal aborts within a heartbeat) and it ends cancelled",
    ),
    ...problemResponses({
      ...controlProblems,
      409: "The job is finished (`jobStatus` says how); nothing changed",
    }),
  },
});

const retryRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "post",
  path: "/{id}/retry",
  tags: ["jobs"],
  summary: "Retry a dead or cancelled job",
  description:
    "Puts a `dead` or `cancelled` job back `queued` with fresh attempts (one conditional UPDATE) and sends its message; its runs ledger keeps the old runs. Should the send fail, the job stays queued and the cron sweep sends it. A job of the API key's own (any job with `jobs:admin`).",
  middleware: [writeLimit] as const,
  request: { params: jobIdParam, query: noQuery },
  responses: {
    202: {
      ...jsonResponse(jobView, "The job, queued again"),
      headers: {
        Location: {
          description: "The job's URL, `/v1/jobs/{id}`",
          schema: { type: "string" as const },
        },
      },
    },
    ...problemResponses({
      ...controlProblems,
      409: "The job is not dead or cancelled (`jobStatus` says what it is); nothing changed",
    }),
  },
});

const bulkRetryRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "post",
  path: "/retry",
  tags: ["jobs"],
  summary: "Retry many dead or cancelled jobs",
  description:
    "Puts back `queued`, with fresh attempts, the API key's `dead` and/or `cancelled` jobs (every job's with `jobs:admin`) matching the filter: `type`, `error` (a case-sensitive substring of the last error), `from`/`to` (finishedAt, from inclusive, to exclusive), `status`; oldest finished first, at most `limit`. Each 100 jobs are one D1 batch and one `sendBatch`. `hasMore` says more jobs match: the same call again takes the next ones (retried jobs no longer match). A lost send is left to the cron sweep.",
  middleware: [writeLimit, jsonInput({ maxBytes: 16 * 1024 })] as const,
  request: {
    query: noQuery,
    body: { required: true, content: { "application/json": { schema: bulkRetryRequest } } },
  },
  responses: {
    200: jsonResponse(bulkRetryResult, "The jobs put back (maybe none)"),
    ...problemResponses({
      401: controlProblems[401],
      403: controlProblems[403],
      429: controlProblems[429],
      503: controlProblems[503],
      400: "The body is not valid JSON, gives a member twice, or a filter is invalid (each `errors` entry points at its field); nothing changed",
      413: "The body is larger than 16 KiB",
      415: "The body is not application/json",
    }),
  },
});

const deleteRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "delete",
  path: "/{id}",
  tags: ["jobs"],
  summary: "Delete a finished job",
  description:
    "Deletes a `succeeded`, `dead` or `cancelled` job and its runs ledger (one D1 batch), once its completion callback, if any, is no longer `pending`. A job of the API key's own (any job with `jobs:admin`). Finished jobs are also purged by the cron after `JOB_RETENTION_DAYS`.",
  middleware: [writeLimit] as const,
  request: { params: jobIdParam, query: noQuery },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses({
      ...controlProblems,
      409: "The job is not finished, or its completion callback is still pending (`jobStatus` says what it is); nothing changed",
    }),
  },
});

const jobNotFound = (id: string) =>
  new HttpProblem(404, "job-not-found", "Job not found", { detail: `No job ${id}` });

/** The changed job, or the 404 or 409 (naming the job's status) of a change that did not apply. */
function changedJob(
  id: string,
  change: JobChange | undefined,
  refusal: (status: string) => HttpProblem,
) {
  if (change === undefined) throw jobNotFound(id);
  if (!change.changed) throw refusal(change.job.status);
  return change.job;
}

/** Sends a requeued job's message; a lost send is left to the sweep, since the job is committed. */
async function sendRequeued(env: Env, id: string): Promise<void> {
  try {
    await env.JOBS.send(jobMessage(id), { contentType: "json" });
  } catch (error) {
    console.error(`job ${id}: sending the retried job failed; the sweep will send it`, error);
  }
}

/** Sends up to 100 requeued jobs' messages in one `sendBatch`; a lost send is left to the sweep. */
async function sendRequeuedBatch(env: Env, ids: string[]): Promise<void> {
  try {
    await env.JOBS.sendBatch(
      ids.map((jobId) => ({ body: jobMessage(jobId), contentType: "json" as const })),
    );
  } catch (error) {
    console.error(`sending ${ids.length} retried job(s) failed; the sweep will send them`, error);
  }
}

/**
 * `/v1/jobs/{id}/cancel`, `/{id}/retry`, `/retry` (many) and `DELETE /{id}`: job control, each
 * change a conditional statement.
 */
export const jobControlRoutes = createApi<App>()
  .openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = database(c.env.DB);
    const change = await cancelJob(db, id, visibleOwner(c.var.principal), Date.now());
    if (change === undefined) throw jobNotFound(id);
    const { outcome, job } = change;
    if (outcome === "refused") {
      throw new HttpProblem(409, "job-not-cancellable", "Job cannot be cancelled", {
        detail: `Job ${id} is ${job.status}: only a job that waits to run (${CANCELLABLE_STATUSES.join(" or ")}) or runs can be cancelled`,
        jobStatus: job.status,
      });
    }
    const view = toJobView(job, c.var.config.maxAttempts);
    if (outcome === "cancelled" && job.callbackUrl !== null) {
      // The callback's first try after the answer; the cron retries it if that fails.
      c.executionCtx.waitUntil(
        deliverDueCallbacks(db, c.var.config, { ids: [id] }).catch((error: unknown) =>
          console.error(`job ${id}: delivering its callback failed`, error),
        ),
      );
    }
    return outcome === "cancelled" ? c.json(view, 200) : c.json(view, 202);
  })
  .openapi(retryRoute, async (c) => {
    const { id } = c.req.valid("param");
    const change = await requeueJob(
      database(c.env.DB),
      id,
      visibleOwner(c.var.principal),
      Date.now(),
    );
    const job = changedJob(
      id,
      change,
      (status) =>
        new HttpProblem(409, "job-not-retryable", "Job cannot be retried", {
          detail: `Job ${id} is ${status}: only a ${RETRYABLE_STATUSES.join(" or ")} job can be retried`,
          jobStatus: status,
        }),
    );
    await sendRequeued(c.env, id);
    c.header("location", `/v1/jobs/${id}`);
    return c.json(toJobView(job, c.var.config.maxAttempts), 202);
  })
  .openapi(bulkRetryRoute, async (c) => {
    const body = c.req.valid("json");
    const filter = {
      statuses: body.status ?? RETRYABLE_STATUSES,
      type: body.type,
      error: body.error,
      from: body.from === undefined ? undefined : Date.parse(body.from),
      to: body.to === undefined ? undefined : Date.parse(body.to),
      owner: visibleOwner(c.var.principal),
    };
    const db = database(c.env.DB);
    const ids: string[] = [];
    let hasMore = true;
    while (hasMore && ids.length < body.limit) {
      const page = await requeueMatching(
        db,
        filter,
        Math.min(100, body.limit - ids.length),
        Date.now(),
      );
      ids.push(...page.ids);
      hasMore = page.hasMore;
      if (page.ids.length === 0) break;
      await sendRequeuedBatch(c.env, page.ids);
    }
    return c.json({ retried: ids.length, ids, hasMore }, 200);
  })
  .openapi({ ...deleteRoute, path: JOB_ID_ROUTING_PATH, hide: true }, async (c) => {
    const { id } = c.req.valid("param");
    const outcome = await deleteFinishedJob(database(c.env.DB), id, visibleOwner(c.var.principal));
    if (outcome === "missing") throw jobNotFound(id);
    if (outcome === "callbackPending") {
      const job = await findJob(database(c.env.DB), id);
      throw new HttpProblem(409, "callback-pending", "Callback still pending", {
        detail: `Job ${id} is ${job?.status ?? "finished"} but its completion callback is still pending: it can be deleted once the callback is delivered or given up`,
        jobStatus: job?.status,
      });
    }
    if (outcome === "unfinished") {
      const job = await findJob(database(c.env.DB), id);
      throw new HttpProblem(409, "job-not-finished", "Job is not finished", {
        detail: `Job ${id} is ${job?.status ?? "not finished"}: only a ${FINISHED_STATUSES.join(", ")} job can be deleted`,
        jobStatus: job?.status,
      });
    }
    return c.body(null, 204);
  });

// Declared for the document under its own path (the route above is hidden from it).
const { middleware: _deleteRouting, ...deleteRouteDocument } = deleteRoute;
jobControlRoutes.openAPIRegistry.registerPath(deleteRouteDocument);
