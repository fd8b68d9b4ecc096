/**
 * The wire shapes of `/v1/schedules` as zod schemas: a schedule's body (its job checked as
 * `POST /v1/jobs` checks one), the listing's query, the schedule view and its pages.
 */
import { text, wellFormedJson } from "@edge-async/http";
import { pageParams } from "@edge-async/pagination";
import * as z from "zod";
import { documentedAs, isoTime, scheduledJob, scheduledJobShape, uuidParam } from "./contract.ts";
import { canonicalTimezone, cronProblem, DEFAULT_TIMEZONE, timezoneProblem } from "./schedules.ts";
import { scheduleExample } from "./schedules-examples.ts";

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
