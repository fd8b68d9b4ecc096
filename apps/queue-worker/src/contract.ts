/**
 * The wire shapes of the queue-worker API (request bodies, query, path, responses) as zod schemas:
 * the routes declare and validate with them, the OpenAPI document is generated from them, and the
 * domain takes its request and view types from here, never from `routes/`.
 */
import { keptAsSent, text, wellFormedJson } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";
import { MAX_QUEUE_DELAY_SECONDS } from "./backoff.ts";
import { CALLBACK_STATUSES, JOB_STATUSES } from "./db/schema.ts";
import { examples } from "./examples.ts";
import { JOB_TYPE_NAMES, type JobTypeName, jobTypes } from "./job-types/registry.ts";
import { rfc3339DateTime } from "./rfc3339.ts";
import { canonicalTimezone, cronProblem, DEFAULT_TIMEZONE, timezoneProblem } from "./schedules.ts";
import { scheduleExample } from "./schedules-examples.ts";

// Most jobs one `POST /v1/jobs/batch` takes (a `sendBatch` holds at most 100 messages).
const MAX_BATCH_JOBS = 100;

/** The idempotency keys of schedules' runs (`schedule:<id>:<due ms>`): no client may take one. */
export const SCHEDULE_KEY_PREFIX = "schedule:";

/** A whole number field of a JSON body, each way it can be wrong named in its own words. */
const wholeNumber = (
  name: string,
  min: number,
  max: number,
  tooBig = `${name} must be at most ${max}`,
) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, tooBig);

/**
 * Query of a route that reads no query parameter: any one sent is refused by name, so a typo
 * (`?limt=5`) never passes silently.
 */
export const noQuery = z.strictObject({});

/**
 * Path parameter `{id}`: a UUID this worker issued (lower case). UUIDs are read in any case (RFC
 * 9562 §4), so an uppercase copy of an id finds the same resource rather than a 404.
 */
export const uuidParam = (what: string, example: string) =>
  z.object({
    id: z
      .preprocess(
        (id) => (typeof id === "string" ? id.toLowerCase() : id),
        z.uuid(`id must be a ${what} id (a UUID)`),
      )
      .meta({ example }),
  });

const commonFields = {
  idempotencyKey: text("idempotencyKey")
    .min(1, "idempotencyKey must not be empty")
    .max(200, "idempotencyKey must be at most 200 characters")
    .regex(/^[\x21-\x7e]+$/, "idempotencyKey must be printable ASCII without spaces")
    .refine(
      (key) => !key.startsWith(SCHEDULE_KEY_PREFIX),
      `idempotencyKey must not start with "${SCHEDULE_KEY_PREFIX}": that prefix is reserved for schedules' runs`,
    )
    .optional()
    .meta({ description: "Replaying a key answers the job it created instead of a new one" }),
  delaySeconds: wholeNumber("delaySeconds", 0, MAX_QUEUE_DELAY_SECONDS)
    .optional()
    .meta({ description: "Seconds before the first run (at most 24 hours); not with runAt" }),
  runAt: rfc3339DateTime(
    "runAt",
    "runAt must be an RFC 3339 date-time with a zone, e.g. 2026-12-01T09:00:00Z",
  )
    .optional()
    .meta({
      description:
        "When the first run may start, any distance ahead (a time past runs it now); not with delaySeconds. A job due beyond the queue's 24-hour delay waits in D1 and the cron sends it when due",
      example: "2026-12-24T09:00:00Z",
    }),
  callbackUrl: z
    .url({ protocol: /^https?$/, error: "callbackUrl must be an absolute http or https URL" })
    .max(2048, "callbackUrl must be at most 2048 characters")
    .optional()
    .meta({
      description:
        "POSTed the final job view once the job is succeeded, dead or cancelled, signed in `Webhook-Signature` (see README); under the same outbound URL policy as `fetch` jobs",
    }),
  timeoutMs: wholeNumber(
    "timeoutMs",
    100,
    900_000,
    "timeoutMs must be at most 900000 (a queue consumer's 15 minutes)",
  )
    .optional()
    .meta({ description: "Deadline of one run; default JOB_TIMEOUT_MS" }),
  // A padded key would silently miss its CONCURRENCY_LIMITS entry; control characters reach logs.
  concurrencyKey: text("concurrencyKey")
    .min(1, "concurrencyKey must not be empty")
    .max(200, "concurrencyKey must be at most 200 characters")
    .regex(/^\S(.*\S)?$/su, "concurrencyKey must not be blank or start or end with whitespace")
    .regex(/^[^\p{Cc}]*$/u, "concurrencyKey must not contain control characters")
    .optional()
    .meta({
      description:
        "Jobs sharing a key (an upstream host, a tenant) run at most the key's limit at once (CONCURRENCY_LIMITS, DEFAULT_KEY_CONCURRENCY); the others wait, spending no attempt",
      example: "api.example.com",
    }),
};

