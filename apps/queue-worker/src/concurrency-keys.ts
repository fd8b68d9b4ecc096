import { ConfigError } from "@edge-async/http";
import { type SQL, sql } from "drizzle-orm";
import * as z from "zod";
import type { JobState } from "./db/jobs.ts";
import type { Env } from "./env.ts";

/**
 * How many jobs of one `concurrencyKey` may run at once: `limits` per key, `defaultLimit` for a
 * key not listed (`undefined`: no limit for it).
 */
export interface KeyLimits {
  limits: Record<string, number>;
  defaultLimit: number | undefined;
}

const limitSchema = z.number().int().min(1).max(10_000);
const limitsSchema = z.record(z.string().min(1).max(200), limitSchema);

/**
 * The per-key limits from `CONCURRENCY_LIMITS` (a JSON object `{ "<key>": <limit> }`) and
 * `DEFAULT_KEY_CONCURRENCY`; both optional. A bad value throws {@link ConfigError} naming it, so
 * the consumer fails its batch (retried) rather than run keys unlimited.
 */
export function keyLimitsOf(env: Pick<Env, "CONCURRENCY_LIMITS" | "DEFAULT_KEY_CONCURRENCY">) {
  const raw = env.CONCURRENCY_LIMITS?.trim();
  let limits: Record<string, number> = {};
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError("CONCURRENCY_LIMITS", "is invalid: not JSON");
    }
    const checked = limitsSchema.safeParse(parsed);
    if (!checked.success) {
      throw new ConfigError(
        "CONCURRENCY_LIMITS",
        'is invalid: expected {"<key>": <whole number 1..10000>, ...}',
      );
    }
    limits = checked.data;
  }
  const fallback = env.DEFAULT_KEY_CONCURRENCY?.trim();
  if (!fallback) return { limits, defaultLimit: undefined } satisfies KeyLimits;
  const defaultLimit = limitSchema.safeParse(Number(fallback));
  if (!defaultLimit.success) {
    throw new ConfigError("DEFAULT_KEY_CONCURRENCY", "is invalid: expected 1..10000");
  }
  return { limits, defaultLimit: defaultLimit.data } satisfies KeyLimits;
}

/**
 * The claim's key condition, for the row being claimed (`"jobs"` in the UPDATE): no key, a key
 * with no limit, or fewer live runs of the key than its limit. A live run is `running` with a
 * lease not expired (a crashed run stops counting when its lease ends, as it stops holding its
 * job); the row itself is left out, so a take-over of its own expired lease counts once.
 *
 * It sits in the claim's own WHERE: D1 runs one statement at a time, so the count and the claim
 * cannot be split by another claim, whichever invocation or redelivery makes it.
 */
export function keyHasRoom(keyLimits: KeyLimits | undefined, now: number): SQL | undefined {
  if (keyLimits === undefined) return undefined;
  const { limits, defaultLimit } = keyLimits;
  if (defaultLimit === undefined && Object.keys(limits).length === 0) return undefined;
  const limit = sql`coalesce((select value from json_each(${JSON.stringify(limits)}) where key = "jobs"."concurrency_key"), ${defaultLimit ?? null})`;
  return sql`("jobs"."concurrency_key" is null or ${limit} is null or (
    select count(*) from "jobs" as r
    where r.concurrency_key = "jobs"."concurrency_key" and r.status = 'running'
      and r.lease_expires_at >= ${now} and r.id <> "jobs"."id") < ${limit})`;
}

/**
 * Whether a job whose claim missed is waiting for its key (the likeliest reason a `queued` or
 * `failed` job with a key is not claimed): its message is put back without counting an attempt.
 */
export function waitsForKey(job: JobState | undefined): boolean {
  return (
    job !== undefined &&
    job.concurrencyKey !== null &&
    (job.status === "queued" || job.status === "failed")
  );
}

/** Seconds a job waiting for its key waits before its next claim: 1 to 3, spread (jitter). */
export function keyWaitSeconds(random: () => number = Math.random): number {
  return 1 + Math.floor(random() * 3);
}

/**
 * Puts back the messages of jobs waiting for their key: each is sent again (one `sendBatch`,
 * same body, a short jittered delay) and only then acked, so the wait spends none of the
 * message's deliveries (a message retried `max_retries` times would be dead-lettered) nor any of
 * the job's attempts. If the send fails, the messages are retried as they are instead.
 */
export async function requeueForKey(queue: Queue, messages: Message<unknown>[]): Promise<void> {
  if (messages.length === 0) return;
  try {
    await queue.sendBatch(
      messages.map((message) => ({
        body: message.body,
        contentType: "json" as const,
        delaySeconds: keyWaitSeconds(),
      })),
    );
  } catch (error) {
    console.error("re-sending jobs waiting for their concurrency key failed", error);
    for (const message of messages) message.retry({ delaySeconds: keyWaitSeconds() });
    return;
  }
  for (const message of messages) message.ack();
}
