import { describe, expect, it } from "vitest";
import {
  type AggregateAnswer,
  aggregate,
  uniqueHost,
  uniqueKey,
  upstreamStats,
} from "./helpers.ts";

// vitest.config.ts sets BREAKER_FAILURE_THRESHOLD=3 and BREAKER_RESET_MS=300.
async function one(url: string): Promise<AggregateAnswer["results"][number]> {
  const response = await aggregate({ requests: [{ url, retries: 0 }] });
  const answer = (await response.json()) as AggregateAnswer;
  return answer.results[0] as AggregateAnswer["results"][number];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("per-origin circuit breaker", () => {
  it("opens after consecutive failures, across calls, and refuses without calling the origin", async () => {
    const host = uniqueHost("breaker");
    const key = uniqueKey("down");
    for (let n = 0; n < 3; n++)
      expect((await one(`http://${host}/status/503/${key}`)).status).toBe(503);
    const refused = await one(`http://${host}/status/503/${key}`);
    expect(refused).toMatchObject({ ok: false, attempts: 0, error: { code: "circuit_open" } });
    expect((await upstreamStats(key)).hits).toBe(3);
    // Other origins are unaffected.
    expect((await one(`http://${uniqueHost("other")}/json/${uniqueKey("x")}`)).ok).toBe(true);
  });

  it("lets one probe through when half-open, and closes again when it succeeds", async () => {
    const host = uniqueHost("breaker");
    const key = uniqueKey("recover");
    for (let n = 0; n < 3; n++) await one(`http://${host}/status/500/${key}`);
    expect((await one(`http://${host}/json/${key}`)).error?.code).toBe("circuit_open");
    await sleep(350);
    // Half-open: the first request is the probe; a concurrent second one is refused.
    const response = await aggregate({
      requests: [
        { id: "probe", url: `http://${host}/json/${key}?delay=50`, retries: 0 },
        { id: "second", url: `http://${host}/json/${key}?n=2`, retries: 0 },
      ],
    });
    const answer = (await response.json()) as AggregateAnswer;
    expect(answer.results[0]).toMatchObject({ id: "probe", ok: true });
    expect(answer.results[1]).toMatchObject({ id: "second", error: { code: "circuit_open" } });
    // Closed again: calls flow.
    expect((await one(`http://${host}/json/${key}?n=3`)).ok).toBe(true);
  });

  it("re-opens when the half-open probe fails", async () => {
    const host = uniqueHost("breaker");
    const key = uniqueKey("still-down");
    for (let n = 0; n < 3; n++) await one(`http://${host}/status/502/${key}`);
    await sleep(350);
    expect((await one(`http://${host}/status/502/${key}`)).status).toBe(502);
    expect((await one(`http://${host}/status/502/${key}`)).error?.code).toBe("circuit_open");
    expect((await upstreamStats(key)).hits).toBe(4);
  });

  it("does not count 4xx answers as origin failures", async () => {
    const host = uniqueHost("breaker");
    const key = uniqueKey("client-errors");
    for (let n = 0; n < 5; n++)
      expect((await one(`http://${host}/status/404/${key}`)).status).toBe(404);
    expect((await upstreamStats(key)).hits).toBe(5);
  });
});
