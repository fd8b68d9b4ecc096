import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/**
 * Every state a job can be in; `failed` means "will be retried"; `succeeded`, `dead` and
 * `cancelled` are final (a `dead` or `cancelled` job may be put back `queued` by a retry).
 */
export const JOB_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "dead",
  "cancelled",
] as const;
/** The final states: no run will start, and a message for the job is acked. */
export const FINISHED_STATUSES = ["succeeded", "dead", "cancelled"] as const;
/** One of {@link JOB_STATUSES}. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Where a job's completion callback stands: `pending` (due at `callbackNextAt`), `delivered`, or
 * `failed` (every try refused).
 */
export const CALLBACK_STATUSES = ["pending", "delivered", "failed"] as const;
/** One of {@link CALLBACK_STATUSES}. */
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

/**
 * One row per job. `runToken`/`leaseExpiresAt` are the claim: only the consumer holding the token
 * may write the outcome, and a `running` row whose lease expired may be claimed again.
 */
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    /** The validated payload as JSON text. */
    payload: text("payload").notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    /**
     * The principal (API key id, or `jwt:<sub>`) that enqueued the job: its idempotency keys, caps
     * and reads are scoped to it. `""` for jobs enqueued before access control, which only an
     * admin key sees.
     */
    owner: text("owner").notNull().default(""),
    /** Unique per owner: two keys may use the same idempotency key without meeting. */
    idempotencyKey: text("idempotency_key"),
    /** Runs started so far (claims), including the one in progress. */
    attempts: integer("attempts").notNull().default(0),
    /** Per-job deadline for one run, in milliseconds. */
    timeoutMs: integer("timeout_ms").notNull(),
    /** Earliest time the job may run (creation plus the requested delay), epoch ms. */
    runAt: integer("run_at").notNull(),
    /** JSON text of what the handler returned. */
    result: text("result"),
    /** The last error, kept when the job later dies. */
    error: text("error"),
    runToken: text("run_token"),
    leaseExpiresAt: integer("lease_expires_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
    /**
     * When a cancel of the job was asked while it ran: the consumer's heartbeat reads it and aborts
     * the run's signal. Cleared by a retry.
     */
    cancelRequestedAt: integer("cancel_requested_at"),
    /**
     * A `queued` job due beyond the queue's longest delay: stored with no message sent; the cron
     * handler sends it once it falls within that delay (see parked.ts).
     */
    parked: integer("parked", { mode: "boolean" }).notNull().default(false),
    /** The last progress a run reported: 0..1, a message, when (epoch ms). */
    progressFraction: real("progress_fraction"),
    progressMessage: text("progress_message"),
    progressUpdatedAt: integer("progress_updated_at"),
    /** Where the final job view is POSTed once the job is finished; `null`: no callback. */
    callbackUrl: text("callback_url"),
    callbackStatus: text("callback_status", { enum: CALLBACK_STATUSES }),
    callbackAttempts: integer("callback_attempts").notNull().default(0),
    /** When the next delivery try is due (`pending`), or until when a try in flight holds it. */
    callbackNextAt: integer("callback_next_at"),
    callbackError: text("callback_error"),
    callbackUpdatedAt: integer("callback_updated_at"),
    /** The group (`/v1/groups`) the job is a child of; `null` for a job enqueued on its own. */
    groupId: text("group_id"),
    /**
     * At most the key's limit of jobs with the same key run at once (see concurrency-keys.ts);
     * `null`: no limit but the consumer's own.
     */
    concurrencyKey: text("concurrency_key"),
  },
  (table) => [
    uniqueIndex("jobs_owner_idempotency_key").on(table.owner, table.idempotencyKey),
    // A key's own listing and its jobs-per-minute cap; with status, its open-jobs cap.
    index("jobs_owner_created").on(table.owner, table.createdAt, table.id),
    index("jobs_owner_status_created").on(table.owner, table.status, table.createdAt, table.id),
    // An admin's listing of every job, newest first, optionally filtered by status and/or type.
    index("jobs_created").on(table.createdAt, table.id),
    index("jobs_status_created").on(table.status, table.createdAt, table.id),
    index("jobs_type_created").on(table.type, table.createdAt, table.id),
    // The sweep of queued jobs whose message was never sent (see sweep.ts).
    index("jobs_status_run_at").on(table.status, table.runAt),
    // The cron's look for parked jobs coming due, its purge of old finished jobs, and its
    // delivery of due callbacks.
    index("jobs_parked_run_at").on(table.parked, table.runAt),
    index("jobs_finished_at").on(table.finishedAt),
    index("jobs_callback_due").on(table.callbackStatus, table.callbackNextAt),
    // The heartbeat's renewal of an invocation's runs: reads only those rows, however many jobs
    // other invocations run.
    index("jobs_run_token").on(table.runToken),
    // A group's children in id order (its pages) and its counts by status.
    index("jobs_group").on(table.groupId, table.id),
    index("jobs_group_status").on(table.groupId, table.status),
    // The claim's count of a key's live runs.
    index("jobs_concurrency_key").on(table.concurrencyKey, table.status, table.leaseExpiresAt),
    check(
      "jobs_status_valid",
      sql`${table.status} in ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')`,
    ),
  ],
);

