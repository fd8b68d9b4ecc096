import { linkedController } from "@edge-async/async-utils";
import {
  createApi,
  HttpProblem,
  invalidInput,
  jsonInput,
  jsonResponse,
  NDJSON_HEADERS,
  ndjsonStream,
  notConfigured,
  problemResponses,
  secureRoute,
} from "@edge-async/http";
import { createCursorCodec, nextPageUrl } from "@edge-async/pagination";
import * as z from "zod";
import { assertMayIngest, readLimit, visibleOwner, writeLimit } from "../access.ts";
import { noQuery } from "../contract.ts";
import { type Database, database } from "../db/database.ts";
import { countChildren, findGroup, listChildren } from "../db/groups.ts";
import type { JobGroupRow } from "../db/schema.ts";
import type { App } from "../env.ts";
import { followGroup, toGroupView } from "../groups.ts";
import {
  createdGroup,
  groupIdParam,
  groupPage,
  groupQuery,
  groupRequest,
  groupStreamLine,
} from "../groups-contract.ts";
import { toJobView } from "../job-view.ts";
import { enqueueJobs } from "../producer.ts";

const accessProblems = {
  401: "No credentials, or credentials this worker does not accept (`WWW-Authenticate: Bearer`)",
  403: "The credentials do not grant the scope this route needs (named in `scope`)",
  429: "Past this API key's request rate (`Retry-After`, `RateLimit`, `RateLimit-Policy`)",
} as const;

const createRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "post",
  path: "/",
  tags: ["groups"],
  summary: "Enqueue a group of jobs (TaskGroup for jobs)",
  description:
    "Records the group and its 1 to 1,000 children in one D1 batch (all or nothing, under the same caps, validation and outbound policy as `POST /v1/jobs`), then sends them 100 per `sendBatch`. With `failFast`, the first child that ends `dead` cancels its siblings (waiting ones at once, running ones through their heartbeat) and the group is `failed`; without it every child runs and every outcome is recorded.",
  middleware: [writeLimit, jsonInput({ maxBytes: 2 * 1024 * 1024 })] as const,
  request: {
    query: noQuery,
    body: { required: true, content: { "application/json": { schema: groupRequest } } },
  },
  responses: {
    202: {
      ...jsonResponse(createdGroup, "Enqueued: the group and its children's ids, in request order"),
      headers: {
        Location: { description: "`/v1/groups/{id}`", schema: { type: "string" as const } },
      },
    },
    ...problemResponses({
      ...accessProblems,
      400: "The body is not valid JSON, a job is invalid (each `errors` entry points at its field, e.g. `/jobs/3/payload/url`), carries an idempotencyKey, a URL is refused by the outbound policy, or the group holds more new jobs than a cap allows; nothing was enqueued",
      403: "The credentials do not grant jobs:write, or an ingest job is enqueued without feed:write; nothing was enqueued",
      413: "The body is larger than the limit (as sent or decoded)",
      415: "The body is not application/json, or its Content-Encoding is not gzip, deflate or br",
      429: "Past this API key's request rate, or past its jobs-per-minute or open-jobs cap; nothing was enqueued",
      503: "The queue or the database refused the jobs (nothing was enqueued; retry after Retry-After), or the worker is not configured",
    }),
  },
});

const getRoute = secureRoute({
  access: { scope: "jobs:read" },
  method: "get",
  path: "/{id}",
  tags: ["groups"],
  summary: "Read a group and its children's outcomes",
  description:
    "A group of the API key's own (any group with `jobs:admin`): its status and counts by child status, and one page of its children in id order (`nextCursor` back as `cursor`; signed, bound to the group). With `stream=ndjson` the children instead stream one line each as they finish, then a `{summary}` line once every child is finished; a `{heartbeat}` line after 15 s without another; `{summary, stopped}` when the caller's deadline (request-timeout-ms) or the 15-minute longest follow ends it first. limit and cursor do not apply to the stream (400).",
  middleware: [readLimit] as const,
  request: { params: groupIdParam, query: groupQuery },
  responses: {
    200: {
      description:
        "The group and a page of children, or (stream=ndjson) the children as they finish",
      headers: {
        Link: { description: '`<next page URL>; rel="next"`', schema: { type: "string" as const } },
      },
      content: {
        "application/json": { schema: groupPage },
        "application/x-ndjson": { schema: groupStreamLine },
      },
    },
    ...problemResponses({
      ...accessProblems,
      400: "The id is not a UUID, or limit, cursor or stream is invalid (or the cursor belongs to another group, or limit or cursor is sent with stream=ndjson)",
      404: "No group of this API key has this id (another key's group reads as missing)",
      503: "The worker is not configured (outside development: CURSOR_SECRET is not set)",
    }),
  },
});

