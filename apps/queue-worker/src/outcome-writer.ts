import type { Claim } from "./db/claims.ts";
import { type Database, runBatch, type Statement } from "./db/database.ts";
import { outcomeStatements, type RunOutcomeWrite } from "./db/outcomes.ts";
import { applyDecision, type DeliveryDecision, retryAfterLease } from "./delivery-decision.ts";

/**
 * Records run outcomes, then settles their messages: a message is acked or retried only after its
 * outcome is in D1, so a crash in between means a redelivery that finds the job finished.
 */
export interface OutcomeWriter {
  /** Records one run's outcome; `decision` is applied once the write lands. */
  record(
    message: Message<unknown>,
    claim: Claim,
    outcome: RunOutcomeWrite,
    decision: DeliveryDecision,
  ): Promise<void>;
  /** Writes whatever is still pending (batched mode) and settles those messages. */
  flush(): Promise<void>;
}

interface Pending {
  message: Message<unknown>;
  claim: Claim;
  outcome: RunOutcomeWrite;
  decision: DeliveryDecision;
}

/**
 * `batched`: every outcome of a queue batch goes out in one `db.batch()` (one round trip, one
 * transaction) at `flush()`. `per-message`: each outcome is written (status + ledger, one round
 * trip) as soon as its run ends. Kept side by side for the benchmark.
 */
export function createOutcomeWriter(
  db: Database,
  mode: "batched" | "per-message",
  now: () => number = Date.now,
): OutcomeWriter {
  const pending: Pending[] = [];

  async function write(entries: Pending[]): Promise<void> {
    const at = now();
    const statements: Statement[] = entries.flatMap((entry) =>
      outcomeStatements(db, entry.claim, entry.outcome, at),
    );
    let results: unknown[];
    try {
      results = await runBatch(db, statements);
    } catch (error) {
      // The runs' results are lost; their claims stay until the lease ends, so come back then and
      // run again (handlers are idempotent).
      console.error("writing job outcomes failed; retrying after their leases", error);
      for (const entry of entries) applyDecision(entry.message, retryAfterLease(entry.claim, at));
      return;
    }
    entries.forEach((entry, index) => {
      const updated = results[index * 2];
      if (Array.isArray(updated) && updated.length === 0) {
        // Our lease expired and another delivery claimed the job; that delivery settles it.
        console.warn(`job ${entry.claim.job.id}: claim lost before the outcome was written`);
        applyDecision(entry.message, { action: "ack" });
        return;
      }
      applyDecision(entry.message, entry.decision);
    });
  }

  return {
    async record(message, claim, outcome, decision) {
      const entry = { message, claim, outcome, decision };
      if (mode === "per-message") await write([entry]);
      else pending.push(entry);
    },
    async flush() {
      const entries = pending.splice(0);
      if (entries.length > 0) await write(entries);
    },
  };
}
