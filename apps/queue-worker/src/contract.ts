/**
 * The wire shapes every resource's contract builds on, as zod schemas: a job as a client writes it
 * (alone or in a batch, as a group's child, as a schedule's job), job statuses, `{id}` path
 * parameters and the empty query. Each resource declares the rest beside it (`jobs-contract.ts`,
 * `runs-contract.ts`, `bulk-retry-contract.ts`, `schedules-contract.ts`, `groups-contract.ts`);
 * the routes declare and validate with them, the OpenAPI document is generated from them, and the
 * domain takes its request and view types from them, never from `routes/`.
 */
import { keptAsSent, rfc3339DateTime, sentAsGivenUrl, text } from "@edge-async/http";
import * as z from "zod";
import { MAX_QUEUE_DELAY_SECONDS } from "./backoff.ts";
import { JOB_STATUSES } from "./db/schema.ts";
import { JOB_TYPE_NAMES, type JobTypeName, jobTypes } from "./job-types/registry.ts";

/** The idempotency keys of schedules' runs (`schedule:<id>:<due ms>`): no client may take one. */
export const SCHEDULE_KEY_PREFIX = "schedule:";

/** A whole number field of a JSON body, each way it can be wrong named in its own words. */
export const wholeNumber = (
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

/** Query of a route that reads no query parameter (the shared schema). */
export { noQuery } from "@edge-async/http";

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
  runAt: rfc3339DateTime("runAt").optional().meta({
    description:
      "When the first run may start (RFC 3339 with a zone, years 0000-9999 in UTC, kept to the millisecond), any distance ahead (a time past runs it now); not with delaySeconds. A job due beyond the queue's 24-hour delay waits in D1 and the cron sends it when due",
    example: "2026-12-24T09:00:00Z",
  }),
  callbackUrl: sentAsGivenUrl(
    text("callbackUrl").max(2048, "callbackUrl must be at most 2048 characters"),
    {
      notAbsolute: "callbackUrl must be an absolute http or https URL",
      schemes: ["http", "https"],
    },
  )
    .optional()
    .meta({
      format: "uri",
      description:
        "POSTed the final job view once the job is succeeded, dead or cancelled, signed in `Webhook-Signature` (see README); under the same outbound URL policy as `fetch` jobs. Stored and shown back as given; refused (400) when it holds what would not be sent: a user name or password, a control character or space at either end, a tab or line break",
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

/** Every state a job can be in: `failed` will be retried; `succeeded`, `dead` and `cancelled` are final. */
export const jobStatus = z.enum(JOB_STATUSES);

/** A time the API shows: ISO 8601 in UTC. */
export const isoTime = z.iso.datetime();

// A schedule's job: type, payload and timeoutMs only; the schedule decides the rest (the
// idempotency key comes from the schedule and the due time, and a run is due when the cron fires).
const scheduledFields = { type: true, payload: true, timeoutMs: true } as const;
const scheduledVariant = <N extends JobTypeName>(name: N) => variant(name).pick(scheduledFields);
/** A schedule's job as `POST /v1/schedules` validates it: type, payload and timeoutMs only. */
export const scheduledJob = z.discriminatedUnion(
  "type",
  [scheduledVariant("fetch"), scheduledVariant("ingest"), scheduledVariant("simulate")],
  { error: unionError },
);
/** A schedule's job as a client writes it (payload defaults not applied yet). */
export const scheduledJobShape = z.discriminatedUnion("type", [
  variantShape("fetch").pick(scheduledFields),
  variantShape("ingest").pick(scheduledFields),
  variantShape("simulate").pick(scheduledFields),
]);
