import { mapConcurrent, Semaphore, withTimeout } from "@edge-async/async-utils";
import { deliverDueCallbacks } from "./callbacks.ts";
import { type KeyLimits, keyLimitsOf, requeueForKey, waitsForKey } from "./concurrency-keys.ts";
import { type Config, parseConfig } from "./config.ts";
import { type Claim, type ClaimAttempt, claimJob, claimJobs } from "./db/claims.ts";
import { type Database, database } from "./db/database.ts";
import { findJob } from "./db/jobs.ts";
import type { RunOutcomeWrite } from "./db/outcomes.ts";
import {
  applyDecision,
  decideAfterRun,
  decideUnclaimed,
  retryAfterError,
} from "./delivery-decision.ts";
import type { Env } from "./env.ts";
import {
  describeError,
  JobCancelledError,
  PermanentJobError,
  RetryableJobError,
} from "./errors.ts";
import { HEARTBEAT_MS, type Heartbeat, startHeartbeat } from "./heartbeat.ts";
import { observeJobRun } from "./job-observability.ts";
import type { JobContext } from "./job-types/job-type.ts";
import { resolveJob } from "./job-types/registry.ts";
import { type JobDelivery, parseJobMessages } from "./messages.ts";
import { createOutcomeWriter, type OutcomeWriter } from "./outcome-writer.ts";
import { createProgressReporter, progressWriter } from "./progress.ts";

/**
 * The `jobs` queue consumer: runs a batch's jobs with bounded concurrency, each claimed in D1
 * first so a redelivered or duplicated message never runs a job twice at once, under its own
 * timeout; records each outcome when its run ends (coalesced with the outcomes that end together,
 * or one write each) and acks or retries every message on its own, with exponential backoff and
 * full jitter.
 *
 * With `STATUS_WRITES=batched` the whole batch is claimed up front in one D1 batch
 * ({@link claimJobs}); with `per-message` each job is claimed right before its run.
 */
export async function consumeJobs(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = parseConfig(env);
  const db = database(env.DB);
  const writer = createOutcomeWriter(db, config.statusWrites);
  // A live run's lease is kept at least one margin plus two beats ahead, so a late beat never lets
  // another delivery take the job over while it still runs.
  const heartbeat = startHeartbeat(db, { renewMs: config.leaseMarginMs + 2 * HEARTBEAT_MS });
  const keyLimits = keyLimitsOf(env);
  const deps = {
    env,
    config,
    db,
    writer,
    heartbeat,
    keyLimits,
    finishedWithCallback: new Set<string>(),
  };
  const deliveries = parseJobMessages(batch, "message");
  try {
    if (config.statusWrites === "batched") await claimThenRun(deliveries, deps);
    else {
      await mapConcurrent(deliveries, (delivery) => claimAndRun(delivery, deps), {
        concurrency: config.consumerConcurrency,
        stopOnError: false,
      });
    }
  } finally {
    heartbeat.stop();
  }
  await writer.flush();
  // First tries of the callbacks of jobs this batch finished; a failed try is the cron's to retry.
  if (deps.finishedWithCallback.size > 0) {
    await deliverDueCallbacks(db, config, { ids: [...deps.finishedWithCallback] }).catch(
      (error: unknown) => console.error("delivering completion callbacks failed", error),
    );
  }
}

interface Deps {
  env: Env;
  config: Config;
  db: Database;
  writer: OutcomeWriter;
  heartbeat: Heartbeat;
  /** Per-key limits the claims hold to (see concurrency-keys.ts). */
  keyLimits: KeyLimits;
  /** Jobs with a callback URL whose run finished them (their callback is due). */
  finishedWithCallback: Set<string>;
}

/** Per-message claims: each job is claimed (one round trip) when its slot comes up, then run. */
async function claimAndRun(delivery: JobDelivery, deps: Deps): Promise<void> {
  const { message, jobId } = delivery;
  try {
    const now = Date.now();
    const claim = await claimJob(deps.db, jobId, {
      now,
      leaseMarginMs: deps.config.leaseMarginMs,
      keyLimits: deps.keyLimits,
    });
    if (claim === undefined) {
      const job = await findJob(deps.db, jobId);
      if (waitsForKey(job)) await requeueForKey(deps.env.JOBS, [message]);
      else applyDecision(message, decideUnclaimed(jobId, job, now));
      return;
    }
    await runAndRecord(message, claim, deps);
  } catch (error) {
    retryLater(message, jobId, error, deps.config);
  }
}

/**
 * Batched claims: every job of the batch is claimed in one D1 batch, in delivery order, so of two
 * messages for one job only the first claims it and the second goes the way of any delivery that
 * finds its job under someone else's lease. Messages whose claim missed are settled at once; the
 * claimed jobs then run through the slots in the order their leases were sized for.
 */
