import { mapConcurrent, withTimeout } from "@edge-async/async-utils";
import type { TargetPolicy } from "@edge-async/http";
import * as z from "zod";
import { retryDelaySeconds } from "./backoff.ts";
import { type Config, readConfig } from "./config.ts";
import {
  type Claim,
  type ClaimAttempt,
  claimJob,
  claimJobs,
  type Database,
  database,
  findJob,
  type JobState,
} from "./db/repository.ts";
import type { Env } from "./env.ts";
import { describeError, PermanentJobError, RetryableJobError } from "./errors.ts";
import { resolveJob } from "./job-types/registry.ts";
import {
  createOutcomeWriter,
  type OutcomeWriter,
  secondsUntil,
  settle,
  type Verdict,
} from "./outcome-writer.ts";

/**
 * Shape of a message body on the `jobs` queues.
 *
 * @example
 * ```ts
 * import { jobMessageSchema } from "./consumer.ts";
 * const body = jobMessageSchema.safeParse(message.body);
 * ```
 */
export const jobMessageSchema = z.object({ jobId: z.string().min(1).max(100) });

/**
 * The `jobs` queue consumer: runs a batch's jobs with bounded concurrency, each claimed in D1
 * first so a redelivered or duplicated message never runs a job twice at once, under its own
 * timeout; then records the outcomes (one D1 batch, or one write each) and acks or retries every
 * message on its own, with exponential backoff and full jitter.
 *
 * With `STATUS_WRITES=batched` the whole batch is claimed up front in one D1 batch
 * ({@link claimJobs}); with `per-message` each job is claimed right before its run.
 *
 * @example
 * ```ts
 * import { consumeJobs } from "./consumer.ts";
 * export default { queue: (batch, env) => consumeJobs(batch, env) } satisfies ExportedHandler<Env>;
 * ```
 */
export async function consumeJobs(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = readConfig(env);
  const db = database(env.DB);
  const writer = createOutcomeWriter(db, config.statusWrites);
  const deps = { env, config, db, writer };
  const deliveries: Delivery[] = [];
  for (const message of batch.messages) {
    const body = jobMessageSchema.safeParse(message.body);
    if (body.success) deliveries.push({ message, jobId: body.data.jobId });
    else {
      // Nothing to run or to mark: retrying a malformed message cannot help.
      console.error("dropping a malformed message", message.id, JSON.stringify(message.body));
      message.ack();
    }
  }
  if (config.statusWrites === "batched") await claimThenRun(deliveries, deps);
  else {
    await mapConcurrent(deliveries, (delivery) => claimAndRun(delivery, deps), {
      concurrency: config.consumerConcurrency,
      stopOnError: false,
    });
  }
  await writer.flush();
}

interface Deps {
  env: Env;
  config: Config;
  db: Database;
  writer: OutcomeWriter;
}

interface Delivery {
  message: Message<unknown>;
  jobId: string;
}

/** Per-message claims: each job is claimed (one round trip) when its slot comes up, then run. */
async function claimAndRun(delivery: Delivery, deps: Deps): Promise<void> {
  const { message, jobId } = delivery;
  try {
    const now = Date.now();
    const claim = await claimJob(deps.db, jobId, {
      now,
      leaseMarginMs: deps.config.leaseMarginMs,
    });
    if (claim === undefined) {
      settle(message, verdictWithoutClaim(jobId, await findJob(deps.db, jobId), now));
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
async function claimThenRun(deliveries: Delivery[], deps: Deps): Promise<void> {
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
      },
    );
  } catch (error) {
    // The batch is one transaction: nothing was claimed.
    for (const { message, jobId } of deliveries) retryLater(message, jobId, error, deps.config);
    return;
  }
  const claimed: { message: Message<unknown>; claim: Claim }[] = [];
  deliveries.forEach(({ message, jobId }, index) => {
    const attempt = attempts[index];
    if (attempt?.claimed) claimed.push({ message, claim: attempt.claim });
    else settle(message, verdictWithoutClaim(jobId, attempt?.job, now));
  });
  await mapConcurrent(
    claimed,
    async ({ message, claim }) => {
      try {
        // The ledger's start is when the run started, not when the batch was claimed.
        await runAndRecord(message, { ...claim, startedAt: Date.now() }, deps);
      } catch (error) {
        retryLater(message, claim.job.id, error, deps.config);
      }
    },
    { concurrency: deps.config.consumerConcurrency, stopOnError: false },
  );
}

