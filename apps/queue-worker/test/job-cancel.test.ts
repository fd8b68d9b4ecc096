import { describe, expect, it } from "vitest";
import { claimJob } from "../src/db/claims.ts";
import { HEARTBEAT_MS } from "../src/heartbeat.ts";
import {
  api,
  db,
  deliver,
  enqueueLater,
  expectIdChecks,
  getJob,
  insertJob,
  runsOf,
} from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// POST /v1/jobs/{id}/cancel: a job that waits to run becomes cancelled, and its message is acked
// without running; a running job's signal aborts within a heartbeat and it ends cancelled; a
// finished job answers 409 and stays as it was.

const cancel = (id: string) => api(`/v1/jobs/${id}/cancel`, { method: "POST" });

describe.each(["batched", "per-message"] as const)("cancel (%s status writes)", (mode) => {
  it("cancels a queued job, whose message is then acked without running", async () => {
    const id = await enqueueLater();
    const response = await cancel(id);
    expect(response.status).toBe(200);
    const view = (await response.json()) as { status: string; finishedAt?: string };
    expect(view.status).toBe("cancelled");
    expect(view.finishedAt).toBeDefined();

    const { result, messageIds } = await deliver([id], { env: { STATUS_WRITES: mode } });
    expect(result.explicitAcks).toEqual(messageIds);
    expect(result.retryMessages).toEqual([]);
    expect(await getJob(id)).toMatchObject({ status: "cancelled", attempts: 0, runToken: null });
    expect(await runsOf(id)).toEqual([]);
  });
});

describe.each(["batched", "per-message"] as const)("cancel of a running job (%s)", (mode) => {
  it("aborts the run's signal within a heartbeat; the job and its run end cancelled", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: { durationMs: 60_000 },
      timeoutMs: 120_000,
    });
    const delivery = deliver([id], { env: { STATUS_WRITES: mode } });
    for (let i = 0; i < 100 && (await getJob(id)).status !== "running"; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const askedAt = Date.now();
    const response = await cancel(id);
    expect(response.status).toBe(202);
    expect(((await response.json()) as { status: string }).status).toBe("running");

    const { result, messageIds } = await delivery;
    // Within two heartbeats (and far before the 60 s sleep would end).
    expect(Date.now() - askedAt).toBeLessThan(2 * HEARTBEAT_MS + 1_000);
    expect(result.explicitAcks).toEqual(messageIds);
    expect(await getJob(id)).toMatchObject({ status: "cancelled", runToken: null });
    expect((await getJob(id)).finishedAt).not.toBeNull();
    const runs = await runsOf(id);
    expect(runs.map((run) => run.outcome)).toEqual(["cancelled"]);
    expect(runs[0]?.error).toContain("JobCancelledError");
  });
});

