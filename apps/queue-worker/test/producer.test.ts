import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { api, getJob } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// Jobs enqueued here are delayed an hour so the real local consumer leaves them `queued`.
const later = { delaySeconds: 3600 };
const simulate = (extra: object = {}) => ({
  type: "simulate",
  payload: { durationMs: 1, failureRate: 0 },
  ...later,
  ...extra,
});

async function problem(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as {
    status: number;
    type: string;
    detail: string;
    errors?: { pointer?: string; parameter?: string; detail: string }[];
  };
}

describe("POST /v1/jobs", () => {
  it("records a queued job and answers 202 with its id", async () => {
    const response = await api("/v1/jobs", { method: "POST", json: simulate() });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string };
    expect(body).toEqual({ id: expect.any(String), status: "queued" });
    expect(response.headers.get("location")).toBe(`/v1/jobs/${body.id}`);
    const job = await getJob(body.id);
    expect(job).toMatchObject({
      type: "simulate",
      status: "queued",
      attempts: 0,
      timeoutMs: 30_000,
    });
    expect(job.runAt - job.createdAt).toBe(3_600_000);
  });

  it("answers a repeated idempotencyKey with the existing job (200) and enqueues nothing new", async () => {
    const key = `order-${crypto.randomUUID()}`;
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const first = await api("/v1/jobs", {
      method: "POST",
      json: simulate({ idempotencyKey: key }),
    });
    const second = await api("/v1/jobs", {
      method: "POST",
      json: simulate({ idempotencyKey: key }),
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const a = (await first.json()) as { id: string };
    const b = (await second.json()) as { id: string; status: string; idempotencyKey: string };
    expect(b).toMatchObject({ id: a.id, status: "queued", idempotencyKey: key });
    const count = await env.DB.prepare("select count(*) as n from jobs where idempotency_key = ?")
      .bind(key)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
    // The replay of a never-run queued job re-sends its message (covers a lost send); the consumer's
    // claim makes the duplicate harmless.
    expect(send).toHaveBeenCalledTimes(2);
    send.mockRestore();
  });

  it("refuses an idempotencyKey reused for a different job with 409", async () => {
    const key = `k-${crypto.randomUUID()}`;
    await api("/v1/jobs", { method: "POST", json: simulate({ idempotencyKey: key }) });
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { ...simulate({ idempotencyKey: key }), payload: { durationMs: 2 } },
    });
    expect(response.status).toBe(409);
    const body = await problem(response);
    expect(body.errors?.[0]?.pointer).toBe("/idempotencyKey");
  });

  it("names the field of an invalid payload", async () => {
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "fetch", payload: { url: "not a url", retries: 9 } },
    });
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body.errors?.map((e) => e.pointer).sort()).toEqual(["/payload/retries", "/payload/url"]);
  });

  it("refuses an unknown job type, listing the known ones", async () => {
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "teleport", payload: {} },
    });
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body.errors).toEqual([
      {
        pointer: "/type",
        detail: 'unknown job type "teleport": expected one of fetch, ingest, simulate',
      },
    ]);
  });

  it("refuses unknown fields, out-of-range delays and non-JSON bodies", async () => {
    const extra = await api("/v1/jobs", { method: "POST", json: simulate({ priority: 1 }) });
    expect((await problem(extra)).status).toBe(400);
    const delay = await api("/v1/jobs", {
      method: "POST",
      json: simulate({ delaySeconds: 90_000 }),
    });
    expect((await problem(delay)).errors?.[0]?.pointer).toBe("/delaySeconds");
    const text = await api("/v1/jobs", { method: "POST", body: "hello" });
    expect((await problem(text)).status).toBe(415);
  });

  it("answers 503 and keeps no job when the queue refuses the message", async () => {
    const key = `down-${crypto.randomUUID()}`;
    const send = vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    const response = await api("/v1/jobs", {
      method: "POST",
      json: simulate({ idempotencyKey: key }),
    });
    send.mockRestore();
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    await problem(response);
    const row = await env.DB.prepare("select id from jobs where idempotency_key = ?")
      .bind(key)
      .first();
    expect(row).toBeNull();
    // The client's retry with the same key then succeeds as a fresh job.
    const again = await api("/v1/jobs", {
      method: "POST",
      json: simulate({ idempotencyKey: key }),
    });
    expect(again.status).toBe(202);
  });
});

