import { and, inArray, isNotNull } from "drizzle-orm";
import type { Database } from "./db/database.ts";
import { jobs } from "./db/schema.ts";
import { JobCancelledError } from "./errors.ts";

/** How often a consumer invocation looks for cancels of the jobs it runs, in milliseconds. */
export const HEARTBEAT_MS = 2_000;

/**
 * The cancel watch of one consumer invocation: each running job registers its run token and gets a
 * signal; every {@link HEARTBEAT_MS} ONE D1 query reads which of the invocation's running jobs had
 * a cancel asked, and their signals abort with a {@link JobCancelledError}. No query while nothing
 * runs. A failed beat is logged and the next one tries again.
 */
export interface Heartbeat {
  /** The signal that aborts when run `runToken`'s job is cancelled; call `done()` when it ends. */
  watch(runToken: string): { signal: AbortSignal; done(): void };
  /** Stops the timer (end of the invocation). */
  stop(): void;
}

export function startHeartbeat(db: Database, intervalMs = HEARTBEAT_MS): Heartbeat {
  const watched = new Map<string, AbortController>();
  let beating = false;

  async function beat(): Promise<void> {
    if (beating || watched.size === 0) return;
    beating = true;
    try {
      const rows = await db
        .select({ runToken: jobs.runToken })
        .from(jobs)
        .where(and(inArray(jobs.runToken, [...watched.keys()]), isNotNull(jobs.cancelRequestedAt)));
      for (const { runToken } of rows) {
        if (runToken === null) continue;
        watched.get(runToken)?.abort(new JobCancelledError("the job was cancelled while it ran"));
      }
    } catch (error) {
      console.error("heartbeat: reading cancels failed", error);
    } finally {
      beating = false;
    }
  }

  const timer = setInterval(() => void beat(), intervalMs);
  return {
    watch(runToken) {
      const controller = new AbortController();
      watched.set(runToken, controller);
      return { signal: controller.signal, done: () => watched.delete(runToken) };
    },
    stop() {
      clearInterval(timer);
    },
  };
}
