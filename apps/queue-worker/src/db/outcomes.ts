import { and, eq, sql } from "drizzle-orm";
import { callbackDueOnFinish } from "../callbacks.ts";
import { type Progress, progressColumns } from "../progress.ts";
import { type Claim, claimable } from "./claims.ts";
import { type Database, runBatch, type Statement } from "./database.ts";
import { type JobRunRow, jobRuns, jobs } from "./schema.ts";

/** How one run ended, ready to be written; `failed` will be retried, the others are final. */
export type RunOutcomeWrite = (
  | { kind: "succeeded"; result: unknown }
  | { kind: "failed"; error: string }
  | { kind: "dead"; error: string }
  | { kind: "cancelled"; error: string }
) & {
  /** The run's last progress report, when it was not written yet. */
  progress?: Progress | undefined;
};

/**
 * The statements recording a run's outcome: the job's status (only if this run still holds the
 * claim, matched by run token, so a run whose lease was taken over cannot overwrite the newer one;
 * returns the id, or no row when the claim was lost) and the run's outcome on its ledger line.
 */
export function outcomeStatements(
  db: Database,
  claim: Claim,
  outcome: RunOutcomeWrite,
  now: number,
): [Statement, Statement] {
  const finished = outcome.kind !== "failed";
  const update = db
    .update(jobs)
    .set({
      status: outcome.kind,
      result: outcome.kind === "succeeded" ? JSON.stringify(outcome.result ?? null) : null,
      error: outcome.kind === "succeeded" ? null : outcome.error,
      runToken: null,
      leaseExpiresAt: null,
      updatedAt: now,
      finishedAt: finished ? now : null,
      ...(finished ? callbackDueOnFinish(now) : {}),
      ...(outcome.progress === undefined ? {} : progressColumns(outcome.progress)),
    })
    .where(and(eq(jobs.id, claim.job.id), eq(jobs.runToken, claim.runToken)))
    .returning({ id: jobs.id });
  const run: JobRunRow = {
    runToken: claim.runToken,
    jobId: claim.job.id,
    attempt: claim.job.attempts,
    outcome: outcome.kind,
    error: outcome.kind === "succeeded" ? null : outcome.error,
    startedAt: claim.startedAt,
    finishedAt: now,
  };
  // The claim's batch inserted the run `running`; a run claimed before that line existed has none.
  const ledger = db
    .insert(jobRuns)
    .values(run)
    .onConflictDoUpdate({
      target: jobRuns.runToken,
      set: {
        outcome: run.outcome,
        error: run.error,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      },
    });
  return [update, ledger];
}

/**
 * Marks a dead-lettered job `dead`, keeping its last error, unless it finished or is running under
 * a live lease (the same condition as a claim). Returns the id when it was marked.
 */
function markDeadStatement(db: Database, id: string, now: number) {
  return db
    .update(jobs)
    .set({
      status: "dead",
      error: sql`'gave up after ' || ${jobs.attempts} || ' attempt(s); last error: ' || coalesce(${jobs.error}, 'none recorded (no run finished)')`,
      runToken: null,
      leaseExpiresAt: null,
      updatedAt: now,
      finishedAt: now,
      ...callbackDueOnFinish(now),
    })
    .where(claimable(id, now))
    .returning({ id: jobs.id });
}

/**
 * Marks the jobs `ids` dead in one D1 batch (one round trip, one transaction). Returns, for each
 * id in order, whether it was marked: `false` for a job that is missing, finished, or running
 * under a live lease.
 */
export async function markDead(db: Database, ids: string[], now: number): Promise<boolean[]> {
  const results = await runBatch(
    db,
    ids.map((id) => markDeadStatement(db, id, now)),
  );
  return ids.map((_, index) => {
    const rows = results[index];
    return Array.isArray(rows) && rows.length > 0;
  });
}
