import { describe, expect, it } from "vitest";
import { grantingWorkers, json, postForm, send, signIn, stubWorker } from "./helpers.ts";

const job = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: "simulate",
  status,
  attempts: 1,
  maxAttempts: 3,
  payload: { durationMs: 10 },
  timeoutMs: 30000,
  runAt: "2026-11-29T10:00:00.000Z",
  createdAt: "2026-11-29T10:00:00.000Z",
  updatedAt: "2026-11-29T10:00:01.000Z",
  ...extra,
});
const stats = {
  total: 3,
  byStatus: { queued: 1, running: 0, succeeded: 2, failed: 0, dead: 0, cancelled: 0 },
  byType: { simulate: { queued: 1, running: 0, succeeded: 2, failed: 0, dead: 0, cancelled: 0 } },
};

/** A queue-worker stand-in: a fixed listing, stats, one job and its runs. */
function queueWorker(state = { status: "running", cancelLands: true }) {
  return stubWorker(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/v1/stats") return json(stats);
    if (url.pathname === "/v1/jobs" && request.method === "GET") {
      const second = url.searchParams.get("cursor") === "c2";
      return json({
        items: second
          ? [job("job-3", "succeeded")]
          : [job("job-1", "queued"), job("job-2", "succeeded")],
        nextCursor: second ? null : "c2",
        hasMore: !second,
      });
    }
    if (url.pathname === "/v1/jobs" && request.method === "POST") {
      return json({ id: "job-new", status: "queued", created: true }, 201);
    }
    if (url.pathname === "/v1/jobs/job-1/cancel") {
      // A running job's cancel lands at its runner's next heartbeat: until then it reads running.
      if (state.cancelLands) state.status = "cancelled";
      return json(job("job-1", state.status));
    }
    if (url.pathname === "/v1/jobs/job-1/runs") {
      return json({
        items: [
          { run: 1, attempt: 1, outcome: "cancelled", startedAt: "2026-11-29T10:00:00.500Z" },
          { run: 2, attempt: 1, outcome: "running", startedAt: "2026-11-29T10:00:02.500Z" },
        ],
      });
    }
    if (url.pathname === "/v1/jobs/job-1") return json(job("job-1", state.status));
    return json({ title: "Not Found", status: 404, detail: "no such job" }, 404);
  });
}

async function session(queue = queueWorker()) {
  const workers = grantingWorkers({ JOBS_API: queue.fetcher });
  return { workers, cookie: await signIn(workers), queue };
}