/**
 * Gives a schema whose validation wraps the real shape (a pipe through `wellFormedJson`, a
 * `keptAsSent` transform) that shape's JSON Schema as its documentation: the generator would
 * otherwise see only the wrapper's `unknown` input.
 */
export function documentedAs<S extends z.ZodType>(schema: S, shape: z.ZodType): S {
  const { $schema: _, ...jsonSchema } = z.toJSONSchema(shape, { io: "input" });
  return schema.meta(jsonSchema) as S;
}

// The payload is stored as parsed: keptAsSent refuses a string its schema would rewrite (z.url()
// trims), so what runs, and what an idempotent replay is compared with, is what the client sent.
function variant<N extends JobTypeName>(name: N) {
  const payload = jobTypes[name].payload as (typeof jobTypes)[N]["payload"];
  return z.strictObject({
    type: z.literal(name),
    payload: documentedAs(keptAsSent(payload), payload),
    ...commonFields,
  });
}

// The same variant without the wrappers: what a client sends, as types and documentation.
function variantShape<N extends JobTypeName>(name: N) {
  const payload = jobTypes[name].payload as (typeof jobTypes)[N]["payload"];
  return z.strictObject({ type: z.literal(name), payload, ...commonFields });
}

const unionError = (issue: { code?: string; input?: unknown }) => {
  const input = issue.input as { type?: unknown } | undefined;
  if (issue.code !== "invalid_union" || typeof input !== "object" || input === null) {
    return "must be an object with type and payload";
  }
  return input.type === undefined
    ? `type is required: one of ${JOB_TYPE_NAMES.join(", ")}`
    : `unknown job type ${JSON.stringify(input.type)}: expected one of ${JOB_TYPE_NAMES.join(", ")}`;
};

/** One job as `POST /v1/jobs` validates it (a group's children are validated the same way). */
export const anyJob = z.discriminatedUnion(
  "type",
  [variant("fetch"), variant("ingest"), variant("simulate")],
  { error: unionError },
);

/** One job as a client writes it (payload defaults not applied yet). */
export const jobShape = z.discriminatedUnion("type", [
  variantShape("fetch"),
  variantShape("ingest"),
  variantShape("simulate"),
]);

/**
 * Body of `POST /v1/jobs`: `{ type, payload, idempotencyKey?, delaySeconds? | runAt?, callbackUrl?,
 * timeoutMs? }`, the
 * payload checked against its type's schema, so errors point at e.g. `/payload/url`. Every string
 * of the body, at any depth and member names included, must be well-formed UTF-16 (a lone
 * surrogate is refused naming its pointer) and is stored exactly as sent or refused.
 */
export const enqueueRequest = documentedAs(wellFormedJson(anyJob), jobShape);
/** A job as a client sends it. */
export type NewJob = z.input<typeof jobShape>;
/** A validated job request, payload defaults applied: what the producer stores. */
export type EnqueueRequest = z.output<typeof anyJob>;

/** Body of `POST /v1/jobs/batch`: `{ jobs: [...] }` with 1 to 100 jobs whose idempotency keys are distinct. */
export const enqueueBatchRequest = documentedAs(
  wellFormedJson(
    z
      .strictObject({
        jobs: z
          .array(anyJob)
          .min(1, "jobs must hold at least one job")
          .max(MAX_BATCH_JOBS, `jobs must hold at most ${MAX_BATCH_JOBS} jobs`),
      })
      .superRefine((body, context) => {
        const seen = new Map<string, number>();
        body.jobs.forEach((job, index) => {
          if (job.idempotencyKey === undefined) return;
          const first = seen.get(job.idempotencyKey);
          if (first === undefined) seen.set(job.idempotencyKey, index);
          else {
            context.addIssue({
              code: "custom",
              path: ["jobs", index, "idempotencyKey"],
              message: `repeats the idempotencyKey of /jobs/${first}`,
            });
          }
        });
      }),
  ),
  z.strictObject({ jobs: z.array(jobShape).min(1).max(MAX_BATCH_JOBS) }),
);

