import { describe, expect, it } from "vitest";
import { aggregate, gateway, uniqueKey, upstreamStats } from "./helpers.ts";

describe("client disconnect", () => {
  it("aborts the upstream fetches of a call the client abandoned", async () => {
    const key = uniqueKey("abandoned");
    const controller = new AbortController();
    const pending = gateway("/v1/aggregate", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        requests: [1, 2].map((n) => ({ url: `http://upstream.test/slow/${key}?ms=5000&n=${n}` })),
      }),
      signal: controller.signal,
    });
    // The isolate's first request loads the worker, which can take longer than poll's default 1 s.
    await expect.poll(async () => (await upstreamStats(key)).hits, { timeout: 5_000 }).toBe(2);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(async () => (await upstreamStats(key)).aborted, { timeout: 3_000 }).toBe(2);
  });

  it("keeps serving other calls meanwhile", async () => {
    const response = await aggregate({
      requests: [{ url: `http://upstream.test/json/${uniqueKey("after")}` }],
    });
    expect(response.status).toBe(200);
  });
});
