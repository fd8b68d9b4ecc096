import { inArray } from "drizzle-orm";
import { jobMessageSchema } from "./consumer.ts";
import { database, markDeadStatement, runBatch } from "./db/repository.ts";
import { jobs } from "./db/schema.ts";
import type { Env } from "./env.ts";
import { secondsUntil } from "./outcome-writer.ts";

/**
 * The `jobs-dlq` consumer: a message lands here once the `jobs` queue gave up on it, and its job
 * becomes `dead`, keeping the last error its runs recorded. All marks go out in one D1 batch. A
 * job that finished meanwhile is left as it is; one still running under a live lease is looked at
 * again when the lease ends.
 *
 * @example
 * ```ts
 * import { handleDeadLetters } from "./dead-letter.ts";
 * export default { queue: (batch, env) => handleDeadLetters(batch, env) } satisfies ExportedHandler<Env>;
 * ```
 */
export async function handleDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = database(env.DB);
  const letters: { message: Message<unknown>; jobId: string }[] = [];
  for (const message of batch.messages) {
    const body = jobMessageSchema.safeParse(message.body);
    if (body.success) letters.push({ message, jobId: body.data.jobId });
    else {
      console.error("dropping a malformed dead letter", message.id, JSON.stringify(message.body));
      message.ack();
    }
  }
  if (letters.length === 0) return;
  const now = Date.now();
  let results: unknown[];
  try {
    results = await runBatch(
      db,
      letters.map((letter) => markDeadStatement(db, letter.jobId, now)),
    );
  } catch (error) {
    console.error("marking dead-lettered jobs failed; retrying", error);
    for (const letter of letters) letter.message.retry({ delaySeconds: 5 });
    return;
  }
  const unmarked = letters.filter((_, index) => {
    const rows = results[index];
    return !Array.isArray(rows) || rows.length === 0;
  });
  for (const letter of letters) {
    if (!unmarked.includes(letter)) letter.message.ack();
  }
  if (unmarked.length === 0) return;
  const ids = [...new Set(unmarked.map((letter) => letter.jobId))];
  const rows = await db
    .select({ id: jobs.id, status: jobs.status, leaseExpiresAt: jobs.leaseExpiresAt })
    .from(jobs)
    .where(inArray(jobs.id, ids));
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const letter of unmarked) {
    const job = byId.get(letter.jobId);
    if (job?.status === "running" && job.leaseExpiresAt !== null) {
      letter.message.retry({ delaySeconds: secondsUntil(job.leaseExpiresAt, now) + 1 });
    } else {
      letter.message.ack();
    }
  }
}
