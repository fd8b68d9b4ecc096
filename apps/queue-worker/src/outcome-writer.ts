import {
  type Claim,
  type Database,
  outcomeStatements,
  type RunOutcomeWrite,
  runBatch,
  type Statement,
} from "./db/repository.ts";

/**
 * What to tell the queue about a message once its outcome is safely in D1.
 *
 * @example
 * ```ts
 * import type { Verdict } from "./outcome-writer.ts";
 * const verdict: Verdict = { action: "retry", delaySeconds: 8 };
 * ```
 */
export type Verdict = { action: "ack" } | { action: "retry"; delaySeconds: number };

/**
 * Acks or retries one message.
 *
 * @example
 * ```ts
 * import { settle } from "./outcome-writer.ts";
 * settle(message, { action: "retry", delaySeconds: 4 });
 * ```
 */
export function settle(message: Message<unknown>, verdict: Verdict): void {
  if (verdict.action === "ack") message.ack();
  else message.retry({ delaySeconds: verdict.delaySeconds });
}

/**
 * Records run outcomes, then settles their messages: a message is acked or retried only after its
 * outcome is in D1, so a crash in between means a redelivery that finds the job finished.
 *
 * @example
 * ```ts
 * import { createOutcomeWriter, type OutcomeWriter } from "./outcome-writer.ts";
 * const writer: OutcomeWriter = createOutcomeWriter(db, config.statusWrites);
 * ```
 */
export interface OutcomeWriter {
  /** Records one run's outcome; `verdict` is applied once the write lands. */
  record(
    message: Message<unknown>,
    claim: Claim,
    outcome: RunOutcomeWrite,
    verdict: Verdict,
  ): Promise<void>;
  /** Writes whatever is still pending (batched mode) and settles those messages. */
  flush(): Promise<void>;
}

interface Pending {
  message: Message<unknown>;
  claim: Claim;
  outcome: RunOutcomeWrite;
  verdict: Verdict;
}

/**
 * `batched`: every outcome of a queue batch goes out in one `db.batch()` (one round trip, one
 * transaction) at `flush()`. `per-message`: each outcome is written (status + ledger, one round
 * trip) as soon as its run ends. Kept side by side for the benchmark.
 *
 * @example
 * ```ts
 * import { createOutcomeWriter } from "./outcome-writer.ts";
 * const writer = createOutcomeWriter(db, "batched");
 * await writer.record(message, claim, { kind: "succeeded", result }, { action: "ack" });
 * await writer.flush();
 * ```
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
      for (const entry of entries) settle(entry.message, afterLease(entry.claim, at));
      return;
    }
    entries.forEach((entry, index) => {
      const updated = results[index * 2];
      if (Array.isArray(updated) && updated.length === 0) {
        // Our lease expired and another delivery claimed the job; that delivery settles it.
        console.warn(`job ${entry.claim.job.id}: claim lost before the outcome was written`);
        entry.message.ack();
        return;
      }
      settle(entry.message, entry.verdict);
    });
  }

  return {
    async record(message, claim, outcome, verdict) {
      const entry = { message, claim, outcome, verdict };
      if (mode === "per-message") await write([entry]);
      else pending.push(entry);
    },
    async flush() {
      const entries = pending.splice(0);
      if (entries.length > 0) await write(entries);
    },
  };
}

/**
 * A retry timed for when `claim`'s lease has run out, so the redelivery can claim the job again.
 *
 * @example
 * ```ts
 * import { afterLease } from "./outcome-writer.ts";
 * settle(message, afterLease(claim, Date.now()));
 * ```
 */
export function afterLease(claim: Claim, now: number): Verdict {
  const leaseEnd = claim.job.leaseExpiresAt ?? now;
  return { action: "retry", delaySeconds: secondsUntil(leaseEnd, now) };
}

/**
 * Whole seconds from `now` until just past `at`, within what Queues accept (0..43,200).
 *
 * @example
 * ```ts
 * import { secondsUntil } from "./outcome-writer.ts";
 * secondsUntil(Date.now() + 1_500, Date.now()); // 2
 * ```
 */
export function secondsUntil(at: number, now: number): number {
  return Math.min(43_200, Math.max(0, Math.ceil((at - now) / 1000)));
}
