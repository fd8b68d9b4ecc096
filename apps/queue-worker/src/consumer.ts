import { mapConcurrent, withTimeout } from "@edge-async/async-utils";
import * as z from "zod";
import { retryDelaySeconds } from "./backoff.ts";
import { type Config, readConfig } from "./config.ts";
import { type Claim, claimJob, type Database, database, findJob } from "./db/repository.ts";
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
  await mapConcurrent(
    batch.messages,
    (message) => processMessage(message, { env, config, db, writer }),
    { concurrency: config.consumerConcurrency, stopOnError: false },
  );
  await writer.flush();
}

interface Deps {
  env: Env;
  config: Config;
  db: Database;
  writer: OutcomeWriter;
}

async function processMessage(message: Message<unknown>, deps: Deps): Promise<void> {
  const body = jobMessageSchema.safeParse(message.body);
  if (!body.success) {
    // Nothing to run or to mark: retrying a malformed message cannot help.
    console.error("dropping a malformed message", message.id, JSON.stringify(message.body));
    message.ack();
    return;
  }
  const { jobId } = body.data;
  try {
    const now = Date.now();
    const claim = await claimJob(deps.db, jobId, {
      now,
      leaseMarginMs: deps.config.leaseMarginMs,
    });
    if (claim === undefined) {
      settle(message, await verdictWithoutClaim(deps.db, jobId, now));
      return;
    }
    const outcome = await runClaimed(claim, deps.env);
    await deps.writer.record(
      message,
      claim,
      outcome.write,
      verdictFor(outcome, claim, message, deps.config),
    );
  } catch (error) {
    // D1 unreachable or similar: nothing was decided, so come back later.
    console.error(`job ${jobId}: consumer error`, error);
    settle(message, {
      action: "retry",
      delaySeconds: retryDelaySeconds(message.attempts, backoffOf(deps.config)),
    });
  }
}

/** A message whose job could not be claimed: finished, missing, or running under another lease. */
async function verdictWithoutClaim(db: Database, jobId: string, now: number): Promise<Verdict> {
  const job = await findJob(db, jobId);
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

async function runClaimed(claim: Claim, env: Env): Promise<RunResult> {
  const { job } = claim;
  try {
    const { type, payload } = resolveJob(job.type, job.payload);
    const result = await withTimeout(
      (signal) => type.run(payload, { signal, env, jobId: job.id, attempt: job.attempts }),
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