async function runAndRecord(message: Message<unknown>, claim: Claim, deps: Deps): Promise<void> {
  const outcome = await runClaimed(claim, deps.env, deps.config.outbound);
  await deps.writer.record(
    message,
    claim,
    outcome.write,
    verdictFor(outcome, claim, message, deps.config),
  );
}

/** D1 unreachable or similar: nothing was decided, so come back later. */
function retryLater(message: Message<unknown>, jobId: string, error: unknown, config: Config) {
  console.error(`job ${jobId}: consumer error`, error);
  settle(message, {
    action: "retry",
    delaySeconds: retryDelaySeconds(message.attempts, backoffOf(config)),
  });
}

/** A message whose job could not be claimed: finished, missing, or running under another lease. */
function verdictWithoutClaim(jobId: string, job: JobState | undefined, now: number): Verdict {
  if (job === undefined) {
    console.warn(`job ${jobId}: no such job; acking its message`);
    return { action: "ack" };
  }
  if (job.status === "succeeded" || job.status === "dead") return { action: "ack" };
  if (job.status === "running" && job.leaseExpiresAt !== null) {
    // Another delivery is running it. Come back when its lease ends: by then it has finished, or
    // its runner died and the lease can be taken over. Acking here could strand the job.
    return { action: "retry", delaySeconds: secondsUntil(job.leaseExpiresAt, now) + 1 };
  }
  // queued/failed but the claim missed: a race with another claimer that just finished.
  return { action: "retry", delaySeconds: 1 };
}

interface RunResult {
  write:
    | { kind: "succeeded"; result: unknown }
    | { kind: "failed"; error: string }
    | { kind: "dead"; error: string };
  retryAfterMs?: number | undefined;
}

async function runClaimed(claim: Claim, env: Env, outbound: TargetPolicy): Promise<RunResult> {
  const { job } = claim;
  try {
    const { type, payload } = resolveJob(job.type, job.payload);
    const result = await withTimeout(
      (signal) =>
        type.run(payload, { signal, env, outbound, jobId: job.id, attempt: job.attempts }),
      job.timeoutMs,
      { message: `the ${job.type} job exceeded its ${job.timeoutMs} ms timeout` },
    );
    return { write: { kind: "succeeded", result } };
  } catch (error) {
    if (error instanceof PermanentJobError) {
      return { write: { kind: "dead", error: describeError(error) } };
    }
    return {
      write: { kind: "failed", error: describeError(error) },
      retryAfterMs: error instanceof RetryableJobError ? error.retryAfterMs : undefined,
    };
  }
}

function verdictFor(
  outcome: RunResult,
  claim: Claim,
  message: Message<unknown>,
  config: Config,
): Verdict {
  if (outcome.write.kind !== "failed") return { action: "ack" };
  // The queue dead-letters a message once it has been delivered max_retries + 1 times; no point
  // waiting before that last hand-over.
  if (message.attempts >= config.maxAttempts) return { action: "retry", delaySeconds: 0 };
  const attempt = Math.max(claim.job.attempts, message.attempts);
  const jittered = retryDelaySeconds(attempt, backoffOf(config));
  const hinted = Math.ceil((outcome.retryAfterMs ?? 0) / 1000);
  return {
    action: "retry",
    delaySeconds: Math.min(Math.max(jittered, hinted), config.retryMaxDelaySeconds),
  };
}

function backoffOf(config: Config) {
  return { baseSeconds: config.retryBaseDelaySeconds, maxSeconds: config.retryMaxDelaySeconds };
}
