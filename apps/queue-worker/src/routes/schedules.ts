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
import {
  deleteSchedule,
  findSchedule,
  insertSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  type SchedulePosition,
} from "../db/schedules.ts";
import type { App } from "../env.ts";
import type { EnqueueRequest } from "../jobs-contract.ts";
import { checkTargets } from "../producer.ts";
import { DEFAULT_TIMEZONE, nextRunAfter } from "../schedules.ts";
import {
  scheduleIdParam,
  scheduleListQuery,
  schedulePage,
  scheduleRequest,
  scheduleView,
} from "../schedules-contract.ts";
import { toScheduleView } from "../schedules-view.ts";

const accessProblems = {
  401: "No credentials, or credentials this worker does not accept (`WWW-Authenticate: Bearer`)",
  403: "The credentials do not grant the scope this route needs (named in `scope`)",
  429: "Past this API key's request rate (`Retry-After`, `RateLimit`, `RateLimit-Policy`)",
  503: "The worker is not configured",
} as const;

const idProblems = {
  ...accessProblems,
  400: "The id is not a UUID",
  404: "No schedule of this API key has this id (another key's reads as missing; any with `jobs:admin`)",
} as const;

const createRoute = secureRoute({
  access: { scope: "jobs:write" },
  method: "post",
  path: "/",
  tags: ["schedules"],
  summary: "Create a schedule",
  description:
    "Stores a job template enqueued each time `cron` fires in `timezone`, by the cron trigger, once per due time. The job is checked as `POST /v1/jobs` checks it (an `ingest` job needs `feed:write` too).",
  middleware: [writeLimit, jsonInput({ maxBytes: 256 * 1024 })] as const,
  request: {
    query: noQuery,
    body: { required: true, content: { "application/json": { schema: scheduleRequest } } },
  },
  responses: {
    201: {
      ...jsonResponse(scheduleView, "Created"),
      headers: {
        Location: {
          description: "The schedule's URL, `/v1/schedules/{id}`",
          schema: { type: "string" as const },
        },
      },
    },
    ...problemResponses({
      ...accessProblems,
      400: "The body is not valid JSON, or the name, cron (`/cron`), time zone (`/timezone`) or job (`/job/...`) is invalid, or a URL is refused by the outbound policy",
      403: "The credentials do not grant jobs:write, or an ingest job is scheduled without feed:write",
      413: "The body is larger than the limit (as sent or decoded)",
      415: "The body is not application/json, or its Content-Encoding is not gzip, deflate or br",
    }),
  },
});

const listRoute = secureRoute({
  access: { scope: "jobs:read" },
  method: "get",
  path: "/",
  tags: ["schedules"],
  summary: "List schedules, newest first",
  description:
    "The API key's own schedules (every one with `jobs:admin`). Keyset pagination with signed cursors bound to whose schedules they walk, as `GET /v1/jobs`.",
  middleware: [readLimit] as const,
  request: { query: scheduleListQuery },
  responses: {
    200: {
      ...jsonResponse(schedulePage, "One page"),
      headers: {
        Link: { description: '`<next page URL>; rel="next"`', schema: { type: "string" as const } },
      },
    },
    ...problemResponses({
      ...accessProblems,
      400: "The limit or cursor is invalid",
      503: "The worker is not configured (outside development: CURSOR_SECRET is not set)",
    }),
  },
});

const idRoute = <M extends "get" | "post" | "delete">(
  method: M,
  path: string,
  summary: string,
  description: string,
) =>
  secureRoute({
    access: { scope: method === "get" ? "jobs:read" : "jobs:write" },
    method,
    path,
    tags: ["schedules"],
    summary,
    description,
    middleware: [method === "get" ? readLimit : writeLimit] as const,
    request: { params: scheduleIdParam, query: noQuery },
    responses: {
      ...(method === "delete"
        ? { 204: { description: "Deleted; no body" } }
        : { 200: jsonResponse(scheduleView, "The schedule") }),
      ...problemResponses(idProblems),
    },
  });

