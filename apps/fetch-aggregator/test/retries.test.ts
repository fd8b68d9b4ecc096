import { describe, expect, it } from "vitest";
import {
  type AggregateAnswer,
  aggregate,
  uniqueHost,
  uniqueKey,
  upstreamStats,
} from "./helpers.ts";

async function call(body: unknown): Promise<AggregateAnswer> {
  const response = await aggregate(body);
  expect(response.status).toBe(200);
  return (await response.json()) as AggregateAnswer;
}

describe("retries", () => {
  it("retries 5xx for GETs, waiting at least what Retry-After asks", async () => {
    const key = uniqueKey("flaky");
    const started = Date.now();
    const answer = await call({
      requests: [
        { url: `http://${uniqueHost("r")}/flaky/${key}?failures=1&retryAfter=1`, retries: 3 },
      ],
    });
    const elapsed = Date.now() - started;
    expect(answer.results[0]).toMatchObject({
      ok: true,
      status: 200,
      attempts: 2,
      body: { attempt: 2 },
    });
    // A wait of at least a second (Retry-After is whole seconds); without the header the backoff
    // here is at most ~10 ms.
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect((await upstreamStats(key)).hits).toBe(2);
  });

  it("honours Retry-After given as an HTTP date", async () => {
    const key = uniqueKey("flaky-date");
    // HTTP dates have one-second resolution; two seconds ahead means a wait of 1-2 s
    // (RETRY_MAX_DELAY_MS is 2 500 in vitest.config.ts).
    const date = new Date(Date.now() + 2_000).toUTCString();
    const started = Date.now();
    const answer = await call({
      requests: [
        {
          url: `http://${uniqueHost("r")}/flaky/${key}?failures=1&status=429&retryAfter=${encodeURIComponent(date)}`,
          retries: 1,
        },
      ],
    });
    expect(answer.results[0]).toMatchObject({ ok: true, attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("retries 429, 408 and network errors, but not other 4xx", async () => {
    const host = uniqueHost("r");
    const keys = {
      tooMany: uniqueKey("429"),
      timeout: uniqueKey("408"),
      notFound: uniqueKey("404"),
      reset: uniqueKey("reset"),
    };
    const answer = await call({
      requests: [
        { id: "429", url: `http://${host}/flaky/${keys.tooMany}?status=429`, retries: 2 },
        { id: "408", url: `http://${host}/flaky/${keys.timeout}?status=408`, retries: 2 },
        { id: "404", url: `http://${host}/status/404/${keys.notFound}`, retries: 2 },
        { id: "reset", url: `http://${uniqueHost("reset")}/reset/${keys.reset}`, retries: 1 },
      ],
    });
    const [tooMany, timeout, notFound, reset] = answer.results;
    expect(tooMany).toMatchObject({ ok: true, attempts: 2 });
    expect(timeout).toMatchObject({ ok: true, attempts: 2 });
    expect(notFound).toMatchObject({ ok: false, status: 404, attempts: 1 });
    expect(reset).toMatchObject({ ok: false, attempts: 2, error: { code: "network" } });
    expect((await upstreamStats(keys.notFound)).hits).toBe(1);
    expect((await upstreamStats(keys.reset)).hits).toBe(2);
  });

  it("never retries a POST", async () => {
    const key = uniqueKey("post");
    const answer = await call({
      requests: [
        {
          url: `http://${uniqueHost("r")}/flaky/${key}?failures=5`,
          method: "POST",
          body: "x",
          retries: 3,
        },
      ],
    });
    expect(answer.results[0]).toMatchObject({ ok: false, status: 503, attempts: 1 });
    expect((await upstreamStats(key)).hits).toBe(1);
  });

  it("gives up when Retry-After asks for more than the deadline allows", async () => {
    const key = uniqueKey("far");
    const started = Date.now();
    const answer = await call({
      deadlineMs: 1_000,
      requests: [
        { url: `http://${uniqueHost("r")}/flaky/${key}?failures=1&retryAfter=30`, retries: 3 },
      ],
    });
    expect(Date.now() - started).toBeLessThan(800);
    expect(answer.results[0]).toMatchObject({
      ok: false,
      status: 503,
      attempts: 1,
      error: { code: "http" },
    });
  });

  it("stops retrying at the deadline, reporting the last status seen", async () => {
    const key = uniqueKey("until-deadline");
    const started = Date.now();
    const answer = await call({
      deadlineMs: 400,
      requests: [
        { url: `http://${uniqueHost("r")}/flaky/${key}?failures=100&delay=150`, retries: 5 },
      ],
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    const [result] = answer.results;
    expect(result).toMatchObject({ ok: false, status: 503, error: { code: "deadline" } });
    expect(result?.attempts).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await upstreamStats(key)).aborted).toBe(1);
  });

  it("retries a per-attempt timeout", async () => {
    const key = uniqueKey("slow-then-fast");
    const answer = await call({
      requests: [
        { url: `http://${uniqueHost("r")}/slow/${key}?ms=400`, timeoutMs: 100, retries: 1 },
      ],
    });
    expect(answer.results[0]).toMatchObject({ ok: false, attempts: 2, error: { code: "timeout" } });
    await expect.poll(async () => (await upstreamStats(key)).aborted).toBe(2);
  });
});
