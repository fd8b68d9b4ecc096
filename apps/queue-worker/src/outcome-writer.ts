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
  /** Waits for every outcome recorded so far to be written and its message settled. */
  flush(): Promise<void>;
}

/**
 * How long a finished run's outcome waits for siblings that end about together before it is
 * written: short next to a job's life, long enough that a batch of short jobs shares a few writes.
 */
export const COALESCE_MS = 10;

interface Pending {
  message: Message<unknown>;
  claim: Claim;
  outcome: RunOutcomeWrite;
  decision: DeliveryDecision;
}

/**
 * `batched`: each outcome is written as soon as its run ends, coalesced with the outcomes that end
 * together: an outcome waits {@link COALESCE_MS} for its siblings, and while a write is in flight the
 * outcomes that end meanwhile gather for the next one (one write at a time, each one `db.batch()`:
 * one round trip, one transaction). So a finished job reads finished while its siblings still
 * run, and a batch whose jobs end together still costs one round trip. `per-message`: each outcome
 * is written on its own (status + ledger, one round trip) as soon as its run ends. Kept side by
 * side for the benchmark.
 */
export function createOutcomeWriter(
  db: Database,
  mode: "batched" | "per-message",
  now: () => number = Date.now,
): OutcomeWriter {
  const pending: Pending[] = [];
  let inFlight: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

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

  /** Writes what is pending, one write at a time, until nothing is left. */
  function drain(): Promise<void> {
    inFlight ??= (async () => {
      while (pending.length > 0) await write(pending.splice(0));
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    async record(message, claim, outcome, decision) {
      const entry = { message, claim, outcome, decision };
      if (mode === "per-message") return write([entry]);
      pending.push(entry);
      timer ??= setTimeout(() => {
        timer = undefined;
        void drain();
      }, COALESCE_MS);
    },
    async flush() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      while (pending.length > 0 || inFlight !== undefined) await drain();
    },
  };
}
