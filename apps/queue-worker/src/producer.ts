import {
  checkTarget,
  HttpProblem,
  type InvalidParam,
  invalidInput,
  notConfigured,
  type TargetPolicy,
} from "@edge-async/http";
import { MAX_QUEUE_DELAY_SECONDS } from "./backoff.ts";
import { capExceeded } from "./caps.ts";
import type { Config } from "./config.ts";
import type { Database, Statement } from "./db/database.ts";
import { type EnqueueLimits, type EnqueueWrite, readBackJobs, recordJobs } from "./db/enqueue.ts";
import { deleteEmptyGroup, insertGroupStatement } from "./db/groups.ts";
import { deleteUnsentJobs } from "./db/jobs.ts";
import type { JobRow, NewJobRow } from "./db/schema.ts";
import type { Env } from "./env.ts";
import { jobTypes } from "./job-types/registry.ts";
import type { EnqueueRequest } from "./jobs-contract.ts";
import { jobMessage } from "./messages.ts";
import { refusedTargets } from "./outbound.ts";

/** One enqueued job and whether this call created it (`false`: an idempotent replay). */
export interface Enqueued {
  job: JobRow;
  created: boolean;
}

/** JSON Pointer prefix of request `index` in the caller's body (`""` for a single job). */
type Pointer = (index: number) => string;

/** Most messages one `sendBatch` takes. */
const SEND_BATCH_MAX = 100;

/** The group the jobs are the children of (`/v1/groups`): its row commits with them. */
export interface GroupSpec {
  id: string;
  failFast: boolean;
}

/**
 * Records jobs in D1 for `owner` (one batch) and then hands them to the queue (one `sendBatch`).
 *
 * The rows go first: a message always finds its job. The batch is one transaction holding the
 * insert (all the new jobs or none: see `insertNewJobsStatement` for the caps and the idempotency
 * conflicts it checks) and the read-back of the owner's jobs by idempotency key, so nothing can
 * commit without its answer. Idempotency keys belong to their owner: two keys using the same one
 * get two jobs and never see each other's.
 *
 * If the send fails, the rows just written are deleted (all or none) and the caller gets a 503
 * saying nothing was enqueued. If they cannot be deleted they are committed, so the caller gets
 * them (202) and the sweep (`sweep.ts`) sends them later; a replay of a job still `queued` that
 * never ran sends its message again too. The consumer's claim makes a duplicate harmless.
 * Before anything is written, every URL a job would fetch is checked against the outbound
 * policy; one refused URL refuses the whole call (400).
 */
export async function enqueueJobs(
  env: Env,
  db: Database,
  config: Config,
  owner: string,
  requests: EnqueueRequest[],
  options: { pointerPrefix?: Pointer; group?: GroupSpec } = {},
): Promise<Enqueued[]> {
  const pointer: Pointer = (index) => options.pointerPrefix?.(index) ?? "";
  checkTargets(requests, config, pointer);
  const now = Date.now();
  const limits: EnqueueLimits = { owner, now, ...config.caps };
  const { group } = options;
  const rows = buildRows(requests, config, owner, now, pointer).map((row) =>
    group === undefined ? row : { ...row, groupId: group.id },
  );
  const after =
    group === undefined
      ? []
      : [
          insertGroupStatement(db, {
            ...group,
            owner,
            total: rows.length,
            failedBy: null,
            failedAt: null,
            createdAt: now,
          }),
        ];
  const recorded = await recordRows(db, rows, limits, after);
  const { entries, conflicts, refused } = resolve(rows, recorded);
  if (conflicts.length > 0) {
    throw new HttpProblem(409, "idempotency-key-conflict", "Idempotency key conflict", {
      detail: "An idempotencyKey was reused for a different job; nothing was enqueued.",
      errors: conflicts.map(({ index, detail }) => ({
        pointer: `${pointer(index)}/idempotencyKey`,
        detail,
      })),
    });
  }
  if (refused > 0) throw await capExceeded(db, limits, refused, pointer);
  try {
    await sendJobs(env, db, entries, now);
  } catch (error) {
    // The children were deleted (nothing enqueued): their group goes too.
    if (group !== undefined) {
      await deleteEmptyGroup(db, group.id).catch((cleanup: unknown) =>
        console.error("could not delete an empty job group", cleanup),
      );
    }
    throw error;
  }
  return entries;
}

