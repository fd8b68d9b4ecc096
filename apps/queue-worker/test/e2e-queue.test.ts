import { env } from "cloudflare:workers";
import { expect, it, vi } from "vitest";
import { api } from "./fixtures/jobs.ts";

// End to end on the real local queue: the Workers Vitest integration runs this worker with the
// queues of wrangler.jsonc (producer JOBS, consumers for `jobs` and `jobs-dlq` with their batch
// size, timeout, max_retries and dead-letter queue), so POST -> sendBatch -> local broker ->
// queue() -> D1 is the path production takes. Only the retry delay is shortened (vitest.config.ts).
const JOBS = 1_000;
const FAILURE_RATE = 0.3;

interface Outcome {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
  runs: number;
  wins: number;
}

it(`${JOBS} simulate jobs at ${FAILURE_RATE * 100}% failure all end succeeded or dead, none lost, none won twice`, async () => {
  const tag = `e2e-${crypto.randomUUID()}`;
  const ids: string[] = [];
  for (let batch = 0; batch < JOBS / 100; batch++) {
    const jobs = Array.from({ length: 100 }, (_, i) => ({
      type: "simulate",
      payload: { durationMs: 2, failureRate: FAILURE_RATE },
      idempotencyKey: `${tag}-${batch * 100 + i}`,
    }));
    const response = await api("/v1/jobs/batch", { method: "POST", json: { jobs } });
    expect(response.status).toBe(202);
    ids.push(...((await response.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id));
  }
  expect(new Set(ids).size).toBe(JOBS);

  const pattern = `${tag}-%`;
  await vi.waitUntil(
    async () => {
      const open = await env.DB.prepare(
        "select count(*) as n from jobs where idempotency_key like ? and status not in ('succeeded', 'dead')",
      )
        .bind(pattern)
        .first<{ n: number }>();
      return open?.n === 0;
    },
    { timeout: 50_000, interval: 250 },
  );

  const { results } = await env.DB.prepare(
    `select j.id, j.status, j.attempts, j.error,
            count(r.run_token) as runs,
            coalesce(sum(r.outcome = 'succeeded'), 0) as wins
       from jobs j left join job_runs r on r.job_id = j.id
      where j.idempotency_key like ?
      group by j.id`,
  )
    .bind(pattern)
    .all<Outcome>();

  // None lost: every enqueued job is there and finished.
  expect(results).toHaveLength(JOBS);
  expect(new Set(results.map((job) => job.id))).toEqual(new Set(ids));
  const succeeded = results.filter((job) => job.status === "succeeded");
  const dead = results.filter((job) => job.status === "dead");
  expect(succeeded.length + dead.length).toBe(JOBS);

  // None run to success twice: the run ledger has exactly one winning run per succeeded job and
  // none for a dead one, and every claimed run left exactly one line.
  for (const job of succeeded) expect(job.wins).toBe(1);
  for (const job of dead) expect(job.wins).toBe(0);
  for (const job of results) expect(job.runs).toBe(job.attempts);

  // Dead jobs used all five attempts and say why.
  for (const job of dead) {
    expect(job.attempts).toBe(5);
    expect(job.error).toMatch(
      /^gave up after 5 attempt\(s\); last error: Error: simulated failure/,
    );
  }
  // Failures really happened and were retried (about 30% of first runs fail).
  const retried = results.filter((job) => job.attempts > 1).length;
  expect(retried).toBeGreaterThan(JOBS * 0.2);
  console.log(
    `e2e: ${succeeded.length} succeeded, ${dead.length} dead, ${retried} needed a retry, ` +
      `${results.reduce((sum, job) => sum + job.runs, 0)} runs in all`,
  );
}, 60_000);
