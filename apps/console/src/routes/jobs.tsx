/**
 * The jobs section: live counts, the filtered table with cursor paging, a job's detail with its
 * runs, cancel and retry, the enqueue form, and the finished-per-second chart's data.
 */
import { parseInput } from "@edge-async/http";
import type { Job, NewJob } from "@edge-async/queue-worker/client";
import { type Context, Hono } from "hono";
import * as z from "zod";
import { route } from "../access.ts";
import { jobsClient } from "../clients.ts";
import type { ConsoleEnv } from "../env.ts";
import { throughput } from "../throughput.ts";
import { failureFragment } from "../views/failure.tsx";
import { Counts, JobDetail, JobTable, STATUSES, TYPES } from "../views/jobs.tsx";
import { EnqueueForm, enqueueFields, JobsPage } from "../views/jobs-page.tsx";
import { Layout } from "../views/layout.tsx";
import { describeFailure, etagOf } from "../worker-error.ts";

export const jobRoutes = new Hono<ConsoleEnv>();

const jobs = (c: Context<ConsoleEnv>) => jobsClient(c.env, c.var.session.key);
const signal = (c: Context<ConsoleEnv>) => c.req.raw.signal;

const tableQuery = z.strictObject({
  status: z
    .enum(["", ...STATUSES], { error: `status must be one of ${STATUSES.join(", ")}` })
    .transform((value) => (value === "" ? undefined : value))
    .optional(),
  type: z
    .enum(["", ...TYPES], { error: `type must be one of ${TYPES.join(", ")}` })
    .transform((value) => (value === "" ? undefined : value))
    .optional(),
  cursor: z.string().max(2048, "cursor must be at most 2048 characters").optional(),
});
const throughputQuery = z.strictObject({
  // Digits only: Number() would also take " 5", 0x5, +5, 1e1 and 15.0.
  minutes: z
    .string()
    .regex(/^[0-9]{1,2}$/, "minutes must be a whole number from 1 to 15, in digits")
    .transform(Number)
    .pipe(z.number().min(1, "minutes must be at least 1").max(15, "minutes must be at most 15"))
    .default(5),
});
const jobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a job id is 1-64 letters, digits, - or _");

function filtersOf(c: Context<ConsoleEnv>): URLSearchParams {
  const filters = new URLSearchParams();
  for (const name of ["status", "type"]) {
    const value = c.req.query(name);
    if (value) filters.set(name, value);
  }
  return filters;
}

route(jobRoutes, "GET", "/jobs", "session", async (c) => {
  if (!c.var.session.scopes.jobsRead) {
    return c.html(
      <Layout title="Jobs" section="jobs" signedIn>
        <p role="alert">This key may not read jobs (it lacks the jobs:read scope).</p>
      </Layout>,
      403,
    );
  }
  return c.html(<JobsPage />);
});

route(jobRoutes, "GET", "/jobs/counts", "session", async (c) => {
  try {
    const stats = await jobs(c).stats({ signal: signal(c) });
    const etag = await etagOf(stats);
    c.header("etag", etag);
    c.header("cache-control", "private, no-cache");
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    return c.html(<Counts stats={stats} />);
  } catch (error) {
    return failureFragment(c, error);
  }
});

route(jobRoutes, "GET", "/jobs/table", "session", async (c) => {
  const { status, type, cursor } = parseInput(tableQuery, c.req.query(), "query");
  try {
    const page = await jobs(c).page(
      {
        ...(status ? { status } : {}),
        ...(type ? { type } : {}),
        ...(cursor ? { cursor } : {}),
        limit: 20,
      },
      { signal: signal(c) },
    );
    return c.html(<JobTable page={page} filters={filtersOf(c)} />);
  } catch (error) {
    return failureFragment(c, error);
  }
});

route(jobRoutes, "GET", "/jobs/throughput.json", "session", async (c) => {
  const { minutes } = parseInput(throughputQuery, c.req.query(), "query");
  return c.json(await throughput(jobs(c), minutes, Date.now(), signal(c)));
});

route(jobRoutes, "POST", "/jobs", "session", async (c) => {
  const fields = enqueueFields.safeParse(await c.req.parseBody());
  if (!fields.success) {
    const issue = fields.error.issues[0];
    return c.html(
      <EnqueueForm error={`${issue?.path.join(".") ?? "form"}: ${issue?.message ?? "invalid"}`} />,
      400,
    );
  }
  const job: NewJob =
    fields.data.type === "fetch"
      ? { type: "fetch", payload: { url: fields.data.url ?? "" } }
      : {
          type: "simulate",
          payload: { durationMs: fields.data.durationMs, failureRate: fields.data.failureRate },
        };
  try {
    const enqueued = await jobs(c).enqueue(job, { signal: signal(c) });
    return c.html(<EnqueueForm enqueued={enqueued.id} />, 201);
  } catch (error) {
    const failure = describeFailure(error);
    return c.html(<EnqueueForm error={failure.message} />, failure.status);
  }
});

/** The detail fragment; `cancelling` when a cancel was asked for and may not have landed yet. */
async function detail(
  c: Context<ConsoleEnv>,
  options: { message?: string; job?: Job; cancelling?: boolean } = {},
) {
  const { message, job, cancelling } = options;
  const id = jobId.safeParse(c.req.param("id"));
  if (!id.success)
    return c.html(
      <p role="alert" class="error">
        {id.error.issues[0]?.message}
      </p>,
      400,
    );
  const client = jobs(c);
  try {
    const [current, runs] = await Promise.all([
      job ?? client.job(id.data, { signal: signal(c) }),
      client.runs(id.data, { signal: signal(c) }),
    ]);
    return c.html(
      <JobDetail
        job={current}
        runs={runs.items}
        cancelling={cancelling === true}
        {...(message ? { message } : {})}
      />,
    );
  } catch (error) {
    return failureFragment(c, error);
  }
}

route(jobRoutes, "GET", "/jobs/:id", "session", async (c) => {
  const id = c.req.param("id");
  const body = await detail(c);
  const fragment = await body.text();
  return c.html(
    <Layout title={`Job ${id}`} section="jobs" signedIn>
      <p>
        <a href="/jobs">← All jobs</a>
      </p>
      <div dangerouslySetInnerHTML={{ __html: fragment }} />
    </Layout>,
    body.status as 200,
  );
});

const detailQuery = z.strictObject({
  cancelling: z.literal("1", { error: "cancelling must be 1 or absent" }).optional(),
});

route(jobRoutes, "GET", "/jobs/:id/detail", "session", (c) => {
  const { cancelling } = parseInput(detailQuery, c.req.query(), "query");
  return detail(c, { cancelling: cancelling === "1" });
});

for (const action of ["cancel", "retry"] as const) {
  route(jobRoutes, "POST", `/jobs/:id/${action}`, "session", async (c) => {
    const id = jobId.safeParse(c.req.param("id"));
    if (!id.success) return detail(c);
    try {
      const job = await jobs(c)[action](id.data, { signal: signal(c) });
      return detail(c, { job, cancelling: action === "cancel" });
    } catch (error) {
      return detail(c, { message: describeFailure(error).message });
    }
  });
}