async function claimThenRun(deliveries: JobDelivery[], deps: Deps): Promise<void> {
  if (deliveries.length === 0) return;
  const now = Date.now();
  let attempts: ClaimAttempt[];
  try {
    attempts = await claimJobs(
      deps.db,
      deliveries.map((delivery) => delivery.jobId),
      {
        now,
        leaseMarginMs: deps.config.leaseMarginMs,
        concurrency: deps.config.consumerConcurrency,
        keyLimits: deps.keyLimits,
      },
    );
  } catch (error) {
    // The batch is one transaction: nothing was claimed.
    for (const { message, jobId } of deliveries) retryLater(message, jobId, error, deps.config);
    return;
  }
  const claimed: { message: Message<unknown>; claim: Claim }[] = [];
  const waiting: Message<unknown>[] = [];
  deliveries.forEach(({ message, jobId }, index) => {
    const attempt = attempts[index];
    if (attempt?.claimed) claimed.push({ message, claim: attempt.claim });
    else if (waitsForKey(attempt?.job)) waiting.push(message);
    else applyDecision(message, decideUnclaimed(jobId, attempt?.job, now));
  });
  await requeueForKey(deps.env.JOBS, waiting);
  // Watched from the claim on, not from the run's start: a job cancelled while it waits for a slot
  // leaves the line at once (first come, first served among the others) and ends cancelled.
  const slots = new Semaphore(deps.config.consumerConcurrency);
  await Promise.all(
    claimed.map(async ({ message, claim }) => {
      const watch = deps.heartbeat.watch(claim.runToken);
      try {
        await slots.run(
          // The ledger's start is when the run started, not when the batch was claimed.
          () => runAndRecord(message, { ...claim, startedAt: Date.now() }, deps, watch),
          { signal: watch.signal },
        );
      } catch (error) {
        if (error instanceof JobCancelledError)
          await recordCancelledWhileWaiting(message, claim, error, deps);
        else retryLater(message, claim.job.id, error, deps.config);
      } finally {
        watch.done();
      }
    }),
  );
}

/** A claimed job whose cancel came while it waited for a run slot: it ends cancelled, unrun. */
async function recordCancelledWhileWaiting(
  message: Message<unknown>,
  claim: Claim,
  error: JobCancelledError,
  deps: Deps,
): Promise<void> {
  try {
    if (claim.job.callbackUrl !== null) deps.finishedWithCallback.add(claim.job.id);
    const write: RunOutcomeWrite = { kind: "cancelled", error: describeError(error) };
    await deps.writer.record(message, claim, write, { action: "ack" });
  } catch (failure) {
    retryLater(message, claim.job.id, failure, deps.config);
  }
}

async function runAndRecord(
  message: Message<unknown>,
  claim: Claim,
  deps: Deps,
  watched?: { signal: AbortSignal; done(): void },
): Promise<void> {
  const watch = watched ?? deps.heartbeat.watch(claim.runToken);
  let run: RunResult;
  try {
    // One `job` log line and data point per run, under the enqueuing request's id.
    run = await observeJobRun(message, claim.job, deps.env, () =>
      runClaimed(claim, deps, watch.signal),
    );
  } finally {
    watch.done();
  }
  const decision = decideAfterRun(
    {
      outcome: run.write.kind,
      retryAfterMs: run.retryAfterMs,
      jobAttempts: claim.job.attempts,
      messageAttempts: message.attempts,
    },
    deps.config,
  );
  if (claim.job.callbackUrl !== null && run.write.kind !== "failed") {
    deps.finishedWithCallback.add(claim.job.id);
  }
  await deps.writer.record(message, claim, run.write, decision);
}

/** D1 unreachable or similar: nothing was decided, so come back later. */
function retryLater(message: Message<unknown>, jobId: string, error: unknown, config: Config) {
  console.error(`job ${jobId}: consumer error`, error);
  applyDecision(message, retryAfterError(message.attempts, config));
}

interface RunResult {
  write: RunOutcomeWrite;
  retryAfterMs?: number | undefined;
}

/**
 * Runs a claimed job under its timeout and its cancel signal; a permanent error makes it dead, a
 * cancel cancelled, any other error retryable.
 */
async function runClaimed(claim: Claim, deps: Deps, cancel: AbortSignal): Promise<RunResult> {
  const reporter = createProgressReporter(progressWriter(deps.db, claim.job.id, claim.runToken));
  const run = await runHandler(claim, deps, cancel, reporter.report);
  // The last report not written yet goes with the outcome, in the same statement.
  return { ...run, write: { ...run.write, progress: await reporter.finish() } };
}

async function runHandler(
  claim: Claim,
  { env, config }: Deps,
  cancel: AbortSignal,
  progress: JobContext["progress"],
): Promise<RunResult> {
  const { job } = claim;
  const { outbound } = config;
  try {
    const { type, payload } = resolveJob(job.type, job.payload);
    const result = await withTimeout(
      (signal) =>
        type.run(payload, {
          signal,
          env,
          outbound,
          jobId: job.id,
          attempt: job.attempts,
          progress,
        }),
      job.timeoutMs,
      { message: `the ${job.type} job exceeded its ${job.timeoutMs} ms timeout`, signal: cancel },
    );
    return { write: { kind: "succeeded", result } };
  } catch (error) {
    if (error instanceof JobCancelledError) {
      return { write: { kind: "cancelled", error: describeError(error) } };
    }
    if (error instanceof PermanentJobError) {
      return { write: { kind: "dead", error: describeError(error) } };
    }
    return {
      write: { kind: "failed", error: describeError(error) },
      retryAfterMs: error instanceof RetryableJobError ? error.retryAfterMs : undefined,
    };
  }
}
