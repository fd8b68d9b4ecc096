import { env } from "cloudflare:workers";
import { ndjsonLines } from "@edge-async/client";
import { expect, it, vi } from "vitest";
import type { GroupView } from "../src/groups-contract.ts";
import { api } from "./fixtures/jobs.ts";

// Groups end to end on the real local queue (see e2e-queue.test.ts): a failFast group of 200 whose
// child 20 dies on its first run (its upstream's body is past its maxBytes, a permanent error), a settle group of
// 200 of which 30% die (40 at once on that error, 20 after five failed runs through the dead-letter
// queue: deterministic, picked by index), beside 500 independent jobs. Every job ends in exactly one
// final state, none is lost, none succeeds twice, and each group's summary matches its jobs.

const GROUP = 200;
const INDEPENDENT = 500;

const quick = { type: "simulate", payload: { durationMs: 20 } };
// A body past maxBytes is a permanent error: the job is dead on its first run.
const tooBig = {
  type: "fetch",
  payload: { url: "https://upstream.test/big?bytes=5000", maxBytes: 1024, retries: 0 },
};
const flaky = { type: "simulate", payload: { durationMs: 1, failureRate: 1 } };
// Long enough to be running when child 20 dies: its abort comes through the heartbeat.
const long = { type: "simulate", payload: { durationMs: 4_000 }, timeoutMs: 30_000 };

interface Ended {
  id: string;
  groupId: string | null;
  status: string;
  attempts: number;
  runs: number;
  wins: number;
  aborted: number;
}

async function createGroup(body: object): Promise<{ id: string; jobs: { id: string }[] }> {
  const response = await api("/v1/groups", { method: "POST", json: body });
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; jobs: { id: string }[] };
}

/** The group's summary line and child lines, read from its NDJSON follow. */
async function follow(id: string) {
  const response = await api(`/v1/groups/${id}?stream=ndjson`);
  expect(response.status).toBe(200);
  const children: { id: string; status: string }[] = [];
  let summary: GroupView | undefined;
  type Line = { child?: { id: string; status: string }; summary?: GroupView };
  for await (const line of ndjsonLines<Line>(response.body!)) {
    if (line.child !== undefined) children.push(line.child);
    if (line.summary !== undefined) summary = line.summary;
  }
  return { children, summary };
}

function countsOf(jobs: Ended[]) {
  const counts = { queued: 0, running: 0, succeeded: 0, failed: 0, dead: 0, cancelled: 0 };
  for (const job of jobs) counts[job.status as keyof typeof counts] += 1;
  return counts;
}

it(`a failFast group of ${GROUP}, a settle group of ${GROUP} at 30% failures and ${INDEPENDENT} independent jobs each end in exactly one final state, none lost, none won twice, summaries matching`, async () => {
  const tag = `groups-e2e-${crypto.randomUUID()}`;
  const failFast = await createGroup({
    failFast: true,
    jobs: Array.from({ length: GROUP }, (_, i) =>
      i === 20 ? tooBig : i % 10 === 5 ? long : quick,
    ),
  });
  const settle = await createGroup({
    jobs: Array.from({ length: GROUP }, (_, i) =>
      i % 10 < 2 ? tooBig : i % 10 === 2 ? flaky : quick,
    ),
  });
  const independent: string[] = [];
  for (let offset = 0; offset < INDEPENDENT; offset += 100) {
    const jobs = Array.from({ length: 100 }, (_, i) => ({
      ...quick,
      payload: { durationMs: 2, failureRate: 0.1 },
      idempotencyKey: `${tag}-${offset + i}`,
    }));
    const response = await api("/v1/jobs/batch", { method: "POST", json: { jobs } });
    expect(response.status).toBe(202);
    independent.push(
      ...((await response.json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id),
    );
  }

  const mine = `(j.group_id in (?, ?) or j.idempotency_key like ?)`;
  const binds = [failFast.id, settle.id, `${tag}-%`];
  await vi.waitUntil(
    async () => {
      const open = await env.DB.prepare(
        `select count(*) as n from jobs j where ${mine} and j.status not in ('succeeded', 'dead', 'cancelled')`,
      )
        .bind(...binds)
        .first<{ n: number }>();
      return open?.n === 0;
    },
    { timeout: 50_000, interval: 250 },
  );
  const { results } = await env.DB.prepare(
    `select j.id, j.group_id as groupId, j.status, j.attempts,
            count(r.run_token) as runs, coalesce(sum(r.outcome = 'succeeded'), 0) as wins,
            coalesce(sum(r.outcome = 'cancelled'), 0) as aborted
       from jobs j left join job_runs r on r.job_id = j.id
      where ${mine}
      group by j.id`,
  )
    .bind(...binds)
    .all<Ended>();

  // None lost, each in one final state, none won twice, every claimed run on the ledger once.
  const expected = [...failFast.jobs, ...settle.jobs].map((job) => job.id).concat(independent);
  expect(new Set(results.map((job) => job.id))).toEqual(new Set(expected));
  expect(results).toHaveLength(2 * GROUP + INDEPENDENT);
  for (const job of results) {
    expect(["succeeded", "dead", "cancelled"]).toContain(job.status);
    expect(job.wins).toBe(job.status === "succeeded" ? 1 : 0);
    expect(job.runs).toBe(job.attempts);
  }
  const ofGroup = (id: string) => results.filter((job) => job.groupId === id);

  // failFast: child 20 died, the others that had not finished were cancelled (some mid-run).
  const dying = failFast.jobs[20]!.id;
  const fastJobs = ofGroup(failFast.id);
  expect(fastJobs.find((job) => job.id === dying)?.status).toBe("dead");
  expect(fastJobs.filter((job) => job.status === "dead")).toHaveLength(1);
  expect(fastJobs.filter((job) => job.status === "cancelled").length).toBeGreaterThan(0);
  // Child 15 (4 s) was running when child 20 died: its run was aborted through the heartbeat.
  expect(fastJobs.find((job) => job.id === failFast.jobs[15]!.id)).toMatchObject({
    status: "cancelled",
    aborted: 1,
  });
  const fast = await follow(failFast.id);
  expect(fast.summary).toMatchObject({
    status: "failed",
    done: true,
    failedBy: dying,
    total: GROUP,
    counts: countsOf(fastJobs),
  });
  expect(new Set(fast.children.map((child) => child.id))).toEqual(
    new Set(failFast.jobs.map((job) => job.id)),
  );

  // Settle: every child ran to its own end; exactly the 30% picked died.
  const settleJobs = ofGroup(settle.id);
  expect(countsOf(settleJobs)).toMatchObject({ succeeded: 140, dead: 60, cancelled: 0 });
  const settled = await follow(settle.id);
  expect(settled.summary).toMatchObject({
    status: "completed",
    done: true,
    counts: countsOf(settleJobs),
  });
  expect(settled.children).toHaveLength(GROUP);
  const page = (await (await api(`/v1/groups/${settle.id}?limit=1`)).json()) as {
    group: GroupView;
  };
  expect(page.group).toEqual(settled.summary);
  console.log(
    `groups e2e: failFast ${JSON.stringify(fast.summary?.counts)}, settle ${JSON.stringify(settled.summary?.counts)}`,
  );
}, 60_000);
