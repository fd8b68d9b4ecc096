import {
  createExecutionContext,
  createMessageBatch,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { getJob, insertJob } from "./fixtures/jobs.ts";

let messageCounter = 0;

/** Runs the consumer over one job message, with `bindings` over the test env. */
async function consume(jobId: string, bindings: Partial<Cloudflare.Env>): Promise<void> {
  const batch = createMessageBatch("jobs", [
    { id: `deadline-${++messageCounter}`, timestamp: new Date(), attempts: 1, body: { jobId } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
}

describe("deadlines over the FEED service binding", () => {
  it("each post of an ingest run tells paginated-feed how long the run will wait for it", async () => {
    const budgets: (string | null)[] = [];
    const feed = {
      fetch: (request: Request) => {
        budgets.push(request.headers.get("request-timeout-ms"));
        return env.FEED.fetch(request);
      },
    } as unknown as Fetcher;
    const id = await insertJob({
      type: "ingest",
      payload: {
        // 150 items: two posts of at most 100.
        feedUrl: "https://upstream.test/feed.json?items=150&prefix=deadline",
        topic: "deadline",
        timeoutMs: 4_000,
      },
    });
    await consume(id, { FEED: feed });
    const job = await getJob(id);
    expect(job.status, job.error ?? "").toBe("succeeded");
    expect(budgets).toHaveLength(2);
    for (const budget of budgets) {
      expect(budget).toMatch(/^[0-9]+$/);
      expect(Number(budget)).toBeGreaterThan(0);
      expect(Number(budget)).toBeLessThanOrEqual(4_000);
    }
  });
});
