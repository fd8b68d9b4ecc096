import { MAX_QUEUE_DELAY_SECONDS, retryDelaySeconds } from "./backoff.ts";
import type { Config } from "./config.ts";
import type { Claim } from "./db/claims.ts";
import type { JobState } from "./db/jobs.ts";
import type { RunOutcomeWrite } from "./db/outcomes.ts";
import { FINISHED_STATUSES } from "./db/schema.ts";

/** What to tell the queue about one message: done with it (ack), or deliver it again later. */
export type DeliveryDecision = { action: "ack" } | { action: "retry"; delaySeconds: number };

/** Hands a decision to the queue: `message.ack()` or `message.retry({ delaySeconds })`. */
export function applyDecision(message: Message<unknown>, decision: DeliveryDecision): void {
  if (decision.action === "ack") message.ack();
  else message.retry({ delaySeconds: decision.delaySeconds });
}

/**
 * After a run: a finished job (succeeded or dead) is acked; a failed one is retried with
 * exponential backoff and full jitter, no sooner than an upstream's `Retry-After`, at once on the
 * last delivery so the queue dead-letters it without waiting.
 */
export function decideAfterRun(
  run: {
    outcome: RunOutcomeWrite["kind"];
    retryAfterMs?: number | undefined;
    jobAttempts: number;
    messageAttempts: number;
  },
  config: Config,
): DeliveryDecision {
  if (run.outcome !== "failed") return { action: "ack" };
  // The queue dead-letters a message once it has been delivered max_retries + 1 times; no point
  // waiting before that last hand-over.
  if (run.messageAttempts >= config.maxAttempts) return { action: "retry", delaySeconds: 0 };
  const attempt = Math.max(run.jobAttempts, run.messageAttempts);
  const jittered = retryDelaySeconds(attempt, backoffOf(config));
  const hinted = Math.ceil((run.retryAfterMs ?? 0) / 1000);
  return {
    action: "retry",
    delaySeconds: Math.min(Math.max(jittered, hinted), config.retryMaxDelaySeconds),
  };
}

/**
 * A message whose job could not be claimed: finished or missing (ack), running under another
 * delivery's lease (retry once the lease ends), or a claim that lost a race (retry soon).
 */
export function decideUnclaimed(
  jobId: string,
  job: JobState | undefined,
  now: number,
): DeliveryDecision {
  if (job === undefined) {
    console.warn(`job ${jobId}: no such job; acking its message`);
    return { action: "ack" };
  }
  // Finished, cancelled included: a cancelled job's message is acked without running.
  if ((FINISHED_STATUSES as readonly string[]).includes(job.status)) return { action: "ack" };
  if (job.status === "running" && job.leaseExpiresAt !== null) {
    // Another delivery is running it. Come back when its lease ends: by then it has finished, or
    // its runner died and the lease can be taken over. Acking here could strand the job.
    return afterLeaseEnds(job.leaseExpiresAt, now);
  }
  // queued/failed but the claim missed: a race with another claimer that just finished.
  return { action: "retry", delaySeconds: 1 };
}

/**
 * A dead letter whose job could not be marked dead: running under a live lease, looked at again
 * once the lease ends; otherwise acked, since it finished, is missing, or its latest run's own
 * delivery carries it on.
 */
export function decideUnmarked(job: JobState | undefined, now: number): DeliveryDecision {
  if (job?.status === "running" && job.leaseExpiresAt !== null) {
    return afterLeaseEnds(job.leaseExpiresAt, now);
  }
  return { action: "ack" };
}

/** Marking dead letters failed (D1 unreachable): try the batch again shortly. */
export const DEAD_LETTER_RETRY: DeliveryDecision = { action: "retry", delaySeconds: 5 };

/** D1 unreachable or similar before anything was decided: come back later, with backoff. */
export function retryAfterError(messageAttempts: number, config: Config): DeliveryDecision {
  return { action: "retry", delaySeconds: retryDelaySeconds(messageAttempts, backoffOf(config)) };
}

/**
 * A retry timed for when `claim`'s lease has run out, so the redelivery can claim the job again:
 * used when a run's outcome could not be written and the claim still holds the job.
 */
export function retryAfterLease(claim: Claim, now: number): DeliveryDecision {
  const leaseEnd = claim.job.leaseExpiresAt ?? now;
  return { action: "retry", delaySeconds: secondsUntil(leaseEnd, now) };
}

/**
 * A retry one second past the end of another delivery's lease, capped like every delay: a batch's
 * lease may include a long wait for a run slot.
 */
function afterLeaseEnds(leaseExpiresAt: number, now: number): DeliveryDecision {
  const delaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, secondsUntil(leaseExpiresAt, now) + 1);
  return { action: "retry", delaySeconds };
}

/** Whole seconds from `now` until just past `at`, within what Queues accept (0..86,400). */
function secondsUntil(at: number, now: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((at - now) / 1000)));
}

function backoffOf(config: Config) {
  return { baseSeconds: config.retryBaseDelaySeconds, maxSeconds: config.retryMaxDelaySeconds };
}