/** Every state a job can be in: `failed` will be retried; `succeeded`, `dead` and `cancelled` are final. */
export const jobStatus = z.enum(JOB_STATUSES);

/** Filters of `GET /v1/jobs`, each optional. */
export const jobFilters = {
  status: z
    .enum(JOB_STATUSES, { error: `status must be one of ${JOB_STATUSES.join(", ")}` })
    .optional(),
  type: z
    .enum(JOB_TYPE_NAMES, { error: `type must be one of ${JOB_TYPE_NAMES.join(", ")}` })
    .optional(),
};

/** Query of `GET /v1/jobs`: the filters, `limit` (1-100, default 20) and `cursor`. */
export const listQuery = z.strictObject({
  ...jobFilters,
  ...pageParams({ defaultLimit: 20, maxLimit: 100 }),
});

/** Path parameter `{id}`: a job id as this worker issues them (a UUID). */
export const jobIdParam = uuidParam("job", examples.jobId);

const isoTime = z.iso.datetime();

/** A job as the API shows it: ISO timestamps, parsed JSON, absent fields left out. */
export const jobView = z
  .object({
    id: z.uuid(),
    type: z.string(),
    status: jobStatus,
    attempts: z.number().int().min(0),
    maxAttempts: z.number().int().min(1),
    payload: z
      .record(z.string(), z.unknown())
      .meta({ description: "As enqueued, defaults applied" }),
    result: z.unknown().optional().meta({ description: "What the run returned (succeeded jobs)" }),
    error: z.string().optional().meta({ description: "The last run's error" }),
    idempotencyKey: z.string().optional(),
    concurrencyKey: z.string().optional(),
    groupId: z.uuid().optional().meta({ description: "The group the job is a child of" }),
    timeoutMs: z.number().int(),
    runAt: isoTime,
    createdAt: isoTime,
    updatedAt: isoTime,
    finishedAt: isoTime.optional(),
    progress: z
      .object({
        fraction: z.number().min(0).max(1),
        message: z.string().optional(),
        updatedAt: isoTime,
      })
      .optional()
      .meta({ description: "The last progress a run reported (written at most once a second)" }),
    callback: z
      .object({
        url: z.string(),
        status: z.enum(CALLBACK_STATUSES),
        attempts: z.number().int().min(0),
        error: z.string().optional(),
        updatedAt: isoTime.optional(),
      })
      .optional()
      .meta({ description: "The completion callback, when one was asked for, and its delivery" }),
  })
  .meta({ id: "Job", example: examples.deadJob });
/** A job as the API shows it. */
export type JobView = z.output<typeof jobView>;

/** `202` of `POST /v1/jobs`: the new job's id and status. */
export const enqueuedJob = z
  .object({ id: z.uuid(), status: jobStatus })
  .meta({ id: "EnqueuedJob", example: examples.enqueued });

/** `POST /v1/jobs/batch`: one entry per job, in request order; `created: false` for a replay. */
export const enqueuedBatch = z
  .object({ jobs: z.array(enqueuedJob.extend({ created: z.boolean() })) })
  .meta({ id: "EnqueuedBatch", example: examples.enqueuedBatch });

/** One page of `GET /v1/jobs`, newest first. */
export const jobPage = z
  .object({ items: z.array(jobView), nextCursor: z.string().nullable(), hasMore: z.boolean() })
  .meta({ id: "JobPage" });

const countsByStatus = z.record(jobStatus, z.number().int().min(0));

/** `GET /v1/stats`: job counts by status, and by status per type; every status appears. */
export const jobStats = z
  .object({
    total: z.number().int().min(0),
    byStatus: countsByStatus,
    byType: z.record(z.string(), countsByStatus),
  })
  .meta({ id: "JobStats", example: examples.stats });
/** Counts answered by `GET /v1/stats`. */
export type JobStats = z.output<typeof jobStats>;

/**
 * How one run ended: `running` until it reports, `lost` when its runner stopped reporting and the
 * job was claimed again (or left) after its lease ran out.
 */
export const runOutcome = z.enum(["running", "succeeded", "failed", "dead", "cancelled", "lost"]);

