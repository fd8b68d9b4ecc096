import { inArray, sql } from "drizzle-orm";
import type { Database } from "./db/database.ts";
import { jobs } from "./db/schema.ts";
import { JobCancelledError } from "./errors.ts";

/** How often a consumer invocation looks for cancels of the jobs it runs, in milliseconds. */
export const HEARTBEAT_MS = 2_000;

/**
 * The lease and cancel watch of one consumer invocation: each running job registers its run token
 * and gets a signal; every {@link HEARTBEAT_MS} ONE D1 statement renews the leases of all the
 * invocation's running jobs (to at least `renewMs` from now, so a live runner's job is never taken
 * over while it works) and returns which of them had a cancel asked; their signals abort with a
 * {@link JobCancelledError}. No query while nothing runs. A failed beat is logged and the next one
 * tries again.
 */
export interface Heartbeat {
  /** The signal that aborts when run `runToken`'s job is cancelled; call `done()` when it ends. */
  watch(runToken: string): { signal: AbortSignal; done(): void };
  /** Stops the timer (end of the invocation). */
  stop(): void;
}

/** How often to beat, and how far ahead of each beat a running job's lease is kept. */
export interface HeartbeatOptions {
  intervalMs?: number;
  renewMs: number;
  now?: () => number;
}

/**
 * The heartbeat's one statement: renews the leases the runs `runTokens` still hold (a run whose
 * job was taken over matches no row) and returns each one's cancel request. The tokens travel as
 * one JSON parameter, so the statement binds three parameters whatever the number of runs.
 */
export function heartbeatStatement(db: Database, runTokens: string[], leaseUntil: number) {
  const tokens = sql`(select value from json_each(${JSON.stringify(runTokens)}))`;
  return (
    db
      .update(jobs)
      .set({ leaseExpiresAt: sql`max(coalesce(${jobs.leaseExpiresAt}, 0), ${leaseUntil})` })
      // No status test: a run token is set only while its run holds the job (every end clears it),
      // and a status test would lead SQLite to the status index, reading every running job.
      .where(inArray(jobs.runToken, tokens))
      .returning({ runToken: jobs.runToken, cancelRequestedAt: jobs.cancelRequestedAt })
  );
}

export function startHeartbeat(db: Database, options: HeartbeatOptions): Heartbeat {
  const watched = new Map<string, AbortController>();
  const now = options.now ?? Date.now;
  let beating = false;

  async function beat(): Promise<void> {
    if (beating || watched.size === 0) return;
    beating = true;
    try {
      const rows = await heartbeatStatement(db, [...watched.keys()], now() + options.renewMs);
      for (const { runToken, cancelRequestedAt } of rows) {
        if (runToken === null || cancelRequestedAt === null) continue;
        watched.get(runToken)?.abort(new JobCancelledError("the job was cancelled while it ran"));
      }
    } catch (error) {
      console.error("heartbeat: renewing leases and reading cancels failed", error);
    } finally {
      beating = false;
    }
  }

  const timer = setInterval(() => void beat(), options.intervalMs ?? HEARTBEAT_MS);
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
