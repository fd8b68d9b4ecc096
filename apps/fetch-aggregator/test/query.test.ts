import { describe, expect, it } from "vitest";
import { aggregate, gateway, uniqueKey, upstreamStats } from "./helpers.ts";

// Every /v1 route takes only the query parameters it declares (a view: the ones its templates
// name), so a misspelt one is a 400 naming it rather than a call that silently ignores it. The
// shared service routes (/, /healthz, /openapi.json, /docs) read none and ignore any sent.

async function unknownParameters(response: Response): Promise<string[]> {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as { errors: { parameter?: string; detail: string }[] };
  for (const error of problem.errors) expect(error.detail).toMatch(/not a parameter/);
  return problem.errors.map((error) => error.parameter ?? "");
}

describe("unknown query parameters", () => {
  it("POST /v1/aggregate takes none: 400 naming it, no upstream called", async () => {
    const key = uniqueKey("strict-aggregate");
    const response = await gateway("/v1/aggregate?deadline=100", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ url: `http://upstream.test/json/${key}` }] }),
    });
    expect(await unknownParameters(response)).toEqual(["deadline"]);
    expect((await upstreamStats(key)).hits).toBe(0);
    // The same call without it runs.
    const accepted = await aggregate({ requests: [{ url: `http://upstream.test/json/${key}` }] });
    expect(accepted.status).toBe(200);
  });

  it("GET /v1/views takes none", async () => {
    expect(await unknownParameters(await gateway("/v1/views?verbose=1"))).toEqual(["verbose"]);
    expect((await gateway("/v1/views")).status).toBe(200);
  });

  it("GET /v1/proxy takes url only: 400 naming the other, no upstream called", async () => {
    const key = uniqueKey("strict-proxy");
    const url = encodeURIComponent(`http://upstream.test/json/${key}`);
    expect(await unknownParameters(await gateway(`/v1/proxy?url=${url}&timeout=5`))).toEqual([
      "timeout",
    ]);
    expect((await upstreamStats(key)).hits).toBe(0);
  });

  it("GET /v1/views/{name} takes the view's parameters only: 400 naming each other one", async () => {
    const userId = uniqueKey("strict-view");
    const response = await gateway(`/v1/views/dashboard?userId=${userId}&userID=7&limit=3`);
    expect((await unknownParameters(response)).sort()).toEqual(["limit", "userID"]);
    expect((await upstreamStats(`user-${userId}`)).hits).toBe(0);
    const streamed = await gateway(`/v1/views/dashboard?userId=${userId}&x=1`, {
      headers: { accept: "application/x-ndjson" },
    });
    expect(await unknownParameters(streamed)).toEqual(["x"]);
    expect((await upstreamStats(`user-${userId}`)).hits).toBe(0);
  });
});