/**
 * Refuses the whole call if any job would fetch a URL the outbound policy refuses (400), or is
 * an `ingest` job while no key to post to paginated-feed is configured (503).
 */
export function checkTargets(requests: EnqueueRequest[], config: Config, pointer: Pointer): void {
  const refused = requests.flatMap((request, index) =>
    refusedTargets(
      jobTypes[request.type],
      request.payload,
      `${pointer(index)}/payload`,
      config.outbound,
    ),
  );
  if (refused.length > 0) throw invalidInput(refused);
  const callbacks = requests.flatMap((request, index) =>
    request.callbackUrl === undefined
      ? []
      : refusedCallback(request.callbackUrl, `${pointer(index)}/callbackUrl`, config.outbound),
  );
  if (callbacks.length > 0) throw invalidInput(callbacks);
  if (config.callbackSecret === undefined && requests.some((request) => request.callbackUrl)) {
    throw notConfigured(
      "CALLBACK_SECRET",
      "is not set, so completion callbacks cannot be signed; run `wrangler secret put CALLBACK_SECRET`",
    );
  }
  if (config.feedApiKey === undefined && requests.some((request) => request.type === "ingest")) {
    throw notConfigured(
      "FEED_API_KEY",
      "is not set, so ingest jobs cannot post to paginated-feed; run `wrangler secret put FEED_API_KEY` with a paginated-feed key that has feed:write",
    );
  }
}

/**
 * The rows of new `queued` jobs, one per request, owned by `owner`, created at `now`. A job due
 * beyond the queue's longest delay is `parked`: no message is sent until the cron finds it due.
 * `runAt` with `delaySeconds` is refused (400, at `pointer(index)/runAt`).
 */
export function buildRows(
  requests: EnqueueRequest[],
  config: Config,
  owner: string,
  now: number,
  pointer: Pointer = () => "",
): NewJobRow[] {
  const both = requests.flatMap((request, index) =>
    request.runAt !== undefined && request.delaySeconds !== undefined
      ? [
          {
            pointer: `${pointer(index)}/runAt`,
            detail: "runAt and delaySeconds exclude each other",
          },
        ]
      : [],
  );
  if (both.length > 0) throw invalidInput(both);
  return requests.map((request) => {
    const runAt =
      request.runAt === undefined
        ? now + (request.delaySeconds ?? 0) * 1000
        : Math.max(now, Date.parse(request.runAt));
    return {
      ...rowOf(request, config, owner, now),
      runAt,
      parked: runAt - now > MAX_QUEUE_DELAY_SECONDS * 1000,
    };
  });
}

function rowOf(request: EnqueueRequest, config: Config, owner: string, now: number) {
  return {
    id: crypto.randomUUID(),
    type: request.type,
    payload: JSON.stringify(request.payload),
    status: "queued",
    owner,
    idempotencyKey: request.idempotencyKey ?? null,
    attempts: 0,
    timeoutMs: request.timeoutMs ?? config.jobTimeoutMs,
    callbackUrl: request.callbackUrl ?? null,
    callbackAttempts: 0,
    concurrencyKey: request.concurrencyKey ?? null,
    createdAt: now,
    updatedAt: now,
  } satisfies Omit<NewJobRow, "runAt">;
}

/** A callback URL the outbound policy refuses, as a problem+json entry. */
function refusedCallback(url: string, pointer: string, policy: TargetPolicy): InvalidParam[] {
  const verdict = checkTarget(new URL(url), policy);
  return verdict.allowed ? [] : [{ pointer, detail: `is refused: ${verdict.reason}` }];
}

/**
 * Runs the enqueue batch. When D1 fails to answer, the batch may still have committed, so what it
 * left is read back: rows found are answered as recorded (and sent); none found is a 503 saying
 * nothing was enqueued; a read that fails too is a 503 that says the outcome is unknown.
 */
