import { describe, expect, inject, it } from "vitest";

// Deadlines across workers: fetch-aggregator passes what is left of a call's budget to the
// upstream as request-timeout-ms, and demo-upstream (a worker of its own under wrangler dev)
// stops waiting when it runs out. GET /__requests on demo-upstream tells when and how each of
// its requests ended.
const urls = inject("urls");
const HEADER = "request-timeout-ms";
const DEV_KEY = "ea_dev_local-development-only-never-deploy";

interface UpstreamRecord {
  path: string;
  budgetMs: number | null;
  startedAt: number;
  endedAt: number | null;
  outcome: "running" | "completed" | "deadline" | "cancelled";
}

interface AggregateAnswer {
  results: { id: string; ok: boolean; error?: { code: string } }[];
  summary: { durationMs: number };
}

async function upstreamRecord(path: string): Promise<UpstreamRecord | undefined> {
  const response = await fetch(new URL("/__requests", urls["demo-upstream"]));
  const log = (await response.json()) as { requests: UpstreamRecord[] };
  return log.requests.find((record) => record.path === path);
}

async function aggregateSlow(
  deadlineMs: number,
  headers: Record<string, string> = {},
): Promise<{ path: string; answer: AggregateAnswer }> {
  // 20 s of waiting unless the deadline stops it; a probe of its own to find it in the log.
  const path = `/delay/20000?probe=${Math.random().toString(36).slice(2)}`;
  const response = await fetch(new URL("/v1/aggregate", urls["fetch-aggregator"]), {
    method: "POST",
    headers: {
      authorization: `Bearer ${DEV_KEY}`,
      "content-type": "application/json",
      ...headers,
    },
    body: JSON.stringify({
      deadlineMs,
      requests: [{ id: "slow", url: new URL(path, urls["demo-upstream"]).href, retries: 0 }],
    }),
  });
  expect(response.status).toBe(200);
  return { path, answer: (await response.json()) as AggregateAnswer };
}

/** The upstream request ended at its deadline: well before its 20 s, and not by answering. */
async function expectEndedByDeadline(path: string, budgetMs: number): Promise<void> {
  await expect
    .poll(async () => (await upstreamRecord(path))?.outcome, { timeout: 15_000 })
    .toMatch(/^(deadline|cancelled)$/);
  const record = (await upstreamRecord(path)) as UpstreamRecord;
  expect(record.budgetMs).not.toBeNull();
  expect(record.budgetMs).toBeGreaterThan(0);
  expect(record.budgetMs).toBeLessThanOrEqual(budgetMs);
  // Generous against a loaded machine, yet far from the 20 s the endpoint waits otherwise.
  expect((record.endedAt as number) - record.startedAt).toBeLessThan(budgetMs + 5_000);
}

describe("deadlines across workers", () => {
  it("an aggregate with a 500 ms deadline ends by it, and demo-upstream stops by it too", async () => {
    const { path, answer } = await aggregateSlow(500);
    expect(answer.results[0]?.error?.code).toBe("deadline");
    expect(answer.summary.durationMs).toBeLessThan(5_000);
    await expectEndedByDeadline(path, 500);
  });

  it("the caller's request-timeout-ms bounds the call and reaches the upstream", async () => {
    const { path, answer } = await aggregateSlow(10_000, { [HEADER]: "500" });
    expect(answer.results[0]?.error?.code).toBe("deadline");
    expect(answer.summary.durationMs).toBeLessThan(5_000);
    await expectEndedByDeadline(path, 500);
  });

  it("a malformed header is refused with 400 naming it", async () => {
    const response = await fetch(new URL("/v1/aggregate", urls["fetch-aggregator"]), {
      method: "POST",
      headers: {
        authorization: `Bearer ${DEV_KEY}`,
        "content-type": "application/json",
        [HEADER]: "soon",
      },
      body: JSON.stringify({ requests: [] }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.text()).toContain(HEADER);
  });
});
