import { keptAsSent, text, wellFormedJson } from "@edge-async/http";
import * as z from "zod";
import { MAX_QUEUE_DELAY_SECONDS } from "../backoff.ts";
import { JOB_STATUSES } from "../db/schema.ts";
import { JOB_TYPE_NAMES, type JobTypeName, jobTypes } from "../job-types/registry.ts";

const commonFields = {
  idempotencyKey: text("idempotencyKey")
    .min(1, "idempotencyKey must not be empty")
    .max(200, "idempotencyKey must be at most 200 characters")
    .regex(/^[\x21-\x7e]+$/, "idempotencyKey must be printable ASCII without spaces")
    .optional(),
  delaySeconds: z
    .number()
    .int("delaySeconds must be a whole number")
    .min(0)
    .max(MAX_QUEUE_DELAY_SECONDS, `delaySeconds must be at most ${MAX_QUEUE_DELAY_SECONDS}`)
    .optional(),
  timeoutMs: z
    .number()
    .int("timeoutMs must be a whole number")
    .min(100, "timeoutMs must be at least 100")
    .max(900_000, "timeoutMs must be at most 900000 (a queue consumer's 15 minutes)")
    .optional(),
};

// The payload is stored as parsed: keptAsSent refuses a string its schema would rewrite (z.url()
// trims), so what runs, and what an idempotent replay is compared with, is what the client sent.
function variant<N extends JobTypeName>(name: N) {
  return z.strictObject({
    type: z.literal(name),
    payload: keptAsSent(jobTypes[name].payload as (typeof jobTypes)[N]["payload"]),
    ...commonFields,
  });
}

const anyJob = z.discriminatedUnion(
  "type",
  [variant("fetch"), variant("ingest"), variant("simulate")],
  {
    error: (issue) => {
      const input = issue.input as { type?: unknown } | undefined;
      if (issue.code !== "invalid_union" || typeof input !== "object" || input === null) {
        return "must be an object with type and payload";
      }
      return input.type === undefined
        ? `type is required: one of ${JOB_TYPE_NAMES.join(", ")}`
        : `unknown job type ${JSON.stringify(input.type)}: expected one of ${JOB_TYPE_NAMES.join(", ")}`;
    },
  },
);

/**
 * One job to enqueue: `{ type, payload, idempotencyKey?, delaySeconds?, timeoutMs? }`, the payload
 * checked against its type's schema, so errors point at e.g. `/payload/url`. Every string of the
 * body, at any depth and member names included, must be well-formed UTF-16 (a lone surrogate is
 * refused naming its pointer) and is stored exactly as sent or refused.
 *
 * @example
 * ```ts
 * import { enqueueRequest } from "./schemas.ts";
 * enqueueRequest.parse({ type: "simulate", payload: { durationMs: 10 } });
 * ```
 */
export const enqueueRequest = wellFormedJson(anyJob);
/** A validated enqueue request. @example `const request: EnqueueRequest = enqueueRequest.parse(body);` */
export type EnqueueRequest = z.output<typeof enqueueRequest>;

// Most jobs one `POST /v1/jobs/batch` takes (a `sendBatch` holds at most 100 messages).
const MAX_BATCH_JOBS = 100;

/**
 * `{ jobs: [...] }` with 1 to 100 jobs whose idempotency keys are distinct.
 *
 * @example
 * ```ts
 * import { enqueueBatchRequest } from "./schemas.ts";
 * enqueueBatchRequest.parse({ jobs: [{ type: "simulate", payload: {} }] });
 * ```
 */
export const enqueueBatchRequest = wellFormedJson(
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
);

/**
 * Query of `GET /v1/jobs`: optional `status` and `type` filters.
 *
 * @example
 * ```ts
 * import { listFilters } from "./schemas.ts";
 * listFilters.parse({ status: "dead" });
 * ```
 */
export const listFilters = {
  status: z
    .enum(JOB_STATUSES, { error: `status must be one of ${JOB_STATUSES.join(", ")}` })
    .optional(),
  type: z
    .enum(JOB_TYPE_NAMES, { error: `type must be one of ${JOB_TYPE_NAMES.join(", ")}` })
    .optional(),
};

/**
 * Path parameter `:id`: a job id as this worker issues them (a UUID).
 *
 * @example
 * ```ts
 * import { jobIdParam } from "./schemas.ts";
 * jobIdParam.parse({ id: crypto.randomUUID() });
 * ```
 */
export const jobIdParam = z.object({
  id: z.uuid("id must be a job id (a UUID)"),
});
