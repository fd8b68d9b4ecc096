import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { MAX_QUEUE_DELAY_SECONDS } from "./backoff.ts";
import type { Database } from "./db/database.ts";
import { jobs } from "./db/schema.ts";
import type { Env } from "./env.ts";
import type { JobMessage } from "./messages.ts";

/** Parked jobs one cron run sends per statement and `sendBatch` (the most one batch holds). */
const PAGE = 100;

/**
 * The claim of up to {@link PAGE} parked jobs now within the queue's longest delay: ONE
 * conditional UPDATE that unparks them and returns them, so of two crons running at once each job
 * goes to exactly one (D1 runs a statement alone; the second finds them unparked).
 */
function claimDueParked(db: Database, now: number) {
  const due = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.parked, true),
        lte(jobs.runAt, now + MAX_QUEUE_DELAY_SECONDS * 1000),
        eq(jobs.status, "queued"),
      ),
    )
    .orderBy(asc(jobs.runAt))
    .limit(PAGE);
  return db
    .update(jobs)
    .set({ parked: false, updatedAt: now })
    .where(and(inArray(jobs.id, due), eq(jobs.parked, true)))
    .returning({ id: jobs.id, runAt: jobs.runAt });
}

/**
 * Sends the parked jobs (due beyond the queue's longest delay when enqueued, stored with no
 * message) that now fall within that delay, with the delay left: at most `maxPages` statements of
 * {@link PAGE}, each followed by one `sendBatch`. A send that fails parks its jobs again for the
 * next cron; should that fail too, the sweep (sweep.ts) sends them once they are overdue. Stops
 * early when `signal` aborts.
 *
 * @returns how many jobs were sent
 */
export async function sendDueParkedJobs(
  env: Env,
  db: Database,
  options: { now?: number; maxPages?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const now = options.now ?? Date.now();
  let sent = 0;
  for (let page = 0; page < (options.maxPages ?? 10); page += 1) {
    options.signal?.throwIfAborted();
    const claimed = await claimDueParked(db, now);
    if (claimed.length === 0) break;
    try {
      await env.JOBS.sendBatch(
        claimed.map(({ id, runAt }) => ({
          body: { jobId: id } satisfies JobMessage,
          contentType: "json" as const,
          delaySeconds: Math.min(
            MAX_QUEUE_DELAY_SECONDS,
            Math.max(0, Math.ceil((runAt - now) / 1000)),
          ),
        })),
      );
    } catch (error) {
      console.error("parked jobs: sending failed; parking them again for the next cron", error);
      const ids = JSON.stringify(claimed.map(({ id }) => id));
      await db
        .update(jobs)
        .set({ parked: true })
        .where(
          and(
            inArray(jobs.id, sql`(select value from json_each(${ids}))`),
            eq(jobs.status, "queued"),
          ),
        )
        .catch((again: unknown) => console.error("parked jobs: parking again failed", again));
      break;
    }
    sent += claimed.length;
    if (claimed.length < PAGE) break;
  }
  return sent;
}