describe("cancel of a running fetch job", () => {
  it("stops its upstream request: the run ends within a heartbeat, not when the upstream answers", async () => {
    const id = await insertJob({
      type: "fetch",
      payload: { url: "https://upstream.test/slow?ms=8000", timeoutMs: 60_000, retries: 0 },
      timeoutMs: 90_000,
    });
    const delivery = deliver([id]);
    for (let i = 0; i < 100 && (await getJob(id)).status !== "running"; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const askedAt = Date.now();
    expect((await cancel(id)).status).toBe(202);
    await delivery;
    expect(Date.now() - askedAt).toBeLessThan(2 * HEARTBEAT_MS + 1_000);
    expect(await getJob(id)).toMatchObject({ status: "cancelled" });
    expect((await runsOf(id)).map((run) => run.outcome)).toEqual(["cancelled"]);
  });
});

describe("cancel", () => {
  it("cancels a failed job waiting for its retry, keeping its last error", async () => {
    const id = await insertJob({
      type: "simulate",
      payload: {},
      status: "failed",
      attempts: 1,
      error: "Error: earlier failure",
    });
    expect((await cancel(id)).status).toBe(200);
    expect(await getJob(id)).toMatchObject({
      status: "cancelled",
      error: "Error: earlier failure",
    });
  });

  it.each(["succeeded", "dead", "cancelled"] as const)(
    "answers 409 for a %s job and changes nothing",
    async (status) => {
      const id = await insertJob({
        type: "simulate",
        payload: {},
        status,
        attempts: 1,
        finishedAt: Date.now() - 1_000,
      });
      const before = await getJob(id);
      const response = await cancel(id);
      expect(response.status).toBe(409);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({
        type: "https://edge-async.dev/problems/job-not-cancellable",
        status: 409,
        jobStatus: status,
      });
      expect(await getJob(id)).toEqual(before);
    },
  );

  it("of a job racing its claim: exactly one of the two wins", async () => {
    for (let round = 0; round < 10; round += 1) {
      const id = await insertJob({ type: "simulate", payload: {} });
      const [claim, response] = await Promise.all([
        claimJob(db, id, { now: Date.now(), leaseMarginMs: 1_000 }),
        cancel(id),
      ]);
      const job = await getJob(id);
      if (claim === undefined) {
        expect(response.status).toBe(200);
        expect(job.status).toBe("cancelled");
      } else {
        // The run started first: it is asked to stop.
        expect(response.status).toBe(202);
        expect(job.status).toBe("running");
        expect(job.cancelRequestedAt).not.toBeNull();
      }
    }
  });

  it("reads another key's job as missing and leaves it; an admin may cancel it", async () => {
    const { keys, apiKeys } = await makeKeys({
      alice: ["jobs:write", "jobs:read"],
      bob: ["jobs:write", "jobs:read"],
      reader: ["jobs:read"],
      admin: ["jobs:admin"],
    });
    const as = (who: keyof typeof keys, path: string, json?: unknown) =>
      callWith({ API_KEYS: apiKeys }, path, { key: keys[who], method: "POST", json });
    const created = await as("alice", "/v1/jobs", {
      type: "simulate",
      payload: {},
      delaySeconds: 3600,
    });
    const { id } = (await created.json()) as { id: string };

    expect((await as("bob", `/v1/jobs/${id}/cancel`)).status).toBe(404);
    expect((await as("reader", `/v1/jobs/${id}/cancel`)).status).toBe(403);
    expect((await getJob(id)).status).toBe("queued");
    expect((await as("admin", `/v1/jobs/${id}/cancel`)).status).toBe(200);
    expect((await getJob(id)).status).toBe("cancelled");
  });

  it("answers a bad or unknown id with problem+json", async () => {
    await expectIdChecks(cancel);
  });
});

describe("cancel of a claimed job waiting for a run slot (batched)", () => {
  it("ends it cancelled within a heartbeat, unrun, while the job ahead of it still runs", async () => {
    const slow = { type: "simulate", payload: { durationMs: 60_000 }, timeoutMs: 120_000 };
    const ahead = await insertJob(slow);
    const waiting = await insertJob(slow);
    // One slot: the batch claims both, runs `ahead`, and `waiting` waits its turn.
    const delivery = deliver([ahead, waiting], {
      env: { STATUS_WRITES: "batched", CONSUMER_CONCURRENCY: "1" },
    });
    for (let i = 0; i < 200 && (await getJob(waiting)).status !== "running"; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const askedAt = Date.now();
    expect((await cancel(waiting)).status).toBe(202);
    for (let i = 0; i < 400 && (await getJob(waiting)).status !== "cancelled"; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(Date.now() - askedAt).toBeLessThan(2 * HEARTBEAT_MS + 1_000);
    expect(await getJob(waiting)).toMatchObject({ status: "cancelled", runToken: null });
    expect((await getJob(ahead)).status).toBe("running");
    const runs = await runsOf(waiting);
    expect(runs.map((run) => run.outcome)).toEqual(["cancelled"]);
    // Let the batch end: the job ahead is cancelled too.
    expect((await cancel(ahead)).status).toBe(202);
    const { result, messageIds } = await delivery;
    expect(result.explicitAcks.sort()).toEqual([...messageIds].sort());
  });
});
