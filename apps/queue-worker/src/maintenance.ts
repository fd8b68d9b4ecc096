import { deliverDueCallbacks } from "./callbacks.ts";
import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import { purgeFinishedJobs } from "./db/retention.ts";
import type { Env } from "./env.ts";
import { sendDueParkedJobs } from "./parked.ts";

/**
 * The job upkeep of each cron run: sends the parked jobs now within the queue's longest delay,
 * delivers the completion callbacks that are due (retries included), and purges finished jobs
 * older than `JOB_RETENTION_DAYS`, each in bounded batches. Each task runs even when another
 * fails; the errors are returned for the cron handler to raise.
 */
export async function runJobUpkeep(
  env: Env,
  db: Database,
  config: Config,
  options: { now?: number; signal?: AbortSignal } = {},
): Promise<unknown[]> {
  const now = options.now ?? Date.now();
  const errors: unknown[] = [];
  const attempt = async (task: () => Promise<unknown>) => {
    try {
      await task();
    } catch (error) {
      errors.push(error);
    }
  };
  const { signal } = options;
  await attempt(() => sendDueParkedJobs(env, db, { now, ...(signal ? { signal } : {}) }));
  await attempt(() => deliverDueCallbacks(db, config, signal ? { signal } : {}));
  await attempt(() =>
    purgeFinishedJobs(db, {
      now,
      retentionDays: config.retentionDays,
      ...(signal ? { signal } : {}),
    }),
  );
  return errors;
}
