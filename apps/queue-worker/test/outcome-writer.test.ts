import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { claimJob } from "../src/db/claims.ts";
import { jobs } from "../src/db/schema.ts";
import { createOutcomeWriter } from "../src/outcome-writer.ts";
import { db, deliver, getJob, insertJob, runsOf } from "./fixtures/jobs.ts";

function oneMessage(jobId: string) {
  const batch = createMessageBatch("jobs", [
    { id: `m-${jobId}`, timestamp: new Date(), attempts: 1, body: { jobId } },
  ]);
  return { batch, message: batch.messages[0]!, ctx: createExecutionContext() };
}

describe.each(["batched", "per-message"] as const)("outcome writer (%s)", (mode) => {
  it("does not overwrite a job another run took over, and acks the stale message", async () => {
    const id = await insertJob({ type: "simulate", payload: {} });
    const claim = await claimJob(db, id, { now: Date.now(), leaseMarginMs: 1000 });
    expect(claim).toBeDefined();
    // Another delivery took the job over after our lease ran out.
    await db.update(jobs).set({ runToken: "newer-run" }).where(eq(jobs.id, id));

    const { batch, message, ctx } = oneMessage(id);
    const writer = createOutcomeWriter(db, mode);
    await writer.record(message, claim!, { kind: "succeeded", result: 1 }, { action: "ack" });
    await writer.flush();

    expect(await getJob(id)).toMatchObject({
      status: "running",
      runToken: "newer-run",
      result: null,
    });
    // The stale run is still on the ledger: it did run.
    expect((await runsOf(id)).map((run) => run.outcome)).toEqual(["succeeded"]);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([message.id]);
  });

  it("retries after the lease when the outcome cannot be written", async () => {
    const id = await insertJob({ type: "simulate", payload: {}, timeoutMs: 4_000 });
    const claim = await claimJob(db, id, { now: Date.now(), leaseMarginMs: 1_000 });
    const { message } = oneMessage(id);
    const retry = vi.spyOn(message, "retry");
    const failing = Object.create(db) as typeof db;
    failing.batch = () => Promise.reject(new Error("D1 unavailable")) as never;
    const writer = createOutcomeWriter(failing, mode);
    await writer.record(message, claim!, { kind: "succeeded", result: 1 }, { action: "ack" });
    await writer.flush();

    // The lease is 4 s + 1 s from the claim: come back once it has run out, not before.
    expect(retry).toHaveBeenCalledTimes(1);
    const delay = retry.mock.calls[0]?.[0]?.delaySeconds ?? 0;
    expect(delay).toBeGreaterThanOrEqual(4);
    expect(delay).toBeLessThanOrEqual(5);
    expect((await getJob(id)).status).toBe("running");
  });
});

describe.each(["batched", "per-message"] as const)("outcomes as runs end (%s)", (mode) => {
  it("a fast job reads succeeded while a slow sibling of its batch still runs", async () => {
    const fast = await insertJob({ type: "simulate", payload: { durationMs: 0 } });
    const slow = await insertJob({
      type: "simulate",
      payload: { durationMs: 8_000 },
      timeoutMs: 30_000,
    });
    const delivery = deliver([fast, slow], { env: { STATUS_WRITES: mode } });
    await vi.waitUntil(async () => (await getJob(fast)).status === "succeeded", {
      timeout: 7_000,
      interval: 20,
    });
    // The slow one has not ended: the fast one's outcome did not wait for it.
    expect((await getJob(slow)).status).toBe("running");
    const { result, messageIds } = await delivery;
    expect(result.explicitAcks).toEqual(expect.arrayContaining(messageIds));
    const [done, late] = [await getJob(fast), await getJob(slow)];
    expect(late.status).toBe("succeeded");
    expect(done.finishedAt!).toBeLessThan(late.finishedAt!);
  });
});
