import {
  createApi,
  HttpProblem,
  jsonInput,
  jsonResponse,
  notConfigured,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { createCursorCodec, nextPageUrl } from "@edge-async/pagination";
import * as z from "zod";
import { assertMayIngest, readLimit, visibleOwner, writeLimit } from "../access.ts";
import { noQuery } from "../contract.ts";
import { database } from "../db/database.ts";
import { findJob, findJobRuns, type ListPosition, listJobs } from "../db/jobs.ts";
import type { App } from "../env.ts";
import { examples } from "../examples.ts";
import { toJobRunView, toJobView } from "../job-view.ts";
import {
  enqueueBatchRequest,
  enqueuedBatch,
  enqueuedJob,
  enqueueRequest,
  jobIdParam,
  jobPage,
  jobView,
  listQuery,
} from "../jobs-contract.ts";
import { enqueueJobs } from "../producer.ts";
import { jobRunList } from "../runs-contract.ts";

const positionSchema = z.tuple([z.number().int(), z.string()]);

const location = {
  Location: { description: "The job's URL, `/v1/jobs/{id}`", schema: { type: "string" as const } },
};

/** The answers every route may give before its handler runs: access and request rate. */
const accessProblems = {
  401: "No credentials, or credentials this worker does not accept (`WWW-Authenticate: Bearer`)",
  403: "The credentials do not grant the scope this route needs (named in `scope`)",
  429: "Past this API key's request rate (`Retry-After`, `RateLimit`, `RateLimit-Policy`)",
} as const;

const writeProblems = {
  ...accessProblems,
  400: "The body is not valid JSON, a job is invalid (each `errors` entry points at its field), a URL is refused by the outbound policy, or a batch holds more new jobs than a cap allows; nothing was enqueued",
  403: "The credentials do not grant jobs:write, or an ingest job is enqueued without feed:write; nothing was enqueued",
  409: "An idempotencyKey of this API key is already used by a different job; nothing was enqueued",
  413: "The body is larger than the limit (as sent or decoded)",
  415: "The body is not application/json, or its Content-Encoding is not gzip, deflate or br",
  429: "Past this API key's request rate, or past its jobs-per-minute or open-jobs cap; nothing was enqueued (`Retry-After`, `RateLimit`, `RateLimit-Policy`)",
  503: "The queue or the database refused the jobs (nothing was enqueued; retry after Retry-After), or the worker is not configured",
} as const;

const enqueueRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "post",
  path: "/",
  tags: ["jobs"],
  summary: "Enqueue a job",
  description:
    "Records the job in D1, then sends it to the queue. A repeated `idempotencyKey` of the same API key for the same type and payload answers the existing job (200, `Idempotent-Replayed: true`); keys of different API keys never meet.",
  middleware: [writeLimit, jsonInput({ maxBytes: 256 * 1024 })] as const,
  request: {
    query: noQuery,
    body: {
      required: true,
      content: { "application/json": { schema: enqueueRequest, examples: examples.newJobs } },
    },
  },
  responses: {
    202: { ...jsonResponse(enqueuedJob, "Enqueued"), headers: location },
    200: {
      ...jsonResponse(jobView, "An idempotent replay: the job this key created"),
      headers: {
        ...location,
        "Idempotent-Replayed": { description: "`true`", schema: { type: "string" as const } },
      },
    },
    ...problemResponses(writeProblems),
  },
});

const enqueueBatchRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "post",
  path: "/batch",
  tags: ["jobs"],
  summary: "Enqueue up to 100 jobs at once",
  description:
    "One D1 batch and one `sendBatch`; all or nothing. Answers 202 if any job was created, 200 if every job was a replay.",
  middleware: [writeLimit, jsonInput({ maxBytes: 1024 * 1024 })] as const,
  request: {
    query: noQuery,
    body: {
      required: true,
      content: {
        "application/json": { schema: enqueueBatchRequest, examples: { batch: examples.batch } },
      },
    },
  },
  responses: {
    202: jsonResponse(enqueuedBatch, "Enqueued (at least one job is new)"),
    200: jsonResponse(enqueuedBatch, "Every job was an idempotent replay"),
    ...problemResponses(writeProblems),
  },
});

const listRoute = secureRoute({
  access: { scope: "jobs:read" },
  method: "get",
  path: "/",
  tags: ["jobs"],
  summary: "List jobs, newest first",
  description:
    "The API key's own jobs (every job with `jobs:admin`). Keyset pagination: pass `nextCursor` back as `cursor` with the same filters. A cursor is signed and bound to its filters and to whose jobs it walks.",
  middleware: [readLimit] as const,
  request: { query: listQuery },
  responses: {
    200: {
      ...jsonResponse(jobPage, "One page"),
      headers: {
        Link: { description: '`<next page URL>; rel="next"`', schema: { type: "string" as const } },
      },
    },
    ...problemResponses({
      ...accessProblems,
      400: "A filter, limit or cursor is invalid (or the cursor belongs to other filters)",
      503: "The worker is not configured (outside development: CURSOR_SECRET is not set)",
    }),
  },
});

