import { env, exports } from "cloudflare:workers";
import { DEV_API_KEY } from "@edge-async/http";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import type * as z from "zod";
import type * as bulkRetry from "../src/bulk-retry-contract.ts";
import {
  ApiError,
  createQueueClient,
  type EnqueuedJob,
  type Job,
  type JobFilters,
  type JobPage,
  type JobRunList,
  type JobStats,
  type NewJob,
  type RetryManyResult,
} from "../src/client.ts";
import type * as contract from "../src/jobs-contract.ts";
import type * as runs from "../src/runs-contract.ts";
import { deliver } from "./fixtures/jobs.ts";

// The client against the worker itself: `exports.default.fetch` stands in for a service binding.

/** A client whose requests are counted, so tests can tell how many pages a walk fetched. */
function counted(options: { retries?: number } = {}) {
  const requests: string[] = [];
  const queue = createQueueClient({
    baseUrl: "https://queue-worker.test",
    headers: { authorization: `Bearer ${DEV_API_KEY}` },
    fetch: (request) => {
      requests.push(
        `${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`,
      );
      return exports.default.fetch(request);
    },
    ...options,
  });
  return { queue, requests };
}

// Delayed an hour, so the local consumer leaves them queued while the tests look at them.
const later = { delaySeconds: 3600 };
const simulate = (extra: Partial<NewJob> = {}): NewJob =>
  ({
    type: "simulate",
    payload: { durationMs: 1 },
    ...later,
    ...extra,
  }) as NewJob;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the client's types", () => {
  it("are the shapes the worker declares and validates", () => {
    // A union of intersections: compared both ways, which tells optional from required too.
    expectTypeOf<NewJob>().toExtend<contract.NewJob>();
    expectTypeOf<contract.NewJob>().toExtend<NewJob>();
    expectTypeOf<Job>().toEqualTypeOf<z.output<typeof contract.jobView>>();
    expectTypeOf<EnqueuedJob>().toEqualTypeOf<
      z.output<typeof contract.enqueuedBatch>["jobs"][number]
    >();
    expectTypeOf<JobPage>().toEqualTypeOf<z.output<typeof contract.jobPage>>();
    expectTypeOf<JobStats>().toEqualTypeOf<z.output<typeof contract.jobStats>>();
    expectTypeOf<JobRunList>().toEqualTypeOf<z.output<typeof runs.jobRunList>>();
    expectTypeOf<RetryManyResult>().toEqualTypeOf<z.output<typeof bulkRetry.bulkRetryResult>>();
    expectTypeOf<JobFilters>().toEqualTypeOf<
      Pick<z.input<typeof contract.listQuery>, "status" | "type">
    >();
  });
});

