import { describe, expect, it } from "vitest";
import {
  type AggregateAnswer,
  aggregate,
  gateway,
  type ResultLine,
  uniqueKey,
  upstreamStats,
} from "./helpers.ts";

const HEADER = "request-timeout-ms";

/** The `request-timeout-ms` the test upstream's `/echo` saw, as a number (NaN when absent). */
function echoedBudget(result: ResultLine | undefined): number {
  const body = result?.body as { headers?: Record<string, string> } | undefined;
  return Number(body?.headers?.[HEADER]);
}

async function results(response: Response): Promise<ResultLine[]> {
  expect(response.status).toBe(200);
  return ((await response.json()) as AggregateAnswer).results;
}

describe("deadlines across workers: request-timeout-ms", () => {
  it("tells each upstream what is left of the caller's budget, never more", async () => {
    const key = uniqueKey("budget");
    const [echo] = await results(
      await aggregate(
        { deadlineMs: 5000, requests: [{ id: "echo", url: `http://upstream.test/echo/${key}` }] },
        { [HEADER]: "1500" },
      ),
    );
    const sent = echoedBudget(echo);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(1500);
  });

  it("tells each upstream what is left of the caller's budget when the answer streams, too", async () => {
    const key = uniqueKey("budget-stream");
    const response = await aggregate(
      { deadlineMs: 5000, requests: [{ id: "echo", url: `http://upstream.test/echo/${key}` }] },
      { [HEADER]: "1500", accept: "application/x-ndjson" },
    );
    expect(response.status).toBe(200);
    const lines = (await response.text())
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as ResultLine);
    const sent = echoedBudget(lines.find((line) => line.id === "echo"));
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(1500);
  });

  it("without the header, passes the shorter of the call's deadline and the attempt's timeout", async () => {
    const key = uniqueKey("own-deadline");
    const [short, long] = await results(
      await aggregate({
        deadlineMs: 800,
        requests: [
          { id: "short", url: `http://upstream.test/echo/${key}?n=1` },
          // DEFAULT_TIMEOUT_MS is 2000 in the tests; a longer deadline leaves the timeout to bind.
          { id: "long", url: `http://upstream.test/echo/${key}?n=2`, timeoutMs: 300 },
        ],
      }),
    );
    expect(echoedBudget(short)).toBeGreaterThan(0);
    expect(echoedBudget(short)).toBeLessThanOrEqual(800);
    expect(echoedBudget(long)).toBeGreaterThan(0);
    expect(echoedBudget(long)).toBeLessThanOrEqual(300);
  });

  it("replaces a request-timeout-ms the caller asked to forward", async () => {
    const key = uniqueKey("forwarded");
    const [echo] = await results(
      await aggregate({
        deadlineMs: 1000,
        requests: [
          {
            id: "echo",
            url: `http://upstream.test/echo/${key}`,
            headers: { [HEADER]: "9999999" },
          },
        ],
      }),
    );
    expect(echoedBudget(echo)).toBeLessThanOrEqual(1000);
  });

  it("ends the call at the caller's deadline and aborts the upstream request", async () => {
    const key = uniqueKey("caller-deadline");
    const [slow] = await results(
      await aggregate(
        { deadlineMs: 10_000, requests: [{ id: "slow", url: `http://upstream.test/slow/${key}` }] },
        { [HEADER]: "300" },
      ),
    );
    expect(slow?.error?.code).toBe("deadline");
    await expect.poll(async () => (await upstreamStats(key)).aborted).toBe(1);
    expect((await upstreamStats(key)).completed).toBe(0);
  });

  it("reports the budget the caller gave, not what was left when the call began", async () => {
    for (const budget of ["1", "300"]) {
      const key = uniqueKey(`given-${budget}`);
      const [slow] = await results(
        await aggregate(
          {
            deadlineMs: 10_000,
            requests: [{ id: "slow", url: `http://upstream.test/slow/${key}` }],
          },
          { [HEADER]: budget },
        ),
      );
      expect(slow?.error?.code).toBe("deadline");
      expect(slow?.error?.message).toBe(`The call's deadline of ${budget} ms passed`);
    }
  });

  it("passes the budget on through the proxy", async () => {
    const key = uniqueKey("proxy-budget");
    const response = await gateway(
      `/v1/proxy?url=${encodeURIComponent(`http://upstream.test/echo/${key}`)}`,
      { headers: { [HEADER]: "1200" } },
    );
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { headers: Record<string, string> };
    expect(Number(echoed.headers[HEADER])).toBeGreaterThan(0);
    expect(Number(echoed.headers[HEADER])).toBeLessThanOrEqual(1200);
  });

  it("refuses a malformed header with 400 naming it, and a spent budget with 504", async () => {
    const body = { requests: [{ id: "a", url: "http://upstream.test/json/unused" }] };
    const malformed = await aggregate(body, { [HEADER]: "1.5s" });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.stringify(await malformed.json())).toContain(HEADER);
    const spent = await aggregate(body, { [HEADER]: "0" });
    expect(spent.status).toBe(504);
    expect(spent.headers.get("content-type")).toBe("application/problem+json");
  });
});