const getRoute = secureRoute({
  access: { scope: "jobs:read" },
  method: "get",
  path: "/{id}",
  tags: ["jobs"],
  summary: "Read a job",
  description: "A job of the API key's own (any job with `jobs:admin`).",
  middleware: [readLimit] as const,
  request: { params: jobIdParam, query: noQuery },
  responses: {
    200: jsonResponse(jobView, "The job"),
    ...problemResponses({
      ...accessProblems,
      400: "The id is not a UUID",
      404: "No job of this API key has this id (another key's job reads as missing)",
      503: "The worker is not configured",
    }),
  },
});

const runsRoute = secureRoute({
  access: { scope: "jobs:read" },
  method: "get",
  path: "/{id}/runs",
  tags: ["jobs"],
  summary: "Read a job's runs",
  description:
    "The runs ledger of a job of the API key's own (any job with `jobs:admin`): each attempt's start, end, outcome, error and duration, oldest first. A retried job keeps its old runs.",
  middleware: [readLimit] as const,
  request: { params: jobIdParam, query: noQuery },
  responses: {
    200: jsonResponse(jobRunList, "The job's runs"),
    ...problemResponses({
      ...accessProblems,
      400: "The id is not a UUID",
      404: "No job of this API key has this id (another key's job reads as missing)",
      503: "The worker is not configured",
    }),
  },
});

const jobNotFound = (id: string) =>
  new HttpProblem(404, "job-not-found", "Job not found", { detail: `No job ${id}` });

/**
 * The router's pattern for `/{id}` (GET here, DELETE in job-control.ts): it leaves the segments
 * "retry" and "batch" to their own routes, so `GET /v1/jobs/retry` is a 405 naming `POST` rather
 * than a 400 about the id, while any other segment still reaches the id's validation. The document
 * says `/{id}` (registered below); zod-openapi turns `/{id{…}}` into Hono's `/:id{…}`.
 */
export const JOB_ID_ROUTING_PATH = "/{id{(?!(?:retry|batch)$)[^/]+}}";

/** `/v1/jobs`: enqueue one job or a batch, read a job and its runs, list jobs. */
export const jobRoutes = createApi<App>()
  .openapi(enqueueRoute, async (c) => {
    const { config, principal } = c.var;
    const request = c.req.valid("json");
    assertMayIngest(principal, [request.type], () => "");
    const [entry] = await enqueueJobs(c.env, database(c.env.DB), config, principal.id, [request]);
    const { job, created } = entry!;
    c.header("location", `/v1/jobs/${job.id}`);
    if (created) return c.json({ id: job.id, status: job.status }, 202);
    c.header("idempotent-replayed", "true");
    return c.json(toJobView(job, config.maxAttempts), 200);
  })
  .openapi(enqueueBatchRoute, async (c) => {
    const { principal } = c.var;
    const requests = c.req.valid("json").jobs;
    const pointerPrefix = (index: number) => `/jobs/${index}`;
    assertMayIngest(
      principal,
      requests.map((request) => request.type),
      pointerPrefix,
    );
    const entries = await enqueueJobs(
      c.env,
      database(c.env.DB),
      c.var.config,
      principal.id,
      requests,
      { pointerPrefix },
    );
    const jobs = entries.map(({ job, created }) => ({ id: job.id, status: job.status, created }));
    return entries.some((entry) => entry.created) ? c.json({ jobs }, 202) : c.json({ jobs }, 200);
  })
  .openapi(listRoute, async (c) => {
    const { cursorSecret, maxAttempts } = c.var.config;
    if (cursorSecret === undefined) {
      throw notConfigured("CURSOR_SECRET", "is not set; run `wrangler secret put CURSOR_SECRET`");
    }
    const { status, type, limit, cursor } = c.req.valid("query");
    const cursors = createCursorCodec({
      secret: cursorSecret,
      purpose: "queue-worker.jobs",
      schema: positionSchema,
    });
    const owner = visibleOwner(c.var.principal);
    // The cursor is bound to whose jobs it walks too, so one key's cursor is no use to another.
    const filters = { status, type, owner: owner ?? "*" };
    const after: ListPosition | undefined =
      cursor === undefined ? undefined : await cursors.decode(cursor, filters);
    const rows = await listJobs(database(c.env.DB), { status, type, owner }, limit, after);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last !== undefined
        ? await cursors.encode([last.createdAt, last.id], filters)
        : null;
    if (nextCursor !== null)
      c.header("link", `<${nextPageUrl(c.req.url, nextCursor)}>; rel="next"`);
    const items = page.map((row) => toJobView(row, maxAttempts));
    return c.json({ items, nextCursor, hasMore: nextCursor !== null }, 200);
  })
  .openapi({ ...getRoute, path: JOB_ID_ROUTING_PATH, hide: true }, async (c) => {
    const { id } = c.req.valid("param");
    const job = await findJob(database(c.env.DB), id, visibleOwner(c.var.principal));
    if (job === undefined) throw jobNotFound(id);
    return c.json(toJobView(job, c.var.config.maxAttempts), 200);
  })
  .openapi(runsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const found = await findJobRuns(database(c.env.DB), id, visibleOwner(c.var.principal));
    if (found === undefined) throw jobNotFound(id);
    return c.json(
      { items: found.runs.map((run, index) => toJobRunView(run, found.job, index + 1)) },
      200,
    );
  });

// Declared for the document under its own path (the route above is hidden from it).
const { middleware: _getRouting, ...getRouteDocument } = getRoute;
jobRoutes.openAPIRegistry.registerPath(getRouteDocument);