/**
 * Outcome of one run of a handler, as recorded in {@link jobRuns}: `running` from its claim until
 * its outcome is written.
 */
export const RUN_OUTCOMES = ["running", "succeeded", "failed", "dead", "cancelled"] as const;
/** One of {@link RUN_OUTCOMES}. */
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/**
 * The runs ledger: one row per run (attempt), inserted `running` in the D1 batch that claims the
 * job and given its outcome in the batch that writes the job's status, so it costs no round trip
 * of its own. Rows are never deleted (a retried job keeps its old runs). It is how the end-to-end
 * test proves no job ran to success twice.
 */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    runToken: text("run_token").primaryKey(),
    jobId: text("job_id").notNull(),
    attempt: integer("attempt").notNull(),
    outcome: text("outcome", { enum: RUN_OUTCOMES }).notNull(),
    error: text("error"),
    startedAt: integer("started_at").notNull(),
    /** `null` while the run is in progress (or its runner died before reporting). */
    finishedAt: integer("finished_at"),
  },
  (table) => [index("job_runs_job").on(table.jobId, table.outcome)],
);

/**
 * One row per schedule (`/v1/schedules`): a job template enqueued at each time its cron fires in
 * its time zone. `nextRunAt` is the claim the cron trigger takes (a conditional UPDATE from the
 * due time to the next one), and `claimToken` names the trigger invocation that took it, so the
 * job insert of the same D1 batch only happens for the claim's winner.
 */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    /** The principal that created the schedule; its jobs are enqueued as this owner. */
    owner: text("owner").notNull(),
    name: text("name").notNull(),
    cron: text("cron").notNull(),
    /** IANA time zone the cron reads in. */
    timezone: text("timezone").notNull(),
    jobType: text("job_type").notNull(),
    /** The validated payload as JSON text, defaults applied. */
    jobPayload: text("job_payload").notNull(),
    /** Deadline of one run of each job; `null` for the worker's JOB_TIMEOUT_MS. */
    jobTimeoutMs: integer("job_timeout_ms"),
    paused: integer("paused", { mode: "boolean" }).notNull().default(false),
    /** The next due time, epoch ms; `null` while paused. */
    nextRunAt: integer("next_run_at"),
    /** Due time of the last run enqueued, epoch ms. */
    lastRunAt: integer("last_run_at"),
    lastJobId: text("last_job_id"),
    claimToken: text("claim_token"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    // The cron trigger's scan for due schedules.
    index("schedules_due").on(table.paused, table.nextRunAt),
    // A key's own listing, newest first; an admin's listing of every schedule.
    index("schedules_owner_created").on(table.owner, table.createdAt, table.id),
    index("schedules_created").on(table.createdAt, table.id),
  ],
);

/**
 * One row per job group (`/v1/groups`): a parent over child jobs (`jobs.groupId`). Its status is
 * derived from its children's; `failFast` makes the first child to end `dead` cancel the others (a
 * trigger in the migration, so every path that makes a job dead does it in the same statement).
 */
export const jobGroups = sqliteTable(
  "job_groups",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    failFast: integer("fail_fast", { mode: "boolean" }).notNull(),
    /** Children enqueued with it. */
    total: integer("total").notNull(),
    /** A failFast group: the child whose death cancelled the others, and when. */
    failedBy: text("failed_by"),
    failedAt: integer("failed_at"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("job_groups_owner_created").on(table.owner, table.createdAt, table.id)],
);

/** A stored job group. */
export type JobGroupRow = typeof jobGroups.$inferSelect;

/** A stored schedule. */
export type ScheduleRow = typeof schedules.$inferSelect;

/** A stored job. */
export type JobRow = typeof jobs.$inferSelect;
/** A job to insert. */
export type NewJobRow = typeof jobs.$inferInsert;
/** A ledger line to insert. */
export type JobRunRow = typeof jobRuns.$inferInsert;
/** A stored ledger line. */
export type StoredJobRun = typeof jobRuns.$inferSelect;
