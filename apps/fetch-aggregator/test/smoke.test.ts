import { describe, expect, it } from "vitest";
import { type AggregateAnswer, aggregate, gateway, uniqueKey, upstreamStats } from "./helpers.ts";

describe("smoke", () => {
  it("answers healthz", async () => {
    const response = await gateway("/healthz");
    expect(await response.json()).toEqual({ status: "ok" });
  });
  it("aggregates two upstreams", async () => {
    const key = uniqueKey("smoke");
    const response = await aggregate({ requests: [{ url: `http://upstream.test/json/${key}` }, { url: `http://upstream.test/text/${key}` }] });
    const answer = (await response.json()) as AggregateAnswer;
    console.log(JSON.stringify(answer), response.headers.get("server-timing"));
    expect(answer.summary.succeeded).toBe(2);
    expect((await upstreamStats(key)).hits).toBe(2);
  });
});
