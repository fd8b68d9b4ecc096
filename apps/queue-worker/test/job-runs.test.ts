import { describe, expect, it } from "vitest";
import { claimJob } from "../src/db/claims.ts";
import { api, db, deliver, insertJob, runsOf } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// GET /v1/jobs/{id}/runs: the runs ledger, one line per attempt, written in the D1 batches that
// claim a job and record its outcome.

interface RunList {
  items: {
    attempt: number;
    outcome: string;
    error?: string;
    startedAt: string;
    finishedAt?: string;
    durationMs?: number;
  }[];
}

const runsFor = async (id: string) => {
  const response = await api(`/v1/jobs/${id}/runs`);
  expect(response.status).toBe(200);
  return (await response.json()) as RunList;
};

describe("the runs ledger", () => {
  it("lists each attempt oldest first with its outcome, error and duration", async () => {
    const enqueue = await api("/v1/jobs", {
      method: "POST",
      json: { type: "simulate", payload: { durationMs: 5, failureRate: 1 }, delaySeconds: 3600 },
    });
    const { id } = (await enqueue.json()) as { id: string };
    expect((await runsFor(id)).items).toEqual([]);

    await deliver([id], { attempts: 1 });
    await deliver([id], { attempts: 2 });
    const { items } = await runsFor(id);
    expect(items.map((run) => [run.attempt, run.outcome])).toEqual([
      [1, "failed"],
      [2, "failed"],
    ]);
    for (const run of items) {
      expect(run.error).toContain("simulated failure");
      expect(Date.parse(run.finishedAt!) - Date.parse(run.startedAt)).toBe(run.durationMs);
      expect(run.durationMs).toBeGreaterThanOrEqual(4);
    }
    expect(Date.parse(items[0]!.finishedAt!)).toBeLessThanOrEqual(Date.parse(items[1]!.startedAt));
  });

  it("shows a run in progress as running, and as lost once another run took the job over", async () => {
    const id = await insertJob({ type: "simulate", payload: {}, timeoutMs: 1_000 });
    const now = Date.now();
    const first = await claimJob(db, id, { now, leaseMarginMs: 1_000 });
    expect(first).toBeDefined();
    const during = await runsFor(id);
    expect(during.items).toEqual([
      { run: 1, attempt: 1, outcome: "running", startedAt: new Date(now).toISOString() },
    ]);

    // The first runner died: its lease ran out and a redelivery claimed the job again.
    const second = await claimJob(db, id, { now: now + 10_000, leaseMarginMs: 1_000 });
    expect(second).toBeDefined();
    const after = await runsFor(id);
    expect(after.items.map((run) => [run.attempt, run.outcome])).toEqual([
      [1, "lost"],
      [2, "running"],
    ]);
  });

  it("writes a claim that missed no line", async () => {
    const id = await insertJob({ type: "simulate", payload: {}, status: "succeeded" });
    expect(await claimJob(db, id, { now: Date.now(), leaseMarginMs: 1_000 })).toBeUndefined();
    expect(await runsOf(id)).toEqual([]);
  });

  it("reads another key's job as missing, and every job with jobs:admin", async () => {
    const { keys, apiKeys } = await makeKeys({
      alice: ["jobs:write", "jobs:read"],
      bob: ["jobs:read"],
      admin: ["jobs:admin"],
    });
    const as = (who: keyof typeof keys, path: string, json?: unknown) =>
      callWith({ API_KEYS: apiKeys }, path, {
        key: keys[who],
        ...(json === undefined ? {} : { method: "POST", json }),
      });
    const created = await as("alice", "/v1/jobs", {
      type: "simulate",
      payload: {},
      delaySeconds: 3600,
    });
    const { id } = (await created.json()) as { id: string };
    await deliver([id]);

    const mine = await as("alice", `/v1/jobs/${id}/runs`);
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as RunList).items.map((run) => run.outcome)).toEqual(["succeeded"]);
    const theirs = await as("bob", `/v1/jobs/${id}/runs`);
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get("content-type")).toBe("application/problem+json");
    expect((await as("admin", `/v1/jobs/${id}/runs`)).status).toBe(200);
  });

  it("answers a bad id with problem+json naming the parameter", async () => {
    const response = await api("/v1/jobs/not-a-uuid/runs");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.stringify(await response.json())).toContain("id must be a job id");
  });
});
