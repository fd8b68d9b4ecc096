import { and, asc, inArray, isNotNull, isNull, lt, ne, or } from "drizzle-orm";
import type { Database } from "./database.ts";
import { FINISHED_STATUSES, jobRuns, jobs } from "./schema.ts";

/** Jobs one purge statement deletes. */
export const PURGE_BATCH = 500;

/** Purge batches one cron run makes at most, so a backlog is worked off over several runs. */
export const PURGE_MAX_BATCHES = 10;

/**
 * Deletes finished jobs (succeeded, dead, cancelled) that finished before `now - retentionDays`,
 * and their runs: at most `maxBatches` D1 batches of `batchSize` jobs, oldest first, each one
 * transaction (the runs of exactly the jobs it deletes). A job whose callback is still pending is
 * kept until it is delivered or given up. Stops early when `signal` aborts.
 *
 * @returns how many jobs were deleted, and in how many batches
 */
export async function purgeFinishedJobs(
  db: Database,
  options: {
    now: number;
    retentionDays: number;
    batchSize?: number;
    maxBatches?: number;
    signal?: AbortSignal;
  },
): Promise<{ deleted: number; batches: number }> {
  const cutoff = options.now - options.retentionDays * 86_400_000;
  const batchSize = options.batchSize ?? PURGE_BATCH;
  const victims = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        isNotNull(jobs.finishedAt),
        lt(jobs.finishedAt, cutoff),
        inArray(jobs.status, [...FINISHED_STATUSES]),
        or(isNull(jobs.callbackStatus), ne(jobs.callbackStatus, "pending")),
      ),
    )
    .orderBy(asc(jobs.finishedAt))
    .limit(batchSize);
  let deleted = 0;
  let batches = 0;
  while (batches < (options.maxBatches ?? PURGE_MAX_BATCHES)) {
    options.signal?.throwIfAborted();
    // Both statements read the same victims: nothing else runs inside the batch's transaction.
    const [, gone] = await db.batch([
      db.delete(jobRuns).where(inArray(jobRuns.jobId, victims)),
      db.delete(jobs).where(inArray(jobs.id, victims)).returning({ id: jobs.id }),
    ]);
    batches += 1;
    deleted += gone.length;
    if (gone.length < batchSize) break;
  }
  return { deleted, batches };
}
