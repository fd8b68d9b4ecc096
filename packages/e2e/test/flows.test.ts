import { beforeAll, describe, expect, inject, it } from "vitest";

const urls = inject("urls");
const KEY = "ea_dev_local-development-only-never-deploy";
const auth = { authorization: `Bearer ${KEY}` };

// The flows a user runs across the workers, over HTTP as `pnpm dev` serves them.

interface Job {
  id: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  result?: Record<string, unknown>;
}

async function enqueue(body: unknown): Promise<string> {
  const response = await fetch(new URL("/v1/jobs", urls["queue-worker"]), {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** Polls a job until it reaches one of `statuses` (jobs run on the local queue, asynchronously). */
async function settled(id: string, statuses: readonly string[], timeoutMs: number): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(new URL(`/v1/jobs/${id}`, urls["queue-worker"]), {
      headers: auth,
    });
    const job = (await response.json()) as Job;
    if (statuses.includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Item {
  id: number;
  externalKey: string;
  publishedAt: string;
}

// Generous: the jobs share the local queue's consumer slots with what other files left running.
const JOB_SETTLE_MS = 180_000;

// Every topic is new to this run, so other files' items never show up in these pages.
const topic = `e2e-${Date.now().toString(36)}`;
let deadJob: string;

beforeAll(async () => {
  // Started first: its five attempts' backoff runs while the other flows do.
  deadJob = await enqueue({ type: "simulate", payload: { durationMs: 10, failureRate: 1 } });
});

describe("ingest job → feed → paginated walk → export", () => {
  it("queue-worker ingests the demo feed into paginated-feed over the service binding", async () => {
    const feedUrl = `${urls["demo-upstream"]}/feed.json`;
    const job = await settled(
      await enqueue({ type: "ingest", payload: { feedUrl, topic } }),
      ["succeeded", "dead"],
      JOB_SETTLE_MS,
    );
    expect(job).toMatchObject({ status: "succeeded", result: { topic, posted: 3, created: 3 } });

    const walked: Item[] = [];
    let url: URL | null = new URL(`/v1/items?topic=${topic}&limit=1`, urls["paginated-feed"]);
    while (url) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { items: Item[]; nextCursor: string | null };
      walked.push(...page.items);
      url = page.nextCursor
        ? new URL(
            `/v1/items?topic=${topic}&limit=1&cursor=${page.nextCursor}`,
            urls["paginated-feed"],
          )
        : null;
    }
    expect(walked).toHaveLength(3);
    expect(new Set(walked.map((item) => item.id)).size).toBe(3);
    const times = walked.map((item) => Date.parse(item.publishedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const item of walked) expect(item.externalKey.startsWith(`${topic}@`)).toBe(true);

    const exported = await fetch(
      new URL(`/v1/items/export?topic=${topic}`, urls["paginated-feed"]),
    );
    expect(exported.status).toBe(200);
    const lines = (await exported.text()).split("\n").filter((line) => line !== "");
    const items = lines.map((line) => JSON.parse(line) as Item).filter((row) => "id" in row);
    expect(items.map((item) => item.id)).toEqual(walked.map((item) => item.id));

    // The same feed again: posted again, nothing new.
    const again = await settled(
      await enqueue({ type: "ingest", payload: { feedUrl, topic } }),
      ["succeeded", "dead"],
      JOB_SETTLE_MS,
    );
    expect(again).toMatchObject({ status: "succeeded", result: { posted: 3, created: 0 } });
  }, 400_000);
});

describe("aggregator views over the demo upstream", () => {
  it("dashboard: a user with their orders and recommendations, complete", async () => {
    const response = await fetch(
      new URL("/v1/views/dashboard?userId=42", urls["fetch-aggregator"]),
      { headers: auth },
    );
    expect(response.status).toBe(200);
    const view = (await response.json()) as {
      view: string;
      complete: boolean;
      data: { user: { id: string }; orders: { userId: string }[]; recommendations: unknown[] };
      errors: Record<string, unknown>;
    };
    expect(view).toMatchObject({ view: "dashboard", complete: true, errors: {} });
    expect(view.data.user.id).toBe("42");
    expect(view.data.orders).toHaveLength(3);
    for (const order of view.data.orders) expect(order.userId).toBe("42");
    expect(view.data.recommendations.length).toBeGreaterThan(0);
  });

  it("order: an order with its buyer, and a missing parameter named", async () => {
    const response = await fetch(
      new URL("/v1/views/order?orderId=1001&userId=66", urls["fetch-aggregator"]),
      { headers: auth },
    );
    expect(response.status).toBe(200);
    const view = (await response.json()) as {
      complete: boolean;
      data: { order: { id: string; userId: string }; buyer: { id: string } };
    };
    expect(view.complete).toBe(true);
    expect(view.data.order).toMatchObject({ id: "1001", userId: "66" });
    expect(view.data.buyer.id).toBe("66");

    const missing = await fetch(new URL("/v1/views/order?orderId=1001", urls["fetch-aggregator"]), {
      headers: auth,
    });
    expect(missing.status).toBe(400);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.stringify(await missing.json())).toContain("userId");
  });
});

describe("a job that keeps failing", () => {
  it("ends dead after its last attempt, each run recorded as failed", async () => {
    const job = await settled(deadJob, ["dead", "succeeded"], 240_000);
    expect(job.status).toBe("dead");
    expect(job.attempts).toBe(job.maxAttempts);
    const runs = await fetch(new URL(`/v1/jobs/${deadJob}/runs`, urls["queue-worker"]), {
      headers: auth,
    });
    const { items } = (await runs.json()) as { items: { attempt: number; outcome: string }[] };
    expect(items.map((run) => run.outcome)).toEqual(Array(job.maxAttempts).fill("failed"));
    expect(items.map((run) => run.attempt)).toEqual(
      Array.from({ length: job.maxAttempts }, (_, index) => index + 1),
    );
  }, 300_000);
});
