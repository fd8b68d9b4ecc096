import {
  createApi,
  HttpProblem,
  jsonResponse,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { visibleOwner, writeLimit } from "../access.ts";
import { jobIdParam, jobView } from "../contract.ts";
import {
  CANCELLABLE_STATUSES,
  cancelJob,
  type JobChange,
  RETRYABLE_STATUSES,
  requeueJob,
} from "../db/control.ts";
import { database } from "../db/database.ts";
import type { App, Env } from "../env.ts";
import { toJobView } from "../job-view.ts";
import { jobMessage } from "../messages.ts";

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
  request: { params: jobIdParam },
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
  request: { params: jobIdParam },
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

/** `/v1/jobs/{id}/cancel` and `/retry`: job control, each change one conditional UPDATE. */
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
  });
