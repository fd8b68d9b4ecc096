import {
  createApi,
  HttpProblem,
  jsonResponse,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { visibleOwner, writeLimit } from "../access.ts";
import { jobIdParam, jobView } from "../contract.ts";
import { CANCELLABLE_STATUSES, cancelJob } from "../db/control.ts";
import { database } from "../db/database.ts";
import type { App } from "../env.ts";
import { toJobView } from "../job-view.ts";

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
    "A `queued` job, or a `failed` one waiting for its retry, becomes `cancelled` (final): its message is acked without running when it arrives. A job of the API key's own (any job with `jobs:admin`).",
  middleware: [writeLimit] as const,
  request: { params: jobIdParam },
  responses: {
    200: jsonResponse(jobView, "The job, now cancelled"),
    ...problemResponses({
      ...controlProblems,
      409: "The job is running or finished (`jobStatus` says which); nothing changed",
    }),
  },
});

const jobNotFound = (id: string) =>
  new HttpProblem(404, "job-not-found", "Job not found", { detail: `No job ${id}` });

/** `/v1/jobs/{id}/cancel`: job control, each change one conditional UPDATE. */
export const jobControlRoutes = createApi<App>().openapi(cancelRoute, async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const change = await cancelJob(db, id, visibleOwner(c.var.principal), Date.now());
  if (change === undefined) throw jobNotFound(id);
  if (!change.changed) {
    const { status } = change.job;
    throw new HttpProblem(409, "job-not-cancellable", "Job cannot be cancelled", {
      detail: `Job ${id} is ${status}: only a job that waits to run (${CANCELLABLE_STATUSES.join(" or ")}) can be cancelled`,
      jobStatus: status,
    });
  }
  return c.json(toJobView(change.job, c.var.config.maxAttempts), 200);
});
