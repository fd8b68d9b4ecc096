import { anyText as anyTextOf, anyUnit, urlText as urlTextOf } from "@edge-async/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gateway, uniqueHost, uniqueKey, upstreamStats } from "./helpers.ts";

// HTTP fuzzing: random malformed requests to every endpoint that takes input never get a 5xx,
// every 4xx is problem+json, and a refused request reaches no upstream (the gateway stores
// nothing; what it must not change is the world outside). Every URL generated here points at
// this file's own host and key, so the test upstream can count what reached it. Each test gets
// 30 s: a run takes a few seconds alone, but the suites share two cores.

const HOST = uniqueHost("fuzz");
const KEY = uniqueKey("fuzz");

const anyText = anyTextOf(24);
const urlText = urlTextOf(["dashboard", "userId", "url", "7"]);
const search = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom("userId", "url"), urlText), urlText), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&"));

/** Upstream URLs: this file's key on fast routes, other hosts, odd and invalid ones. */
const upstreamUrl = fc.oneof(
  fc.constantFrom(
    `http://${HOST}/json/${KEY}`,
    `http://${HOST}/status/404/${KEY}`,
    `http://${HOST}/echo/${KEY}`,
    `http://127.0.0.1/json/${KEY}`,
    `http://not-allowed.example/json/${KEY}`,
    `ftp://${HOST}/json/${KEY}`,
    `/json/${KEY}`,
  ),
  anyText.map((text) => `http://${HOST}/echo/${KEY}/${text}`),
  anyText,
);
const requestSpec = fc.record(
  {
    url: upstreamUrl,
    id: fc.oneof(anyText, fc.integer()),
    method: fc.oneof(fc.constantFrom("GET", "post", "PUT", "TRACE", "CONNECT"), anyText),
    headers: fc.oneof(
      fc.dictionary(fc.oneof(fc.constantFrom("x-a", "accept", "host"), anyText), anyText, {
        maxKeys: 3,
      }),
      anyText,
    ),
    body: fc.jsonValue({ maxDepth: 3, stringUnit: anyUnit }),
    timeoutMs: fc.oneof(fc.integer({ min: -5, max: 400_000 }), anyText),
    retries: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.double()),
    cacheTtlSeconds: fc.integer({ min: -1, max: 100_000 }),
    extra: anyText,
  },
  { requiredKeys: ["url"] },
);
const call = fc.record(
  {
    requests: fc.oneof(fc.array(requestSpec, { maxLength: 3 }), anyText),
    concurrency: fc.integer({ min: -1, max: 2000 }),
    deadlineMs: fc.integer({ min: 0, max: 4_000_000 }),
    failFast: fc.oneof(fc.boolean(), anyText),
  },
  { requiredKeys: ["requests"] },
);
const deep = fc.integer({ min: 1, max: 30_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`);
const tooLarge = JSON.stringify({
  requests: [{ url: `http://${HOST}/json/${KEY}` }],
  x: "x".repeat(70_000),
});
const body = fc.oneof(
  { arbitrary: call.map((value) => JSON.stringify(value)), weight: 5 },
  fc.jsonValue({ maxDepth: 3, stringUnit: anyUnit }).map((value) => JSON.stringify(value)),
  anyText,
  deep.map(
    (nested) =>
      `{"requests":[{"url":"http://${HOST}/json/${KEY}","method":"POST","body":${nested}}]}`,
  ),
  fc.constant(tooLarge),
  fc.uint8Array({ maxLength: 64 }),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 4 },
  fc.constantFrom("application/json; charset=utf-8", "text/plain", "", undefined),
);
const accept = fc.constantFrom(undefined, "application/x-ndjson", "application/json", "*/*", "x");

/**
 * Sends the request and checks the answer: a refusal is problem+json and reaches no upstream.
 * `passThrough`: the route answers with the upstream's own response (the proxy), so a 4xx after
 * the upstream was reached is the upstream's answer, not a refusal.
 */
async function probe(
  send: () => Promise<Response>,
  { head = false, passThrough = false } = {},
): Promise<void> {
  const hitsBefore = (await upstreamStats(KEY)).hits;
  const response = await send();
  expect(response.status).toBeLessThan(500);
  const reached = (await upstreamStats(KEY)).hits > hitsBefore;
  if (response.status < 400 || (passThrough && reached)) {
    await response.arrayBuffer();
    return;
  }
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  if (!head) {
    const problem = (await response.json()) as { type: unknown; title: unknown; status: unknown };
    expect(typeof problem.type).toBe("string");
    expect(typeof problem.title).toBe("string");
    expect(problem.status).toBe(response.status);
  }
  expect((await upstreamStats(KEY)).hits).toBe(hitsBefore);
}

describe("HTTP fuzz (fetch-aggregator)", () => {
  it("POST /v1/aggregate: random bodies, media types and Accept", async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, accept, async (payload, type, wants) => {
        const headers: Record<string, string> = {};
        if (type !== undefined) headers["content-type"] = type;
        if (wants !== undefined) headers.accept = wants;
        await probe(() => gateway("/v1/aggregate", { method: "POST", headers, body: payload }));
      }),
      { numRuns: 150 },
    );
  }, 30_000);

  it("GET /v1/proxy: random query strings", async () => {
    const url = fc.oneof(
      upstreamUrl.map((value) => `url=${encodeURIComponent(value.toWellFormed())}`),
      search,
    );
    await fc.assert(
      fc.asyncProperty(url, async (q) => {
        await probe(() => gateway(`/v1/proxy?${q}`), { passThrough: true });
      }),
      { numRuns: 100 },
    );
  }, 30_000);

  it("GET /v1/views/:name: random names and query strings", async () => {
    const name = fc.oneof(fc.constant("dashboard"), urlText);
    await fc.assert(
      fc.asyncProperty(name, search, async (view, q) => {
        await probe(() => gateway(`/v1/views/${view}?${q}`));
      }),
      { numRuns: 100 },
    );
  }, 30_000);

  it("any method on any path", async () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
    const path = fc.oneof(
      fc.constantFrom("/v1/aggregate", "/v1/views", "/v1/views/dashboard", "/v1/proxy", "/"),
      urlText.map((text) => `/${text.replace(/^\/+/, "")}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, async (verb, route) => {
        const init: RequestInit = { method: verb };
        if (verb !== "GET" && verb !== "HEAD") {
          init.body = "{}";
          init.headers = { "content-type": "application/json" };
        }
        await probe(() => gateway(route, init), { head: verb === "HEAD", passThrough: true });
      }),
      { numRuns: 60 },
    );
  }, 30_000);
});