describe("createQueueClient", () => {
  it("enqueues a job, reads it back, and tells a replay from a creation", async () => {
    const { queue } = counted();
    const idempotencyKey = `client-${crypto.randomUUID()}`;
    const job = simulate({ idempotencyKey });
    const first = await queue.enqueue(job);
    expect(first).toEqual({ id: expect.any(String), status: "queued", created: true });
    expect(await queue.enqueue(job)).toEqual({ ...first, created: false });
    const read = await queue.job(first.id);
    expect(read).toMatchObject({
      id: first.id,
      type: "simulate",
      status: "queued",
      idempotencyKey,
    });
    expect(read.payload).toEqual({ durationMs: 1, failureRate: 0 });
  });

  it("reads a job's runs ledger", async () => {
    const { queue, requests } = counted();
    const { id } = await queue.enqueue(simulate());
    expect(await queue.runs(id)).toEqual({ items: [] });
    await deliver([id]);
    const { items } = await queue.runs(id);
    expect(items).toEqual([
      expect.objectContaining({ attempt: 1, outcome: "succeeded", durationMs: expect.any(Number) }),
    ]);
    expect(requests.at(-1)).toBe(`GET /v1/jobs/${id}/runs`);
    const aborted = AbortSignal.abort(new Error("stop"));
    await expect(queue.runs(id, { signal: aborted })).rejects.toThrow("stop");
  });

  it("cancels a job that waits to run, retries it, and rejects what does not apply with a 409", async () => {
    const { queue, requests } = counted();
    const { id } = await queue.enqueue(simulate());
    expect((await queue.cancel(id)).status).toBe("cancelled");
    expect(requests.at(-1)).toBe(`POST /v1/jobs/${id}/cancel`);
    const again = await queue.cancel(id).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(ApiError);
    expect(again).toMatchObject({ status: 409, problem: { jobStatus: "cancelled" } });
    vi.spyOn(env.JOBS, "send").mockResolvedValue(undefined as never);
    expect(await queue.retry(id)).toMatchObject({ id, status: "queued", attempts: 0 });
    expect(requests.at(-1)).toBe(`POST /v1/jobs/${id}/retry`);
    const notFinished = await queue.retry(id).catch((error: unknown) => error);
    expect(notFinished).toMatchObject({ status: 409, problem: { jobStatus: "queued" } });
  });

  it("retries many by a filter, and deletes a finished job", async () => {
    const { queue, requests } = counted();
    const { id } = await queue.enqueue(simulate());
    await queue.cancel(id);
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch").mockResolvedValue(undefined as never);
    const from = new Date(Date.now() - 60_000).toISOString();
    let retried: string[] = [];
    for (let more = true; more; ) {
      const result = await queue.retryMany({ status: ["cancelled"], from, limit: 100 });
      retried = [...retried, ...result.ids];
      more = result.hasMore;
    }
    expect(retried).toContain(id);
    expect(requests.at(-1)).toBe("POST /v1/jobs/retry");
    expect(sendBatch).toHaveBeenCalled();
    const bad = await queue.retryMany({ limit: 0 }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ status: 400 });
    await queue.cancel(id);
    await queue.deleteJob(id);
    expect(requests.at(-1)).toBe(`DELETE /v1/jobs/${id}`);
    expect(await queue.job(id).catch((error: unknown) => error)).toMatchObject({ status: 404 });
  });

  it("enqueues a batch in request order", async () => {
    const { queue } = counted();
    const jobs = await queue.enqueueBatch([
      simulate(),
      simulate({ type: "fetch", payload: { url: "https://upstream.test/hello" } }),
    ]);
    expect(jobs.map((job) => job.created)).toEqual([true, true]);
    expect((await queue.job(jobs[1]!.id)).type).toBe("fetch");
  });

  it("walks every page of the listing with an async iterator, fetching pages as it goes", async () => {
    const { queue, requests } = counted();
    await queue.enqueueBatch(Array.from({ length: 5 }, () => simulate()));
    const { byStatus } = await queue.stats();
    requests.length = 0;
    const walked: Job[] = [];
    for await (const job of queue.jobs({ status: "queued" }, { pageSize: 2 })) walked.push(job);
    expect(walked.length).toBe(byStatus.queued);
    expect(new Set(walked.map((job) => job.id)).size).toBe(walked.length);
    expect(walked.every((job) => job.status === "queued")).toBe(true);
    const created = walked.map((job) => Date.parse(job.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(requests.length).toBe(Math.ceil(walked.length / 2));
    expect(requests[0]).toBe("GET /v1/jobs?status=queued&limit=2");

    requests.length = 0;
    let seen = 0;
    for await (const _ of queue.jobs({}, { pageSize: 1 })) if (++seen === 2) break;
    expect(requests.length).toBe(2);
  });

  it("honours an AbortSignal on every call", async () => {
    const { queue, requests } = counted();
    const aborted = AbortSignal.abort(new Error("stop"));
    await expect(queue.stats({ signal: aborted })).rejects.toThrow("stop");
    await expect(queue.enqueue(simulate(), { signal: aborted })).rejects.toThrow("stop");
    await expect(queue.jobs({}, { signal: aborted }).next()).rejects.toThrow("stop");
    expect(requests).toEqual([]);
  });

  it("rejects with ApiError carrying the problem", async () => {
    const { queue } = counted();
    const missing = await queue.job(crypto.randomUUID()).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing).toMatchObject({ status: 404, problem: { status: 404 } });
    const invalid = await queue
      .enqueue({ type: "fetch", payload: { url: "ftp://example.com" } })
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({
      status: 400,
      problem: { errors: [{ pointer: "/payload/url", detail: "must be an absolute http(s) URL" }] },
    });
  });

  it("retries a 503 after its Retry-After, and reports one when retries are spent", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch").mockRejectedValueOnce(new Error("queue down"));
    const { queue, requests } = counted({ retries: 1 });
    expect((await queue.enqueue(simulate())).created).toBe(true);
    expect(requests).toEqual(["POST /v1/jobs", "POST /v1/jobs"]);
    send.mockRejectedValue(new Error("queue down"));
    const { queue: noRetry } = counted({ retries: 0 });
    const error = await noRetry.enqueue(simulate()).catch((failure: unknown) => failure);
    expect(error).toMatchObject({ status: 503, retryAfterMs: 1000 });
  });
});