const getRoute = idRoute("get", "/{id}", "Read a schedule", "A schedule of the API key's own.");
const pauseRoute = idRoute(
  "post",
  "/{id}/pause",
  "Pause a schedule",
  "No run is enqueued until it is resumed (`nextRunAt` becomes null); pausing a paused schedule changes nothing.",
);
const resumeRoute = idRoute(
  "post",
  "/{id}/resume",
  "Resume a paused schedule",
  "Its next run is the first due time after now: the runs missed while paused are not caught up. Resuming an `ingest` schedule needs `feed:write` too; a running schedule is answered unchanged.",
);
const deleteRoute = idRoute(
  "delete",
  "/{id}",
  "Delete a schedule",
  "No further run is enqueued; the jobs it enqueued stay.",
);

const scheduleNotFound = (id: string) =>
  new HttpProblem(404, "schedule-not-found", "Schedule not found", { detail: `No schedule ${id}` });

const positionSchema = z.tuple([z.number().int(), z.string()]);

/** `/v1/schedules`: create, list, read, pause, resume and delete schedules. */
export const scheduleRoutes = createApi<App>()
  .openapi(createRoute, async (c) => {
    const { config, principal } = c.var;
    const body = c.req.valid("json");
    assertMayIngest(principal, [body.job.type], () => "/job");
    checkTargets([body.job as EnqueueRequest], config, () => "/job");
    const now = Date.now();
    const timezone = body.timezone ?? DEFAULT_TIMEZONE;
    const row = await insertSchedule(database(c.env.DB), {
      id: crypto.randomUUID(),
      owner: principal.id,
      name: body.name,
      cron: body.cron,
      timezone,
      jobType: body.job.type,
      jobPayload: JSON.stringify(body.job.payload),
      jobTimeoutMs: body.job.timeoutMs ?? null,
      nextRunAt: nextRunAfter(body.cron, timezone, now),
      createdAt: now,
      updatedAt: now,
    });
    c.header("location", `/v1/schedules/${row.id}`);
    return c.json(toScheduleView(row), 201);
  })
  .openapi(listRoute, async (c) => {
    const { cursorSecret } = c.var.config;
    if (cursorSecret === undefined) {
      throw notConfigured("CURSOR_SECRET", "is not set; run `wrangler secret put CURSOR_SECRET`");
    }
    const { limit, cursor } = c.req.valid("query");
    const cursors = createCursorCodec({
      secret: cursorSecret,
      purpose: "queue-worker.schedules",
      schema: positionSchema,
    });
    const owner = visibleOwner(c.var.principal);
    // Bound to whose schedules it walks, so one key's cursor is no use to another.
    const filters = { owner: owner ?? "*" };
    const after: SchedulePosition | undefined =
      cursor === undefined ? undefined : await cursors.decode(cursor, filters);
    const rows = await listSchedules(database(c.env.DB), owner, limit, after);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last !== undefined
        ? await cursors.encode([last.createdAt, last.id], filters)
        : null;
    if (nextCursor !== null)
      c.header("link", `<${nextPageUrl(c.req.url, nextCursor)}>; rel="next"`);
    return c.json(
      { items: page.map(toScheduleView), nextCursor, hasMore: nextCursor !== null },
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findSchedule(database(c.env.DB), id, visibleOwner(c.var.principal));
    if (row === undefined) throw scheduleNotFound(id);
    return c.json(toScheduleView(row), 200);
  })
  .openapi(pauseRoute, async (c) => {
    const { id } = c.req.valid("param");
    const owner = visibleOwner(c.var.principal);
    const row = await pauseSchedule(database(c.env.DB), id, owner, Date.now());
    if (row === undefined) throw scheduleNotFound(id);
    return c.json(toScheduleView(row), 200);
  })
  .openapi(resumeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const db = database(c.env.DB);
    const owner = visibleOwner(c.var.principal);
    const found = await findSchedule(db, id, owner);
    if (found === undefined) throw scheduleNotFound(id);
    assertMayIngest(c.var.principal, [found.jobType], () => "/job");
    if (!found.paused) return c.json(toScheduleView(found), 200);
    const now = Date.now();
    const next = nextRunAfter(found.cron, found.timezone, now);
    const row =
      (await resumeSchedule(db, id, owner, next, now)) ?? (await findSchedule(db, id, owner));
    if (row === undefined) throw scheduleNotFound(id);
    return c.json(toScheduleView(row), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const deleted = await deleteSchedule(database(c.env.DB), id, visibleOwner(c.var.principal));
    if (!deleted) throw scheduleNotFound(id);
    return c.body(null, 204);
  });