const groupNotFound = (id: string) =>
  new HttpProblem(404, "group-not-found", "Group not found", { detail: `No group ${id}` });

/** `/v1/groups`: enqueue a group of jobs; read it, a page of children at a time or as a stream. */
export const groupRoutes = createApi<App>()
  .openapi(createRoute, async (c) => {
    const { config, principal } = c.var;
    const body = c.req.valid("json");
    const pointerPrefix = (index: number) => `/jobs/${index}`;
    assertMayIngest(
      principal,
      body.jobs.map((job) => job.type),
      pointerPrefix,
    );
    const group = { id: crypto.randomUUID(), failFast: body.failFast ?? false };
    const db = database(c.env.DB);
    const entries = await enqueueJobs(c.env, db, config, principal.id, body.jobs, {
      pointerPrefix,
      group,
    });
    c.header("location", `/v1/groups/${group.id}`);
    const jobs = entries.map(({ job }) => ({ id: job.id, status: job.status }));
    return c.json({ ...group, status: "running" as const, jobs }, 202);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { limit, cursor, stream } = c.req.valid("query");
    const { cursorSecret, maxAttempts } = c.var.config;
    if (stream === "ndjson") refusePaging((name) => c.req.query(name));
    const db = database(c.env.DB);
    const row = await findGroup(db, id, visibleOwner(c.var.principal));
    if (row === undefined) throw groupNotFound(id);
    // zod-openapi types JSON answers only; the NDJSON answer is a plain Response.
    if (stream === "ndjson") {
      const keepAlive = (done: Promise<void>) => {
        try {
          c.executionCtx.waitUntil(done);
        } catch {
          // app.request() in unit tests has no execution context; the stream still completes.
        }
      };
      return streamGroup(db, row, { signal: c.var.signal, maxAttempts, keepAlive }) as never;
    }
    if (cursorSecret === undefined) {
      throw notConfigured("CURSOR_SECRET", "is not set; run `wrangler secret put CURSOR_SECRET`");
    }
    const cursors = createCursorCodec({
      secret: cursorSecret,
      purpose: "queue-worker.group-children",
      schema: z.tuple([z.string()]),
    });
    // Bound to the group: a cursor of one group's children is refused on another's.
    const filters = { group: id };
    const after = cursor === undefined ? undefined : (await cursors.decode(cursor, filters))[0];
    const [rows, counts] = await Promise.all([
      listChildren(db, id, limit, after),
      countChildren(db, id),
    ]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last !== undefined ? await cursors.encode([last.id], filters) : null;
    if (nextCursor !== null) {
      c.header("link", `<${nextPageUrl(c.req.url, nextCursor)}>; rel="next"`);
    }
    return c.json(
      {
        group: toGroupView(row, counts),
        items: page.map((job) => toJobView(job, maxAttempts)),
        nextCursor,
        hasMore: nextCursor !== null,
      },
      200,
    );
  });

/** A stream has no pages: a limit or cursor sent with `stream=ndjson` would be silently ignored. */
function refusePaging(query: (name: string) => string | undefined): void {
  const paging = (["limit", "cursor"] as const).filter((name) => query(name) !== undefined);
  if (paging.length === 0) return;
  throw invalidInput(
    paging.map((parameter) => ({
      parameter,
      detail: `${parameter} does not apply to stream=ndjson`,
    })),
  );
}

/**
 * The NDJSON answer: the children as they finish, then the summary. Stops polling as soon as the
 * client goes away (the request's signal, or the response stream cancelled) or the caller's
 * deadline passes (`c.var.signal`).
 */
function streamGroup(
  db: Database,
  row: JobGroupRow,
  options: { signal: AbortSignal; maxAttempts: number; keepAlive(done: Promise<void>): void },
): Response {
  const follow = linkedController(options.signal);
  const finished = Promise.withResolvers<void>();
  const body = ndjsonStream(
    async (write) => {
      try {
        await followGroup(db, row, write, {
          signal: follow.signal,
          maxAttempts: options.maxAttempts,
        });
      } catch (error) {
        console.error("queue-worker: group stream failed", error);
        throw error;
      } finally {
        follow.dispose();
        finished.resolve();
      }
    },
    { onCancel: (reason) => follow.controller.abort(reason) },
  );
  options.keepAlive(finished.promise);
  return new Response(body, { headers: { ...NDJSON_HEADERS } });
}
