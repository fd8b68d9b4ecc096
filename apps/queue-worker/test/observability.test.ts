import {
  createExecutionContext,
  createMessageBatch,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { DEV_API_KEY, parseTraceparent } from "@edge-async/http";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker, { app } from "../src/index.ts";
import { getJob, insertJob } from "./fixtures/jobs.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

type Line = Record<string, unknown>;

/** The structured lines logged while `work` runs. */
async function logged(work: () => Promise<unknown>): Promise<Line[]> {
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await work();
    return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Line);
  } finally {
    spy.mockRestore();
  }
}

/** An Analytics Engine dataset that keeps what is written to it. */
function recordingDataset(): AnalyticsEngineDataset & { points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, writeDataPoint: (point) => points.push(point ?? {}) };
}

let messageCounter = 0;

/** Runs the consumer over one message per body, with `bindings` over the test env. */
async function consume(bodies: object[], bindings: Partial<Cloudflare.Env> = {}): Promise<void> {
  const batch = createMessageBatch(
    "jobs",
    bodies.map((body) => ({
      id: `obs-${++messageCounter}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
}

afterEach(() => vi.restoreAllMocks());

describe("observability", () => {
  it("the local METRICS binding accepts data points and keeps nothing (miniflare)", () => {
    expect(env.METRICS.writeDataPoint({ indexes: ["simulate"], blobs: ["job"] })).toBeUndefined();
  });

  it("an enqueue carries the request id into the queue message", async () => {
    const sent: MessageSendRequest<unknown>[] = [];
    const jobs = {
      send: async () => ({}),
      sendBatch: async (messages: Iterable<MessageSendRequest<unknown>>) => {
        sent.push(...messages);
        return {};
      },
    } as unknown as Queue;
    const lines = await logged(async () => {
      const ctx = createExecutionContext();
      const response = await app.fetch(
        new Request("http://queue-worker.test/v1/jobs", {
          method: "POST",
          headers: {
            authorization: `Bearer ${DEV_API_KEY}`,
            "content-type": "application/json",
            traceparent: TRACEPARENT,
          },
          body: JSON.stringify({ type: "simulate", payload: { durationMs: 1, failureRate: 0 } }),
        }),
        { ...env, JOBS: jobs },
        ctx,
      );
      expect(response.status).toBe(202);
      await waitOnExecutionContext(ctx);
    });
    expect(sent).toHaveLength(1);
    const body = sent[0]?.body as { jobId: string; traceparent?: string };
    expect(parseTraceparent(body.traceparent)?.traceId).toBe(TRACE_ID);
    expect(lines.find((line) => line.event === "request")).toMatchObject({
      requestId: TRACE_ID,
      route: "/v1/jobs",
      status: 202,
      keyId: "dev",
    });
  });

  it("writes one job line per run under the message's request id, and a data point", async () => {
    const ok = await insertJob({ type: "simulate", payload: { durationMs: 1, failureRate: 0 } });
    const bad = await insertJob({ type: "simulate", payload: { durationMs: 1, failureRate: 1 } });
    const metrics = recordingDataset();
    const lines = await logged(() =>
      consume([{ jobId: ok, traceparent: TRACEPARENT }, { jobId: bad }], { METRICS: metrics }),
    );
    const runs = lines.filter((line) => line.event === "job");
    expect(runs.find((line) => line.jobId === ok)).toEqual({
      event: "job",
      requestId: TRACE_ID,
      jobId: ok,
      type: "simulate",
      attempt: 1,
      outcome: "succeeded",
      durationMs: expect.any(Number),
    });
    const failed = runs.find((line) => line.jobId === bad);
    expect(failed).toMatchObject({ type: "simulate", attempt: 1, outcome: "failed" });
    expect(failed?.error).toContain("simulated failure");
    // No traceparent in the message: a request id of its own, never the other run's.
    expect(failed?.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(failed?.requestId).not.toBe(TRACE_ID);
    const points = metrics.points.filter((point) => point.blobs?.[0] === "job");
    expect(points.map((point) => point.blobs).sort()).toEqual([
      ["job", "simulate", "failed"],
      ["job", "simulate", "succeeded"],
    ]);
    for (const point of points) {
      expect(point.indexes).toEqual(["simulate"]);
      expect(point.doubles).toEqual([expect.any(Number), 1]);
    }
  });

  it("ignores a malformed traceparent in a message and still runs the job", async () => {
    const id = await insertJob({ type: "simulate", payload: { durationMs: 1, failureRate: 0 } });
    const lines = await logged(() => consume([{ jobId: id, traceparent: "00-zz-oops-01" }]));
    expect((await getJob(id)).status).toBe("succeeded");
    expect(lines.find((line) => line.event === "job")?.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("an ingest run passes the request id to paginated-feed over the FEED binding", async () => {
    const seen: (string | null)[] = [];
    const feed = {
      fetch: (request: Request) => {
        seen.push(request.headers.get("traceparent"));
        return env.FEED.fetch(request);
      },
    } as unknown as Fetcher;
    const id = await insertJob({
      type: "ingest",
      payload: { feedUrl: "https://upstream.test/feed.json?items=2&prefix=obs", topic: "obs" },
    });
    await logged(() => consume([{ jobId: id, traceparent: TRACEPARENT }], { FEED: feed }));
    const job = await getJob(id);
    expect(job.status, job.error ?? "").toBe("succeeded");
    expect(seen.length).toBeGreaterThan(0);
    for (const header of seen) expect(parseTraceparent(header)?.traceId).toBe(TRACE_ID);
  });
});
