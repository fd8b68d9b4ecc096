/**
 * The wire shapes of `/v1/jobs` and `/v1/stats` as zod schemas: the enqueue bodies (one job, a
 * batch), the listing's query, the job view and its pages, the counts.
 */
import { wellFormedJson } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";
import { anyJob, documentedAs, isoTime, jobShape, jobStatus, uuidParam } from "./contract.ts";
import { CALLBACK_STATUSES, JOB_STATUSES } from "./db/schema.ts";
import { examples } from "./examples.ts";
import { JOB_TYPE_NAMES } from "./job-types/registry.ts";

// Most jobs one `POST /v1/jobs/batch` takes (a `sendBatch` holds at most 100 messages).
const MAX_BATCH_JOBS = 100;

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
