import { describe, expect, it } from "vitest";
import {
  type AggregateAnswer,
  aggregate,
  gateway,
  type ResultLine,
  uniqueHost,
  uniqueKey,
  upstreamStats,
} from "./helpers.ts";

async function call(body: unknown): Promise<{ response: Response; answer: AggregateAnswer }> {
  const response = await aggregate(body);
  expect(response.status).toBe(200);
  return { response, answer: (await response.json()) as AggregateAnswer };
}

function byId(answer: AggregateAnswer): Record<string, ResultLine> {
  return Object.fromEntries(answer.results.map((result) => [result.id, result]));
}

describe("POST /v1/aggregate", () => {
  it("answers every result in request order, JSON parsed and text as text, with Server-Timing", async () => {
    const key = uniqueKey("order");
    const { response, answer } = await call({
      requests: [
        { id: "slow", url: `http://upstream.test/json/${key}?delay=80` },
        { id: "text", url: `http://upstream.test/text/${key}` },
        { url: `http://upstream.test/json/${key}?n=3` },
      ],
    });
    expect(answer.results.map((result) => result.id)).toEqual(["slow", "text", "2"]);
    expect(answer.results[0]).toMatchObject({
      ok: true,
      status: 200,
      attempts: 1,
      body: { key, path: `/json/${key}` },
    });
    expect(answer.results[1]?.body).toBe(`plain text for ${key}`);
    expect(answer.summary).toMatchObject({ total: 3, succeeded: 3, failed: 0 });
    expect(answer.results[0]?.durationMs).toBeGreaterThanOrEqual(80);
    const timing = response.headers.get("server-timing") ?? "";
    expect(timing).toMatch(/^total;dur=\d+(\.\d)?, slowest;desc="slow";dur=\d+/);
  });

  it("reports partial failures per request without failing the call", async () => {
    const key = uniqueKey("partial");
    const host = uniqueHost("partial");
    const { answer } = await call({
      requests: [
        { id: "ok", url: `http://${host}/json/${key}` },
        { id: "missing", url: `http://${host}/status/404/${key}` },
        { id: "broken", url: `http://${host}/status/500/${key}`, retries: 0 },
        { id: "reset", url: `http://${host}/reset/${key}`, retries: 0 },
      ],
    });
    const results = byId(answer);
    expect(results.ok?.ok).toBe(true);
    expect(results.missing).toMatchObject({
      ok: false,
      status: 404,
      attempts: 1,
      body: { status: 404 },
      error: { code: "http" },
    });
    expect(results.broken).toMatchObject({
      ok: false,
      status: 500,
      attempts: 1,
      error: { code: "http" },
    });
    expect(results.reset).toMatchObject({ ok: false, attempts: 1, error: { code: "network" } });
    expect(results.reset?.status).toBeUndefined();
    expect(answer.summary).toMatchObject({ total: 4, succeeded: 1, failed: 3 });
  });

  it("times out a slow request on its own timeout and aborts its fetch", async () => {
    const slow = uniqueKey("timeout");
    const fast = uniqueKey("timeout-fast");
    const started = Date.now();
    const { answer } = await call({
      requests: [
        {
          id: "slow",
          url: `http://upstream.test/slow/${slow}?ms=3000`,
          timeoutMs: 100,
          retries: 0,
        },
        { id: "fast", url: `http://upstream.test/json/${fast}` },
      ],
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(byId(answer).slow).toMatchObject({ ok: false, attempts: 1, error: { code: "timeout" } });
    expect(byId(answer).fast?.ok).toBe(true);
    await expect.poll(async () => (await upstreamStats(slow)).aborted).toBe(1);
  });

  it("answers at the deadline with what finished, every unfinished fetch aborted", async () => {
    const slow = uniqueKey("deadline");
    const fast = uniqueKey("deadline-fast");
    const started = Date.now();
    const { answer } = await call({
      deadlineMs: 200,
      concurrency: 2,
      requests: [
        { id: "fast", url: `http://upstream.test/json/${fast}` },
        ...[1, 2, 3, 4].map((n) => ({
          id: `slow${n}`,
          url: `http://upstream.test/slow/${slow}?ms=5000&n=${n}`,
        })),
      ],
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2_000);
    const results = byId(answer);
    expect(results.fast?.ok).toBe(true);
    for (const n of [1, 2, 3, 4]) expect(results[`slow${n}`]?.error?.code).toBe("deadline");
    // Concurrency 2: the fast one and one slow started, the next slow took the freed slot, the
    // other two never left the queue.
    const started2 = answer.results.filter(
      (result) => result.id.startsWith("slow") && result.attempts === 1,
    );
    expect(started2).toHaveLength(2);
    await expect.poll(async () => (await upstreamStats(slow)).aborted).toBe(2);
    expect((await upstreamStats(slow)).completed).toBe(0);
  });

  it("cancels the rest when failFast sees a failure", async () => {
    const slow = uniqueKey("failfast");
    const { answer } = await call({
      failFast: true,
      requests: [
        { id: "slow", url: `http://upstream.test/slow/${slow}?ms=5000` },
        { id: "bad", url: `http://upstream.test/status/404/${uniqueKey("ff")}?delay=30` },
      ],
    });
    expect(byId(answer).bad?.error?.code).toBe("http");
    expect(byId(answer).slow?.error).toMatchObject({ code: "cancelled" });
    expect(byId(answer).slow?.error?.message).toContain("failFast");
    await expect.poll(async () => (await upstreamStats(slow)).aborted).toBe(1);
  });

  it("never runs more upstream requests at once than the concurrency", async () => {
    const key = uniqueKey("concurrency");
    const { answer } = await call({
      concurrency: 3,
      requests: Array.from({ length: 9 }, (_, n) => ({
        url: `http://upstream.test/slow/${key}?ms=40&n=${n}`,
      })),
    });
    expect(answer.summary.succeeded).toBe(9);
    const stats = await upstreamStats(key);
    expect(stats.hits).toBe(9);
    expect(stats.maxInFlight).toBe(3);
  });

  it("coalesces identical GETs into one upstream request, but never POSTs", async () => {
    const key = uniqueKey("coalesce");
    const url = `http://upstream.test/json/${key}?delay=30`;
    const { answer } = await call({
      concurrency: 1,
      requests: [
        { id: "a", url },
        { id: "b", url },
        { id: "other-accept", url, headers: { accept: "text/plain" } },
        { id: "c", url },
        {
          id: "post1",
          url: `http://upstream.test/echo/${key}-post`,
          method: "POST",
          body: { n: 1 },
        },
        {
          id: "post2",
          url: `http://upstream.test/echo/${key}-post`,
          method: "POST",
          body: { n: 1 },
        },
      ],
    });
    const results = byId(answer);
    expect(answer.summary.succeeded).toBe(6);
    expect(results.a?.coalesced).toBeUndefined();
    expect(results.b?.coalesced).toBe(true);
    expect(results.c?.coalesced).toBe(true);
    expect(results.b?.body).toEqual(results.a?.body);
    expect(results["other-accept"]?.coalesced).toBeUndefined();
    expect((await upstreamStats(key)).hits).toBe(2);
    expect((await upstreamStats(`${key}-post`)).hits).toBe(2);
  });

  it("stops reading a body past the size limit (streamed and declared) with too_large", async () => {
    const streamed = uniqueKey("large");
    const declared = uniqueKey("large-declared");
    const { answer } = await call({
      requests: [
        { id: "streamed", url: `http://upstream.test/large/${streamed}?bytes=5000000` },
        { id: "declared", url: `http://upstream.test/large/${declared}?bytes=5000000&declare=1` },
        { id: "fits", url: `http://upstream.test/large/${uniqueKey("fits")}?bytes=60000` },
      ],
    });
    const results = byId(answer);
    expect(results.streamed).toMatchObject({ ok: false, error: { code: "too_large" } });
    expect(results.declared).toMatchObject({ ok: false, error: { code: "too_large" } });
    expect(results.fits?.ok).toBe(true);
    expect(results.fits?.body).toHaveLength(60_000);
    // The upstream never got to finish sending 5 MB: the worker cancelled the stream.
    await expect.poll(async () => (await upstreamStats(streamed)).aborted).toBe(1);
  });

  it("sends POST bodies as JSON and forwards headers without hop-by-hop ones", async () => {
    const key = uniqueKey("echo");
    const { answer } = await call({
      requests: [
        {
          url: `http://upstream.test/echo/${key}`,
          method: "post",
          headers: {
            "x-api-key": "k1",
            Connection: "x-drop-me",
            "x-drop-me": "1",
            "keep-alive": "timeout=5",
            "proxy-authorization": "secret",
            te: "trailers",
            upgrade: "websocket",
            host: "evil.example",
          },
          body: { hello: "world" },
        },
      ],
    });
    const echoed = answer.results[0]?.body as {
      method: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(echoed.method).toBe("POST");
    expect(JSON.parse(echoed.body)).toEqual({ hello: "world" });
    expect(echoed.headers["content-type"]).toBe("application/json");
    expect(echoed.headers["x-api-key"]).toBe("k1");
    for (const name of ["x-drop-me", "keep-alive", "proxy-authorization", "te", "upgrade"]) {
      expect(echoed.headers[name]).toBeUndefined();
    }
    expect(echoed.headers.host).toBe("upstream.test");
  });

  it("serves repeated GETs from the Cache API across calls when a TTL is set", async () => {
    const key = uniqueKey("cache");
    const request = { url: `http://upstream.test/json/${key}`, cacheTtlSeconds: 60 };
    const first = await call({ requests: [request] });
    const second = await call({ requests: [request] });
    expect(first.answer.results[0]?.cached).toBeUndefined();
    expect(second.answer.results[0]).toMatchObject({ ok: true, cached: true, attempts: 0 });
    expect(second.answer.results[0]?.body).toEqual(first.answer.results[0]?.body);
    expect((await upstreamStats(key)).hits).toBe(1);
    // Requests carrying credentials are never cached.
    const personal = {
      ...request,
      url: `${request.url}?p=1`,
      headers: { authorization: "Bearer t" },
    };
    await call({ requests: [personal] });
    const again = await call({ requests: [personal] });
    expect(again.answer.results[0]?.cached).toBeUndefined();
    expect((await upstreamStats(key)).hits).toBe(3);
  });

  it("follows redirects within the allowlist and refuses those that leave it", async () => {
    const key = uniqueKey("redirect");
    const { answer } = await call({
      requests: [
        {
          id: "inside",
          url: `http://upstream.test/redirect/${key}?to=${encodeURIComponent(`http://other.test/json/${key}`)}`,
        },
        {
          id: "private",
          url: `http://upstream.test/redirect/${key}?to=${encodeURIComponent("http://169.254.169.254/latest/meta-data")}`,
        },
        {
          id: "outside",
          url: `http://upstream.test/redirect/${key}?to=${encodeURIComponent("https://example.com/")}`,
        },
      ],
    });
    const results = byId(answer);
    expect(results.inside).toMatchObject({ ok: true, body: { host: "other.test" } });
    expect(results.private?.error?.code).toBe("blocked");
    expect(results.private?.error?.message).toContain("169.254.0.0/16");
    expect(results.outside?.error?.code).toBe("blocked");
  });

  it("passes one upstream call through on /v1/proxy", async () => {
    const key = uniqueKey("proxy");
    const response = await gateway(
      `/v1/proxy?url=${encodeURIComponent(`http://upstream.test/json/${key}`)}`,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key });
    const blocked = await gateway(`/v1/proxy?url=${encodeURIComponent("http://127.0.0.1:8080/")}`);
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get("content-type")).toBe("application/problem+json");
  });
});
