/**
 * The wire shapes of `/v1/groups` (a parent over child jobs), beside jobs-contract.ts: a child is
 * validated exactly as `POST /v1/jobs` validates a job.
 */
import { wellFormedJson } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";
import { anyJob, documentedAs, jobShape, jobStatus, uuidParam } from "./contract.ts";
import { JOB_STATUSES } from "./db/schema.ts";
import { groupExamples } from "./groups-examples.ts";
import { jobView } from "./jobs-contract.ts";

/** Most children one group takes (D1 inserts them in one batch; they are sent 100 at a time). */
export const MAX_GROUP_JOBS = 1_000;

const groupFields = {
  failFast: z.boolean().optional().meta({
    description:
      "true: the first child that ends dead cancels the others (waiting ones at once, running ones through their heartbeat) and the group ends failed; false (default): every child runs and every outcome is recorded",
  }),
};

/**
 * Body of `POST /v1/groups`: `{ jobs: [...1..1000 jobs as POST /v1/jobs takes], failFast? }`. A
 * child carries no idempotencyKey: a replay would answer a job of another group, or of none.
 */
export const groupRequest = documentedAs(
  wellFormedJson(
    z
      .strictObject({
        jobs: z
          .array(anyJob)
          .min(1, "jobs must hold at least one job")
          .max(MAX_GROUP_JOBS, `jobs must hold at most ${MAX_GROUP_JOBS} jobs`),
        ...groupFields,
      })
      .superRefine((body, context) => {
        body.jobs.forEach((job, index) => {
          if (job.idempotencyKey === undefined) return;
          context.addIssue({
            code: "custom",
            path: ["jobs", index, "idempotencyKey"],
            message: "a group's job takes no idempotencyKey (it belongs to this group only)",
          });
        });
      }),
  ),
  z.strictObject({ jobs: z.array(jobShape).min(1).max(MAX_GROUP_JOBS), ...groupFields }),
);
/** A group as a client sends it. */
export type NewGroup = z.input<typeof groupRequest>;

/** Path parameter `{id}` of `/v1/groups/{id}`: a UUID. */
export const groupIdParam = uuidParam("group", groupExamples.groupId);

/** Query of `GET /v1/groups/{id}`: a page of children (`limit`, `cursor`), or `stream=ndjson`. */
export const groupQuery = z.strictObject({
  ...pageParams({ defaultLimit: 100, maxLimit: 1000 }),
  stream: z.enum(["ndjson"], { error: "stream must be ndjson" }).optional().meta({
    description:
      "ndjson: one line `{child}` per child as it finishes (those finished already first), `{heartbeat}` after 15 s without one, then `{summary}` once every child has (or `{summary, stopped}` when the deadline or the 15-minute longest follow ends it first). Not combinable with limit or cursor",
  }),
});

/**
 * Where a group stands: `running` until every child is finished; then `succeeded` (every child
 * did) or `completed` (some did not); `failed` as soon as a child of a failFast group died.
 */
export const GROUP_STATUSES = ["running", "succeeded", "completed", "failed"] as const;

/** A group as the API shows it: its status, derived from its children's, and their counts. */
export const groupView = z
  .object({
    id: z.uuid(),
    status: z.enum(GROUP_STATUSES),
    failFast: z.boolean(),
    /** Every child is finished (succeeded, dead or cancelled). */
    done: z.boolean(),
    total: z.number().int().min(0),
    counts: z.record(z.enum(JOB_STATUSES), z.number().int().min(0)),
    failedBy: z.uuid().optional().meta({ description: "The child whose death failed the group" }),
    createdAt: z.iso.datetime(),
    failedAt: z.iso.datetime().optional(),
  })
  .meta({ id: "JobGroup", example: groupExamples.group });
/** A group as the API shows it. */
export type GroupView = z.output<typeof groupView>;

/** `202` of `POST /v1/groups`: the group and its children's ids, in request order. */
export const createdGroup = z
  .object({
    id: z.uuid(),
    status: z.enum(GROUP_STATUSES),
    failFast: z.boolean(),
    jobs: z.array(z.object({ id: z.uuid(), status: jobStatus })),
  })
  .meta({ id: "CreatedJobGroup", example: groupExamples.created });

/** `GET /v1/groups/{id}`: the group and one page of its children (their settled outcomes). */
export const groupPage = z
  .object({
    group: groupView,
    items: z.array(jobView),
    nextCursor: z.string().nullable(),
    hasMore: z.boolean(),
  })
  .meta({ id: "JobGroupPage" });

/**
 * One line of `GET /v1/groups/{id}?stream=ndjson`: a finished child; a heartbeat while nothing
 * changed for 15 s; or the closing summary, with `stopped` when the follow ended before the group
 * was done (the caller's `request-timeout-ms` deadline, or the 15-minute longest follow).
 */
export const groupStreamLine = z.union([
  z.object({ child: jobView }),
  z.object({ heartbeat: z.object({ at: z.iso.datetime() }) }),
  z.object({
    summary: groupView,
    stopped: z.enum(["deadline", "max-follow"]).optional().meta({
      description: "Set when the follow ended early; the summary is then the group as it stands",
    }),
  }),
]);
