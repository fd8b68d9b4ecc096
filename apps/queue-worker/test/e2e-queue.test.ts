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

// Job control on the real local queue: of 1,000 jobs, 100 long ones are cancelled while the system
// runs them (those already running via the heartbeat, the others before their run), and 100 that
// die (their upstream answers 503 five times) are retried with one bulk retry and then succeed.
const QUICK = 800;
const LONG = 100;
const FLAKY = 100;

interface Ended {
  id: string;
  kind: string;
  status: string;
  wins: number;
  runs: number;
  attempts: number;
}

it(`${QUICK + LONG + FLAKY} jobs, ${LONG} cancelled mid-flight and ${FLAKY} dead ones retried, each end in exactly one final state, none lost, none won twice`, async () => {
  const tag = `control-${crypto.randomUUID()}`;
  // Interleaved, so every queue batch carries some of each.
  const kinds = Array.from({ length: QUICK + LONG + FLAKY }, (_, i) =>
    i % 10 === 8 ? "long" : i % 10 === 9 ? "flaky" : "quick",
  );
  const jobOf = (kind: string, index: number) => {
    const idempotencyKey = `${tag}-${kind}-${index}`;
    if (kind === "long") {
      return {
        type: "simulate",
        payload: { durationMs: 30_000 },
        timeoutMs: 60_000,
        idempotencyKey,
      };
    }
    if (kind === "flaky") {
      return {
        type: "fetch",
        payload: { url: `https://upstream.test/flaky?key=${tag}-${index}&fails=5`, retries: 0 },
        idempotencyKey,
      };
    }
    return { type: "simulate", payload: { durationMs: 2, failureRate: 0.1 }, idempotencyKey };
  };
  const ids = new Map<string, string>();
  for (let offset = 0; offset < kinds.length; offset += 100) {
    const jobs = kinds.slice(offset, offset + 100).map((kind, i) => jobOf(kind, offset + i));
    const response = await api("/v1/jobs/batch", { method: "POST", json: { jobs } });
    expect(response.status).toBe(202);
    const created = ((await response.json()) as { jobs: { id: string }[] }).jobs;
    created.forEach((job, i) => {
      ids.set(job.id, kinds[offset + i]!);
    });
  }
  expect(ids.size).toBe(kinds.length);
  const like = `${tag}-%`;
  const count = async (where: string) =>
    (
      await env.DB.prepare(
        `select count(*) as n from jobs where idempotency_key like ? and ${where}`,
      )
        .bind(like)
        .first<{ n: number }>()
    )?.n ?? 0;

  // Cancel the long jobs once some of them run: those running abort within a heartbeat (202),
  // the others are cancelled before they start (200).
  await vi.waitUntil(
    async () =>
      (await count("status = 'running' and type = 'simulate' and timeout_ms = 60000")) > 0,
    {
      timeout: 30_000,
      interval: 100,
    },
  );
  const longIds = [...ids].filter(([, kind]) => kind === "long").map(([id]) => id);
  const answers = await Promise.all(
    longIds.map(async (id) => (await api(`/v1/jobs/${id}/cancel`, { method: "POST" })).status),
  );
  expect(answers.every((status) => status === 200 || status === 202)).toBe(true);
  expect(answers).toContain(202);

  // The flaky jobs die after five deliveries; then one bulk retry, filtered on their error.
  await vi.waitUntil(async () => (await count("type = 'fetch' and status = 'dead'")) === FLAKY, {
    timeout: 40_000,
    interval: 250,
  });
  const retried = await api("/v1/jobs/retry", {
    method: "POST",
    json: { type: "fetch", error: tag, status: ["dead"], limit: 1_000 },
  });
  const body = (await retried.json()) as { retried: number; hasMore: boolean };
  expect(body).toEqual(expect.objectContaining({ retried: FLAKY, hasMore: false }));

  await vi.waitUntil(
    async () => (await count("status not in ('succeeded', 'dead', 'cancelled')")) === 0,
    { timeout: 40_000, interval: 250 },
  );
  const { results } = await env.DB.prepare(
    `select j.id, j.status, j.attempts,
            count(r.run_token) as runs,
            coalesce(sum(r.outcome = 'succeeded'), 0) as wins
       from jobs j left join job_runs r on r.job_id = j.id
      where j.idempotency_key like ?
      group by j.id`,
  )
    .bind(like)
    .all<Omit<Ended, "kind">>();
  const ended: Ended[] = results.map((row) => ({ ...row, kind: ids.get(row.id) ?? "unknown" }));

  // None lost, each in one final state.
  expect(new Set(ended.map((job) => job.id))).toEqual(new Set(ids.keys()));
  for (const job of ended) expect(["succeeded", "dead", "cancelled"]).toContain(job.status);
  // None won twice: one winning run per succeeded job, none for the others.
  for (const job of ended) expect(job.wins).toBe(job.status === "succeeded" ? 1 : 0);
  // Every long job was cancelled, none ran to its end; every retried one then succeeded (its
  // five failed runs kept on the ledger, and one more that won).
  const of = (kind: string) => ended.filter((job) => job.kind === kind);
  for (const job of of("long")) expect(job.status).toBe("cancelled");
  for (const job of of("flaky")) expect(job).toMatchObject({ status: "succeeded", runs: 6 });
  for (const job of of("quick")) expect(["succeeded", "dead"]).toContain(job.status);
  console.log(
    `e2e control: ${of("quick").filter((job) => job.status === "succeeded").length} quick succeeded, ` +
      `${answers.filter((s) => s === 202).length} long cancelled while running, ` +
      `${answers.filter((s) => s === 200).length} before their run, ${FLAKY} dead retried and succeeded`,
  );
}, 120_000);