async function recordRows(
  db: Database,
  rows: NewJobRow[],
  limits: EnqueueLimits,
  after: Statement[],
): Promise<EnqueueWrite> {
  try {
    return await recordJobs(db, rows, limits, after);
  } catch (error) {
    console.error("recording jobs failed; reading back what was stored", error);
  }
  let stored: EnqueueWrite;
  try {
    stored = await readBackJobs(db, rows, limits.owner);
  } catch (error) {
    console.error("reading back the jobs failed too", error);
    throw databaseUnavailable(
      "The database did not answer, so whether the jobs were recorded is unknown. Retry with the same idempotencyKey to find out (a job recorded meanwhile is sent by the sweep, never lost; without a key a retry may enqueue it twice).",
    );
  }
  if (stored.inserted.size === 0) {
    throw databaseUnavailable("The jobs could not be recorded; nothing was enqueued. Try again.");
  }
  return stored;
}

function databaseUnavailable(detail: string): HttpProblem {
  return new HttpProblem(503, "database-unavailable", "Database unavailable", {
    detail,
    headers: { "retry-after": "1" },
  });
}

/**
 * Each request's outcome: created, an idempotent replay, a conflict (its key holds a different
 * job), or refused (neither inserted nor found: a cap held the whole call back).
 */
function resolve(rows: NewJobRow[], recorded: EnqueueWrite) {
  const entries: Enqueued[] = [];
  const conflicts: { index: number; detail: string }[] = [];
  let refused = 0;
  rows.forEach((row, index) => {
    const created = recorded.inserted.get(row.id);
    const existing = row.idempotencyKey ? recorded.byKey.get(row.idempotencyKey) : undefined;
    if (created !== undefined) entries.push({ job: created, created: true });
    else if (existing === undefined) refused += 1;
    else if (existing.type !== row.type || existing.payload !== row.payload) {
      conflicts.push({
        index,
        detail: `already used by job ${existing.id} with a different type or payload`,
      });
    } else entries.push({ job: existing, created: false });
  });
  return { entries, conflicts, refused };
}

/**
 * Sends the created jobs, and replayed ones that are still `queued` and never ran, in `sendBatch`
 * calls of at most 100 messages (a group's 1,000 children take ten). If a send fails, the created rows are deleted (all or none): deleted, the caller
 * gets a 503 saying nothing was enqueued; not deleted, they stay committed and are answered as
 * such, and the sweep sends them. A replay whose re-send fails is answered all the same: its job
 * exists, and the sweep covers its message.
 */
async function sendJobs(env: Env, db: Database, entries: Enqueued[], now: number): Promise<void> {
  const toSend = entries.filter(
    (entry) =>
      !entry.job.parked &&
      (entry.created || (entry.job.status === "queued" && entry.job.attempts === 0)),
  );
  if (toSend.length === 0) return;
  try {
    const messages = toSend.map(({ job }) => ({
      body: jobMessage(job.id),
      contentType: "json" as const,
      delaySeconds: Math.max(0, Math.ceil((job.runAt - now) / 1000)),
    }));
    // One after another: a failed send stops the rest, and the delete below covers every row (a
    // message already sent for a deleted job finds no job and is acked).
    for (let start = 0; start < messages.length; start += SEND_BATCH_MAX) {
      await env.JOBS.sendBatch(messages.slice(start, start + SEND_BATCH_MAX));
    }
  } catch (error) {
    console.error("sending jobs to the queue failed", error);
    const createdIds = entries.flatMap((entry) => (entry.created ? [entry.job.id] : []));
    if (createdIds.length === 0) return;
    const deleted = await deleteUnsentJobs(db, createdIds).catch((cleanup: unknown) => {
      console.error("could not delete unsent jobs; the sweep will send them", cleanup);
      return false;
    });
    if (!deleted) return;
    throw new HttpProblem(503, "queue-unavailable", "Queue unavailable", {
      detail: "The jobs could not be handed to the queue; nothing was enqueued. Try again.",
      headers: { "retry-after": "1" },
    });
  }
}
