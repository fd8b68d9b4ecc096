import { and, asc, eq, inArray, lt } from "drizzle-orm";
import type { Database } from "./db/database.ts";
import { jobs } from "./db/schema.ts";
import type { Env } from "./env.ts";
import type { JobMessage } from "./messages.ts";

/**
 * How long past its `runAt` (and past its last sweep) a job may sit `queued` with no attempt
 * before the sweep sends its message again. A healthy queue delivers within seconds; a job this
 * late most likely lost its message (a send that failed after the row was recorded).
 */
export const SWEEP_AFTER_MS = 10 * 60_000;

/** Jobs one sweep sends per `sendBatch` (the most one batch holds). */
const PAGE = 100;

/**
 * Sends again the messages of jobs that were recorded but whose send was lost: `queued`, never
 * attempted, due more than {@link SWEEP_AFTER_MS} ago and not swept in that time. Each job is
 * marked (its `updatedAt` moved to now) in the same statement that picks it, so the next sweep
 * leaves it alone for another {@link SWEEP_AFTER_MS}; a message sent twice is harmless, since the
 * consumer's claim runs a job once. Runs from the cron trigger; stops early when `signal` aborts.
 *
 * @returns how many jobs were sent
 */
export async function sweepUnsentJobs(
  env: Env,
  db: Database,
  options: { now?: number; maxPages?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const now = options.now ?? Date.now();
  const cutoff = now - SWEEP_AFTER_MS;
  let sent = 0;
  for (let page = 0; page < (options.maxPages ?? 10); page += 1) {
    options.signal?.throwIfAborted();
    const due = db
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        and(
          eq(jobs.status, "queued"),
          eq(jobs.attempts, 0),
          lt(jobs.runAt, cutoff),
          lt(jobs.updatedAt, cutoff),
        ),
      )
      .orderBy(asc(jobs.runAt))
      .limit(PAGE);
    const picked = await db
      .update(jobs)
      .set({ updatedAt: now })
      .where(inArray(jobs.id, due))
      .returning({ id: jobs.id });
    if (picked.length === 0) break;
    await env.JOBS.sendBatch(
      picked.map(({ id }) => ({ body: { jobId: id } satisfies JobMessage, contentType: "json" })),
    );
    sent += picked.length;
    if (picked.length < PAGE) break;
  }
  if (sent > 0) console.warn(`sweep: sent ${sent} queued job(s) whose message was lost`);
  return sent;
}