/** One run (attempt) of a job, from the runs ledger. */
export const jobRun = z
  .object({
    run: z.number().int().min(1).meta({
      description:
        "The run's place among the job's runs, from 1: attempt starts again at 1 after a retry, run does not",
    }),
    attempt: z.number().int().min(1),
    outcome: runOutcome,
    error: z.string().optional(),
    startedAt: isoTime,
    finishedAt: isoTime.optional(),
    durationMs: z.number().int().min(0).optional().meta({ description: "finishedAt - startedAt" }),
  })
  .meta({ id: "JobRun" });
/** One run as the API shows it. */
export type JobRunView = z.output<typeof jobRun>;

/** `GET /v1/jobs/{id}/runs`: every run of the job, oldest first (a retried job keeps its old runs). */
export const jobRunList = z
  .object({ items: z.array(jobRun) })
  .meta({ id: "JobRunList", example: examples.runs });

// A schedule's job: type, payload and timeoutMs only; the schedule decides the rest (the
// idempotency key comes from the schedule and the due time, and a run is due when the cron fires).
const scheduledFields = { type: true, payload: true, timeoutMs: true } as const;
const scheduledVariant = <N extends JobTypeName>(name: N) => variant(name).pick(scheduledFields);
const scheduledJob = z.discriminatedUnion(
  "type",
  [scheduledVariant("fetch"), scheduledVariant("ingest"), scheduledVariant("simulate")],
  { error: unionError },
);
const scheduledJobShape = z.discriminatedUnion("type", [
  variantShape("fetch").pick(scheduledFields),
  variantShape("ingest").pick(scheduledFields),
  variantShape("simulate").pick(scheduledFields),
]);

const scheduleFields = <J extends z.ZodType>(job: J) =>
  z.strictObject({
    name: text("name")
      .min(1, "name must not be empty")
      .regex(/\S/, "name must not be only whitespace")
      .regex(/^[^\p{Cc}]*$/u, "name must not contain control characters")
      .max(200, "name must be at most 200 characters")
      .meta({ description: "A label of the caller's choice, kept as sent" }),
    cron: text("cron")
      .min(1, "cron must not be empty")
      .max(200, "cron must be at most 200 characters")
      .meta({
        description:
          "Five fields (minute hour day-of-month month day-of-week) or a nickname (`@hourly`); at most once a minute",
        example: "*/15 * * * *",
      }),
    timezone: text("timezone").max(64, "timezone must be at most 64 characters").optional().meta({
      description:
        "IANA time zone the cron reads in, in any case; stored under its canonical name (`europe/berlin` as `Europe/Berlin`, `Etc/UTC` as `UTC`); default UTC. An offset (`+01:00`) is not a zone",
      example: "Europe/Berlin",
    }),
    job,
  });

/** A schedule as a client writes it. */
const scheduleShape = scheduleFields(scheduledJobShape);
/** A schedule as a client sends it. */
export type NewSchedule = z.input<typeof scheduleShape>;

/**
 * Body of `POST /v1/schedules`: `{ name, cron, timezone?, job: { type, payload, timeoutMs? } }`.
 * The job is checked against the job type registry as `POST /v1/jobs` checks it (errors point at
 * e.g. `/job/payload/url`); the time zone must be an IANA name (`/timezone`) and the cron a
 * five-field pattern that fires (`/cron`).
 */
export const scheduleRequest = documentedAs(
  wellFormedJson(
    scheduleFields(scheduledJob)
      .superRefine((body, context) => {
        const timezone = body.timezone ?? DEFAULT_TIMEZONE;
        const zoneProblem = timezoneProblem(timezone);
        if (zoneProblem !== undefined) {
          context.addIssue({ code: "custom", path: ["timezone"], message: zoneProblem });
          return;
        }
        const problem = cronProblem(body.cron, timezone);
        if (problem !== undefined)
          context.addIssue({ code: "custom", path: ["cron"], message: problem });
      })
      .transform((body) => ({
        ...body,
        timezone: canonicalTimezone(body.timezone ?? DEFAULT_TIMEZONE),
      })),
  ),
  scheduleShape,
);
/** A validated schedule request, the job's payload defaults applied. */
export type ScheduleRequest = z.output<typeof scheduleRequest>;

/** Query of `GET /v1/schedules`: `limit` (1-100, default 20) and `cursor`. */
export const scheduleListQuery = z.strictObject(pageParams({ defaultLimit: 20, maxLimit: 100 }));

