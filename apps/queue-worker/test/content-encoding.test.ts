import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, getJob } from "./fixtures/jobs.ts";

async function compress(text: string, format: "gzip" | "deflate"): Promise<Uint8Array> {
  const stream = new Response(text).body?.pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Delayed an hour so the local consumer leaves the job alone.
function job(idempotencyKey: string) {
  return {
    type: "simulate",
    payload: { durationMs: 1, failureRate: 0 },
    delaySeconds: 3600,
    idempotencyKey,
  };
}

function post(path: string, body: BodyInit, contentEncoding: string) {
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": contentEncoding },
    body,
  });
}

async function jobsWithKey(key: string): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from jobs where idempotency_key = ?")
    .bind(key)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Content-Encoding on POST /v1/jobs", () => {
  it("refuses a JSON body labelled gzip that is not gzip with 400, recording and sending nothing", async () => {
    const key = `fake-gzip-${crypto.randomUUID()}`;
    const send = vi.spyOn(env.JOBS, "sendBatch");
    const response = await post("/v1/jobs", JSON.stringify(job(key)), "gzip");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors: { parameter?: string }[] };
    expect(problem.errors).toEqual([expect.objectContaining({ parameter: "content-encoding" })]);
    expect(await jobsWithKey(key)).toBe(0);
    expect(send).not.toHaveBeenCalled();
  });

  it("answers 415 with Accept-Encoding for a coding it cannot undo, on both write endpoints", async () => {
    const key = `zstd-${crypto.randomUUID()}`;
    for (const [path, body] of [
      ["/v1/jobs", job(key)],
      ["/v1/jobs/batch", { jobs: [job(key)] }],
    ] as const) {
      const response = await post(path, JSON.stringify(body), "zstd");
      expect(response.status).toBe(415);
      expect(response.headers.get("accept-encoding")).toBe("gzip, deflate, br");
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      await response.body?.cancel();
    }
    expect(await jobsWithKey(key)).toBe(0);
  });

  it("accepts a real gzip body (202) and records the job as sent", async () => {
    const key = `gzip-${crypto.randomUUID()}`;
    const response = await post(
      "/v1/jobs",
      await compress(JSON.stringify(job(key)), "gzip"),
      "gzip",
    );
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const stored = await getJob(id);
    expect(stored.idempotencyKey).toBe(key);
    expect(JSON.parse(stored.payload)).toEqual(job(key).payload);
  });

  it("accepts a deflate batch", async () => {
    const key = `deflate-${crypto.randomUUID()}`;
    const body = await compress(JSON.stringify({ jobs: [job(key)] }), "deflate");
    const response = await post("/v1/jobs/batch", body, "deflate");
    expect(response.status).toBe(202);
    expect(await jobsWithKey(key)).toBe(1);
  });
});
