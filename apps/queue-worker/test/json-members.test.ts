import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./fixtures/jobs.ts";

// Every JSON body refuses an object that gives a member twice (I-JSON, RFC 7493 §2.3), since
// JSON.parse would keep the last one without a word: the job would not be the one that was meant.

afterEach(() => {
  vi.restoreAllMocks();
});

const jobsWithKey = async (key: string) =>
  (
    await env.DB.prepare("select count(*) as n from jobs where idempotency_key like ?")
      .bind(`${key}%`)
      .first<{ n: number }>()
  )?.n;

const post = (body: string) =>
  api("/v1/jobs", { method: "POST", headers: { "content-type": "application/json" }, body });

describe("POST /v1/jobs with a member given twice", () => {
  // Each body, and the pointer of its repeat; dropping the marked [[...]] part gives each member once.
  it.each([
    [
      '"payload":{"durationMs":1},"idempotencyKey":"KEY"[[,"idempotencyKey":"KEY-b"]]',
      "/idempotencyKey",
    ],
    ['"payload":{"durationMs":1[[,"durationMs":2]]},"idempotencyKey":"KEY"', "/payload/durationMs"],
    ['"payload":{},"idempotencyKey":"KEY"[[,"\\u0074ype":"fetch"]]', "/type"],
  ])("refuses %s naming the repeat, and records and sends nothing", async (members, pointer) => {
    const send = vi.spyOn(env.JOBS, "send");
    const sendBatch = vi.spyOn(env.JOBS, "sendBatch");
    const key = `twice-${crypto.randomUUID()}`;
    const body = `{"type":"simulate","delaySeconds":3600,${members.replaceAll("KEY", key)}}`;
    const response = await post(body.replace(/\[\[|\]\]/g, ""));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({
      errors: [{ pointer, detail: "is given more than once in its object; send each member once" }],
    });
    expect(await jobsWithKey(key)).toBe(0);
    expect(send).not.toHaveBeenCalled();
    expect(sendBatch).not.toHaveBeenCalled();
    // The same job with each member once is taken: the refusal was about the repeat alone.
    const taken = await post(body.replace(/\[\[.*\]\]/, ""));
    expect(taken.status).toBe(202);
    expect(await jobsWithKey(key)).toBe(1);
  });
});