/** Path parameter `{id}` of a schedule (a UUID). */
export const scheduleIdParam = uuidParam("schedule", "5c4f2a8e-3f0e-4d52-9d0c-2b7f1b9c6a11");

/** A schedule as the API shows it: ISO timestamps, `null` for what has not happened. */
export const scheduleView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    cron: z.string(),
    timezone: z.string(),
    job: z.object({
      type: z.string(),
      payload: z.record(z.string(), z.unknown()),
      timeoutMs: z.number().int().optional(),
    }),
    paused: z.boolean(),
    nextRunAt: isoTime.nullable().meta({ description: "The next due time; null while paused" }),
    lastRunAt: isoTime.nullable().meta({ description: "Due time of the last run enqueued" }),
    lastJobId: z.uuid().nullable().meta({ description: "The job the last run enqueued" }),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: "Schedule", example: scheduleExample });
/** A schedule as the API shows it. */
export type ScheduleView = z.output<typeof scheduleView>;

/** One page of `GET /v1/schedules`, newest first. */
export const schedulePage = z
  .object({ items: z.array(scheduleView), nextCursor: z.string().nullable(), hasMore: z.boolean() })
  .meta({ id: "SchedulePage" });

/** Most jobs one `POST /v1/jobs/retry` takes back (in D1 batches and `sendBatch`es of 100). */
export const MAX_BULK_RETRY = 1_000;

const filterTime = (name: string) =>
  rfc3339DateTime(name, `${name} must be an RFC 3339 date-time with a zone`).optional();

/**
 * Body of `POST /v1/jobs/retry`: which `dead`/`cancelled` jobs to put back. `error` matches a
 * case-sensitive substring of the job's last error; `from` (inclusive) and `to` (exclusive) bound
 * `finishedAt`; `status` defaults to both; `limit` 1-1000, default 100.
 */
const bulkRetryShape = z
  .strictObject({
    type: z
      .enum(JOB_TYPE_NAMES, { error: `type must be one of ${JOB_TYPE_NAMES.join(", ")}` })
      .optional(),
    error: text("error")
      .min(1, "error must not be empty")
      .max(500, "error must be at most 500 characters")
      .optional()
      .meta({ description: "A case-sensitive substring of the job's last error" }),
    from: filterTime("from").meta({ description: "finishedAt at or after this time" }),
    to: filterTime("to").meta({ description: "finishedAt before this time" }),
    // A refine, not min/max: zod runs length checks on anything with a length, so a string
    // ("dead") would get a second error about its characters.
    status: z
      .array(z.enum(["dead", "cancelled"], { error: "status entries must be dead or cancelled" }), {
        error: 'status must be a list: ["dead"], ["cancelled"] or both',
      })
      .refine(
        (list) => list.length >= 1 && list.length <= 2,
        "status must hold dead, cancelled or both",
      )
      .superRefine((list, context) => {
        const repeat = list.findIndex((status, index) => list.indexOf(status) !== index);
        if (repeat === -1) return;
        const message = `status lists ${list[repeat]} more than once`;
        context.addIssue({ code: "custom", path: [repeat], message });
      })
      .optional()
      .meta({
        description: "Which final states to retry; default both",
        minItems: 1,
        maxItems: 2,
        uniqueItems: true,
      }),
    limit: wholeNumber("limit", 1, MAX_BULK_RETRY).default(100),
  })
  .superRefine((body, context) => {
    if (
      body.from !== undefined &&
      body.to !== undefined &&
      Date.parse(body.from) >= Date.parse(body.to)
    ) {
      context.addIssue({ code: "custom", path: ["to"], message: "to must be after from" });
    }
  });
export const bulkRetryRequest = documentedAs(wellFormedJson(bulkRetryShape), bulkRetryShape);
/** A validated bulk retry filter. */
export type BulkRetryRequest = z.output<typeof bulkRetryRequest>;

/** `POST /v1/jobs/retry`: the jobs put back, and whether more match (the same call goes on). */
export const bulkRetryResult = z
  .object({
    retried: z.number().int().min(0),
    ids: z.array(z.uuid()),
    hasMore: z
      .boolean()
      .meta({ description: "More jobs match: send the same filter again to retry them" }),
  })
  .meta({ id: "BulkRetryResult", example: { retried: 1, ids: [examples.jobId], hasMore: false } });
