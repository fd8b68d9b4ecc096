import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { database } from "../src/db/database.ts";
import { sweepUnsentJobs } from "../src/sweep.ts";
import {
  api,
  deliver,
  enqueueLater,
  expectIdChecks,
  getJob,
  insertJob,
  runsOf,
} from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// POST /v1/jobs/{id}/retry: a dead or cancelled job is put back queued with fresh attempts and its
// message sent; its old runs stay on the ledger. The queue's sends are caught so that only the
// test's own deliveries run the job.

const retry = (id: string) => api(`/v1/jobs/${id}/retry`, { method: "POST" });

function catchSends() {
  return vi.spyOn(env.JOBS, "send").mockResolvedValue(undefined as never);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("retry", () => {
  it("puts a dead job back with fresh attempts, sends it, and keeps its old runs", async () => {
    const id = await enqueueLater({ durationMs: 1, failureRate: 1 });
    // Its last delivery fails, then the dead-letter queue marks it dead.
    await deliver([id], { attempts: 5 });
    await deliver([id], { queue: env.DEAD_LETTER_QUEUE });
    expect((await getJob(id)).status).toBe("dead");

    const send = catchSends();
    const response = await retry(id);
    expect(response.status).toBe(202);
    expect(response.headers.get("location")).toBe(`/v1/jobs/${id}`);
    const view = (await response.json()) as Record<string, unknown>;
    expect(view).toMatchObject({ id, status: "queued", attempts: 0 });
    expect(view.error).toBeUndefined();
    expect(view.finishedAt).toBeUndefined();
    expect(send).toHaveBeenCalledWith(expect.objectContaining({ jobId: id }), {
      contentType: "json",
    });

    await deliver([id]);
    const runs = (await api(`/v1/jobs/${id}/runs`).then((r) => r.json())) as {
      items: { run: number; attempt: number; outcome: string }[];
    };
    // attempt starts again at 1 after the retry; run tells the two runs apart.
    expect(runs.items.map((run) => [run.run, run.attempt, run.outcome])).toEqual([
      [1, 1, "failed"],
      [2, 1, "failed"],
    ]);
  });

  it("puts a cancelled job back, and it then runs to success", async () => {
    const id = await enqueueLater({ durationMs: 1 });
    expect((await api(`/v1/jobs/${id}/cancel`, { method: "POST" })).status).toBe(200);
    catchSends();
    expect((await retry(id)).status).toBe(202);
    const { result, messageIds } = await deliver([id]);
    expect(result.explicitAcks).toEqual(messageIds);
    expect(await getJob(id)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect((await runsOf(id)).map((run) => run.outcome)).toEqual(["succeeded"]);
  });

  it.each(["queued", "running", "succeeded", "failed"] as const)(
    "answers 409 for a %s job and changes nothing",
    async (status) => {
      const id = await insertJob({
        type: "simulate",
        payload: {},
        status,
        attempts: status === "queued" ? 0 : 1,
        ...(status === "running" ? { runToken: "live", leaseExpiresAt: Date.now() + 60_000 } : {}),
      });
      const send = catchSends();
      const before = await getJob(id);
      const response = await retry(id);
      expect(response.status).toBe(409);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({
        type: "https://edge-async.dev/problems/job-not-retryable",
        jobStatus: status,
      });
      expect(await getJob(id)).toEqual(before);
      expect(send).not.toHaveBeenCalled();
    },
  );

  it("answers 202 when the send fails, and the sweep sends the job later", async () => {
    const id = await enqueueLater({ durationMs: 1 });
    await api(`/v1/jobs/${id}/cancel`, { method: "POST" });
    vi.spyOn(env.JOBS, "send").mockRejectedValue(new Error("queue down"));
    const response = await retry(id);
    expect(response.status).toBe(202);
    expect((await getJob(id)).status).toBe("queued");

    const sendBatch = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    await sweepUnsentJobs(env, database(env.DB), { now: Date.now() + 11 * 60_000 });
    const sent = sendBatch.mock.calls.flatMap(([messages]) =>
      [...messages].map((message) => (message.body as { jobId: string }).jobId),
    );
    expect(sent).toContain(id);
  });

  it("reads another key's job as missing and leaves it; an admin may retry it", async () => {
    const { keys, apiKeys } = await makeKeys({
      alice: ["jobs:write", "jobs:read"],
      bob: ["jobs:write", "jobs:read"],
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
    expect((await as("alice", `/v1/jobs/${id}/cancel`)).status).toBe(200);
    catchSends();

    expect((await as("bob", `/v1/jobs/${id}/retry`)).status).toBe(404);
    expect((await getJob(id)).status).toBe("cancelled");
    expect((await as("admin", `/v1/jobs/${id}/retry`)).status).toBe(202);
    expect((await getJob(id)).status).toBe("queued");
  });

  it("answers a bad or unknown id with problem+json", async () => {
    await expectIdChecks(retry);
  });
});