describe("POST /v1/jobs/batch", () => {
  it("records up to 100 jobs in one D1 batch and one sendBatch", async () => {
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const jobs = Array.from({ length: 100 }, (_, i) =>
      simulate({ idempotencyKey: `b-${i}-${crypto.randomUUID()}` }),
    );
    const response = await api("/v1/jobs/batch", { method: "POST", json: { jobs } });
    expect(response.status).toBe(202);
    const body = (await response.json()) as {
      jobs: { id: string; status: string; created: boolean }[];
    };
    expect(body.jobs).toHaveLength(100);
    expect(body.jobs.every((job) => job.created && job.status === "queued")).toBe(true);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0]).toHaveLength(100);
    send.mockRestore();

    // Replaying the batch creates nothing and answers 200 with the same ids in order.
    const replay = await api("/v1/jobs/batch", { method: "POST", json: { jobs } });
    expect(replay.status).toBe(200);
    const replayed = (await replay.json()) as typeof body;
    expect(replayed.jobs.map((job) => job.id)).toEqual(body.jobs.map((job) => job.id));
    expect(replayed.jobs.every((job) => !job.created)).toBe(true);
  });

  it("answers 503 and keeps none of 100 jobs when sendBatch fails", async () => {
    const tag = `down-batch-${crypto.randomUUID()}`;
    const send = vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    const jobs = Array.from({ length: 100 }, (_, i) => simulate({ idempotencyKey: `${tag}-${i}` }));
    const response = await api("/v1/jobs/batch", { method: "POST", json: { jobs } });
    send.mockRestore();
    expect(response.status).toBe(503);
    await problem(response);
    const left = await env.DB.prepare("select count(*) as n from jobs where idempotency_key like ?")
      .bind(`${tag}-%`)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("refuses more than 100 jobs, duplicate keys and bad items, pointing at each", async () => {
    const tooMany = await api("/v1/jobs/batch", {
      method: "POST",
      json: { jobs: Array.from({ length: 101 }, () => simulate()) },
    });
    expect((await problem(tooMany)).errors?.[0]?.pointer).toBe("/jobs");
    const duplicate = await api("/v1/jobs/batch", {
      method: "POST",
      json: { jobs: [simulate({ idempotencyKey: "same" }), simulate({ idempotencyKey: "same" })] },
    });
    expect((await problem(duplicate)).errors).toEqual([
      { pointer: "/jobs/1/idempotencyKey", detail: "repeats the idempotencyKey of /jobs/0" },
    ]);
    const badItem = await api("/v1/jobs/batch", {
      method: "POST",
      json: { jobs: [simulate(), { type: "simulate", payload: { failureRate: 2 } }] },
    });
    expect((await problem(badItem)).errors?.[0]?.pointer).toBe("/jobs/1/payload/failureRate");
  });
});

describe("GET /v1/jobs/:id", () => {
  it("shows a job", async () => {
    const created = await api("/v1/jobs", { method: "POST", json: simulate({ timeoutMs: 1234 }) });
    const { id } = (await created.json()) as { id: string };
    const response = await api(`/v1/jobs/${id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id,
      type: "simulate",
      status: "queued",
      attempts: 0,
      maxAttempts: 5,
      payload: { durationMs: 1, failureRate: 0 },
      timeoutMs: 1234,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it("answers 404 for an unknown id and 400 for a malformed one", async () => {
    expect((await problem(await api(`/v1/jobs/${crypto.randomUUID()}`))).status).toBe(404);
    const malformed = await problem(await api("/v1/jobs/nope"));
    expect(malformed.errors?.[0]?.parameter).toBe("id");
  });
});

describe("GET /v1/jobs", () => {
  it("pages through jobs newest first with signed cursors bound to the filters", async () => {
    const response = await api("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: Array.from({ length: 7 }, () => ({
          type: "fetch",
          payload: { url: "https://upstream.test/hello" },
          ...later,
        })),
      },
    });
    const created = ((await response.json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id);
    const seen: string[] = [];
    let url: string | null = "/v1/jobs?type=fetch&status=queued&limit=3";
    while (url !== null) {
      const page = await api(url);
      expect(page.status).toBe(200);
      const body = (await page.json()) as {
        items: { id: string; type: string; createdAt: string }[];
        nextCursor: string | null;
        hasMore: boolean;
      };
      expect(body.items.length).toBeLessThanOrEqual(3);
      expect(body.items.every((item) => item.type === "fetch")).toBe(true);
      seen.push(...body.items.map((item) => item.id));
      const link = page.headers.get("link");
      expect(body.hasMore).toBe(link !== null);
      url =
        body.nextCursor === null
          ? null
          : new URL(link!.slice(1, link!.indexOf(">"))).pathname +
            new URL(link!.slice(1, link!.indexOf(">"))).search;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of created) expect(seen).toContain(id);

    const first = (await (await api("/v1/jobs?type=fetch&limit=1")).json()) as {
      nextCursor: string;
    };
    const reused = await api(`/v1/jobs?type=simulate&limit=1&cursor=${first.nextCursor}`);
    expect((await problem(reused)).errors?.[0]?.parameter).toBe("cursor");
    const tampered = await api(`/v1/jobs?type=fetch&limit=1&cursor=${first.nextCursor}x`);
    expect((await problem(tampered)).status).toBe(400);
  });

  it("fails closed (503) outside development when no CURSOR_SECRET is set", async () => {
    const { keys, apiKeys } = await makeKeys({ reader: ["jobs:read"] });
    const response = await callWith({ API_KEYS: apiKeys }, "/v1/jobs", { key: keys.reader });
    expect(response.status).toBe(503);
    expect((await problem(response)).detail).toContain("CURSOR_SECRET");
  });

  it("validates its filters", async () => {
    const body = await problem(await api("/v1/jobs?status=sleeping&limit=1000"));
    expect(body.errors?.map((e) => e.parameter).sort()).toEqual(["limit", "status"]);
  });
});

describe("GET /v1/stats", () => {
  it("counts jobs by status and type", async () => {
    const before = (await (await api("/v1/stats")).json()) as {
      total: number;
      byStatus: Record<string, number>;
      byType: Record<string, Record<string, number>>;
    };
    await api("/v1/jobs/batch", { method: "POST", json: { jobs: [simulate(), simulate()] } });
    const after = (await (await api("/v1/stats")).json()) as typeof before;
    expect(after.total).toBe(before.total + 2);
    expect(after.byStatus.queued).toBe((before.byStatus.queued ?? 0) + 2);
    expect(after.byType.simulate?.queued).toBe((before.byType.simulate?.queued ?? 0) + 2);
    expect(Object.keys(after.byStatus).sort()).toEqual([
      "cancelled",
      "dead",
      "failed",
      "queued",
      "running",
      "succeeded",
    ]);
  });
});

describe("GET /healthz", () => {
  it("answers ok once the database answers", async () => {
    const response = await api("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