describe("the jobs page", () => {
  it("renders its sections, labelled, with htmx and uPlot from the worker's own assets", async () => {
    const { workers, cookie } = await session();
    const response = await send("/jobs", { headers: { cookie } }, workers);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<script src="/assets/htmx.min.js"');
    expect(html).toContain('<script src="/assets/uPlot.iife.min.js"');
    expect(html).toContain('<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"/>');
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(html).toContain('hx-trigger="load, every 2s"');
    for (const id of ["enqueue-type", "enqueue-duration", "filter-status", "filter-type"]) {
      expect(html).toContain(`<label for="${id}">`);
    }
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("shows counts by status and type, and answers 304 while they stand still", async () => {
    const { workers, cookie } = await session();
    const first = await send("/jobs/counts", { headers: { cookie } }, workers);
    const html = await first.text();
    expect(html).toContain('data-count="succeeded">2<');
    expect(html).toContain('<th scope="row">simulate</th>');
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^W\/"/);
    const again = await send(
      "/jobs/counts",
      { headers: { cookie, "if-none-match": etag } },
      workers,
    );
    expect(again.status).toBe(304);
  });

  it("lists jobs with a next-page link that keeps the filters and follows the cursor", async () => {
    const { workers, cookie, queue } = await session();
    const first = await (
      await send("/jobs/table?status=queued&type=simulate", { headers: { cookie } }, workers)
    ).text();
    expect(first).toContain('href="/jobs/job-1"');
    expect(first).toContain('hx-get="/jobs/table?status=queued&amp;type=simulate&amp;cursor=c2"');
    const sent = new URL(queue.seen.at(-1)?.url ?? "");
    expect(sent.searchParams.get("status")).toBe("queued");
    expect(sent.searchParams.get("type")).toBe("simulate");
    const second = await (
      await send("/jobs/table?cursor=c2", { headers: { cookie } }, workers)
    ).text();
    expect(second).toContain('href="/jobs/job-3"');
    expect(second).not.toContain("Next page");
  });

  it("refuses a bad filter with a problem naming it", async () => {
    const { workers, cookie } = await session();
    const response = await send("/jobs/table?status=sleeping", { headers: { cookie } }, workers);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as {
      errors: { parameter?: string; detail: string }[];
    };
    expect(problem.errors[0]?.parameter).toBe("status");
    expect(problem.errors[0]?.detail).toBe(
      "status must be one of queued, running, succeeded, failed, dead, cancelled",
    );
  });

  it("enqueues a simulate job from the form and links to it", async () => {
    const { workers, cookie, queue } = await session();
    const response = await send(
      "/jobs",
      postForm({ type: "simulate", durationMs: "50", failureRate: "0" }, { cookie }),
      workers,
    );
    expect(response.status).toBe(201);
    expect(await response.text()).toContain('href="/jobs/job-new"');
    const sent = queue.seen.find((request) => request.method === "POST");
    expect(await sent?.json()).toEqual({
      type: "simulate",
      payload: { durationMs: 50, failureRate: 0 },
    });
  });

  it("refuses an enqueue form with a bad field, naming it, and sends nothing", async () => {
    const { workers, cookie, queue } = await session();
    const response = await send(
      "/jobs",
      postForm({ type: "simulate", durationMs: "-5", failureRate: "0" }, { cookie }),
      workers,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("durationMs: must be at least 0");
    const bogus = await send("/jobs", postForm({ type: "bogus" }, { cookie }), workers);
    expect(bogus.status).toBe(400);
    const html = await bogus.text();
    expect(html).toContain("type: must be simulate or fetch");
    expect(html).not.toContain("discriminator");
    expect(queue.seen.some((request) => request.method === "POST")).toBe(false);
  });

  it("shows a job's runs as a timeline with a cancel button, polled while it runs", async () => {
    const { workers, cookie } = await session();
    const html = await (await send("/jobs/job-1", { headers: { cookie } }, workers)).text();
    expect(html).toContain('class="timeline"');
    // A retried job's attempts start again at 1; its runs keep counting.
    expect(html).toContain("Run 1, attempt 1");
    expect(html).toContain("Run 2, attempt 1");
    expect(html).toContain('data-runs="2"');
    expect(html).toContain('hx-post="/jobs/job-1/cancel"');
    expect(html).toContain('hx-trigger="every 2s"');
    expect(html).not.toContain("Retry job");
  });

  it("cancels a job and shows it cancelled, with retry offered and polling stopped", async () => {
    const { workers, cookie } = await session();
    const response = await send("/jobs/job-1/cancel", postForm({}, { cookie }), workers);
    const html = await response.text();
    expect(html).toContain('data-status="cancelled"');
    expect(html).toContain('hx-post="/jobs/job-1/retry"');
    expect(html).not.toContain("every 2s");
  });

  it("says a cancel was requested while the run has not stopped, with no second Cancel", async () => {
    const { workers, cookie } = await session(
      queueWorker({ status: "running", cancelLands: false }),
    );
    const html = await (await send("/jobs/job-1/cancel", postForm({}, { cookie }), workers)).text();
    expect(html).toContain('data-status="running"');
    expect(html).toContain("Cancel requested");
    expect(html).toMatch(/<button id="job-cancel"[^>]*disabled/);
    expect(html).toContain('hx-get="/jobs/job-1/detail?cancelling=1"');
    // The poll carries the state on until the job is final.
    const polled = await (
      await send("/jobs/job-1/detail?cancelling=1", { headers: { cookie } }, workers)
    ).text();
    expect(polled).toContain("Cancel requested");
    const plain = await (await send("/jobs/job-1/detail", { headers: { cookie } }, workers)).text();
    expect(plain).not.toContain("Cancel requested");
    const bad = await send("/jobs/job-1/detail?cancelling=yes", { headers: { cookie } }, workers);
    expect(bad.status).toBe(400);
  });

  it("answers a missing job with 404 and the worker's reason", async () => {
    const { workers, cookie } = await session();
    const response = await send("/jobs/nope/detail", { headers: { cookie } }, workers);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("no such job");
  });

  it("counts finished jobs per second for the chart, and validates its window", async () => {
    const now = new Date();
    const finished = new Date(now.getTime() - 2000).toISOString();
    const queue = stubWorker(() =>
      json({
        items: [
          job("a", "succeeded", { createdAt: finished, finishedAt: finished }),
          job("b", "dead", { createdAt: finished, finishedAt: finished }),
          job("c", "running", { createdAt: finished }),
        ],
        nextCursor: null,
        hasMore: false,
      }),
    );
    const { workers, cookie } = await session(queue);
    const response = await send(
      "/jobs/throughput.json?minutes=1",
      { headers: { cookie } },
      workers,
    );
    const data = (await response.json()) as {
      seconds: number[];
      succeeded: number[];
      failed: number[];
    };
    expect(data.seconds).toHaveLength(60);
    expect(data.succeeded.reduce((a, b) => a + b)).toBe(1);
    expect(data.failed.reduce((a, b) => a + b)).toBe(1);
    for (const minutes of ["99", "0", "%205", "0x5", "%2B5", "1e1", "15.0", ""]) {
      const bad = await send(
        `/jobs/throughput.json?minutes=${minutes}`,
        { headers: { cookie } },
        workers,
      );
      expect(bad.status, minutes).toBe(400);
      expect(bad.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await bad.json()) as { errors: { parameter?: string }[] };
      expect(problem.errors[0]?.parameter).toBe("minutes");
    }
  });

  it("tells a key without jobs:read that it may not read jobs", async () => {
    const forbidden = stubWorker(() => json({ title: "Forbidden", status: 403 }, 403));
    const workers = grantingWorkers({ JOBS_API: forbidden.fetcher });
    const cookie = await signIn(workers);
    const response = await send("/jobs", { headers: { cookie } }, workers);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("may not read jobs");
  });
});
