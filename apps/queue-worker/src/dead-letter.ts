import { database } from "./db/database.ts";
import { findJobStates } from "./db/jobs.ts";
import { markDead } from "./db/outcomes.ts";
import { applyDecision, DEAD_LETTER_RETRY, decideUnmarked } from "./delivery-decision.ts";
import type { Env } from "./env.ts";
import { parseJobMessages } from "./messages.ts";

/**
 * The `jobs-dlq` consumer: a message lands here once the `jobs` queue gave up on it, and its job
 * becomes `dead`, keeping the last error its runs recorded. All marks go out in one D1 batch. A
 * job that finished meanwhile is left as it is; one still running under a live lease is looked at
 * again when the lease ends.
 */
export async function handleDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = database(env.DB);
  const letters = parseJobMessages(batch, "dead letter");
  if (letters.length === 0) return;
  const now = Date.now();
  let marked: boolean[];
  try {
    marked = await markDead(
      db,
      letters.map((letter) => letter.jobId),
      now,
    );
  } catch (error) {
    console.error("marking dead-lettered jobs failed; retrying", error);
    for (const letter of letters) applyDecision(letter.message, DEAD_LETTER_RETRY);
    return;
  }
  const unmarked = letters.filter((_, index) => !marked[index]);
  letters.forEach((letter, index) => {
    if (marked[index]) letter.message.ack();
  });
  if (unmarked.length === 0) return;
  const states = await findJobStates(
    db,
    unmarked.map((letter) => letter.jobId),
  );
  const byId = new Map(states.map((job) => [job.id, job]));
  for (const letter of unmarked) {
    applyDecision(letter.message, decideUnmarked(byId.get(letter.jobId), now));
  }
}
