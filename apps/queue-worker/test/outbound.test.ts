import { env } from "cloudflare:workers";
import { DEV_API_KEY } from "@edge-async/http";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobs } from "../src/db/schema.ts";
import { app } from "../src/index.ts";
import { api, db, deliver, getJob, insertJob, runsOf } from "./fixtures/jobs.ts";

// The policy's IP-literal rules are tested in packages/http; these check that the worker applies
// it to fetch and ingest jobs when they are enqueued and again when they run.

const later = { delaySeconds: 3600 };
const openEnv = { ...env, ALLOW_PRIVATE_NETWORKS: "true" };

async function problemErrors(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as { errors: { pointer: string; detail: string }[] };
  return body.errors;
}

async function privateHits(key: string): Promise<number> {
  const response = await fetch(`https://upstream.test/private-hits?key=${key}`);
  return ((await response.json()) as { hits: number }).hits;
}

describe("enqueueing a job whose URL the policy refuses", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data", "169.254.0.0/16 (link-local)"],
    ["http://10.1.2.3/", "10.0.0.0/8 (private)"],
    ["http://[::1]:8080/", "::1/128 (loopback)"],
    ["http://[::ffff:127.0.0.1]/", "IPv4-mapped 127.0.0.0/8 (loopback)"],
    ["http://localhost:8790/hello.txt", "loopback name"],
  ])("answers 400 for a fetch of %s, naming /payload/url and why", async (url, why) => {
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "fetch", payload: { url }, ...later },
    });
    const errors = await problemErrors(response);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.pointer).toBe("/payload/url");
    expect(errors[0]?.detail).toContain(why);
  });

  it("answers 400 for an ingest feedUrl, pointing at /payload/feedUrl", async () => {
    const response = await api("/v1/jobs", {
      method: "POST",
      json: { type: "ingest", payload: { feedUrl: "http://192.168.1.1/feed.json", topic: "x" } },
    });
    expect(await problemErrors(response)).toEqual([
      {
        pointer: "/payload/feedUrl",
        detail: "is refused: 192.168.1.1 is in 192.168.0.0/16 (private)",
      },
    ]);
  });

  it("refuses a whole batch with one private URL, enqueueing nothing", async () => {
    const key = `outbound-batch-${crypto.randomUUID()}`;
    const response = await api("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "fetch", payload: { url: "https://upstream.test/hello" }, idempotencyKey: key },
          { type: "fetch", payload: { url: "http://100.64.0.1/" }, ...later },
        ],
      },
    });
    const errors = await problemErrors(response);
    expect(errors.map((error) => error.pointer)).toEqual(["/jobs/1/payload/url"]);
    expect(errors[0]?.detail).toContain("carrier-grade NAT");
    expect(await db.select().from(jobs).where(eq(jobs.idempotencyKey, key))).toEqual([]);
  });

  it("accepts a private URL when ALLOW_PRIVATE_NETWORKS is true", async () => {
    const response = await app.request(
      "/v1/jobs",
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${DEV_API_KEY}` },
        body: JSON.stringify({
          type: "fetch",
          payload: { url: "http://127.0.0.1:8790/" },
          ...later,
        }),
      },
      openEnv,
    );
    expect(response.status).toBe(202);
  });

  it("refuses hosts off ALLOWED_HOSTS when one is set", async () => {
    const response = await app.request(
      "/v1/jobs",
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${DEV_API_KEY}` },
        body: JSON.stringify({ type: "fetch", payload: { url: "https://evil.test/" }, ...later }),
      },
      { ...env, ALLOWED_HOSTS: "upstream.test" },
    );
    expect(await problemErrors(response)).toEqual([
      { pointer: "/payload/url", detail: "is refused: host evil.test is not on the allowlist" },
    ]);
  });
});

describe("running a job whose URL the policy refuses", () => {
  // Rows written straight into D1 stand for jobs enqueued under an older, laxer configuration.
  it("marks a fetch of a private address dead at once, without fetching it", async () => {
    const key = crypto.randomUUID();
    const id = await insertJob({
      type: "fetch",
      payload: { url: `http://127.0.0.1:8790/hello.txt?key=${key}`, retries: 2 },
    });
    const { result } = await deliver([id]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(0);
    const job = await getJob(id);
    expect(job).toMatchObject({ status: "dead", attempts: 1 });
    expect(job.error).toBe(
      `RefusedTargetError: http://127.0.0.1:8790/hello.txt?key=${key} refused: 127.0.0.1 is in 127.0.0.0/8 (loopback)`,
    );
    expect(await runsOf(id)).toHaveLength(1);
    expect(await privateHits(key)).toBe(0);
  });

  it("marks an ingest of a private feed dead at once", async () => {
    const id = await insertJob({
      type: "ingest",
      payload: { feedUrl: "http://[fd00::1]/feed.json", topic: "news" },
    });
    await deliver([id]);
    const job = await getJob(id);
    expect(job.status).toBe("dead");
    expect(job.error).toContain("fc00::/7 (unique local)");
  });

  it("refuses a redirect from a public URL to a private address", async () => {
    const key = crypto.randomUUID();
    const target = `http://127.0.0.1/latest/meta-data?key=${key}`;
    for (const status of [301, 302, 303, 307, 308]) {
      const id = await insertJob({
        type: "fetch",
        payload: {
          url: `https://upstream.test/redirect?status=${status}&to=${encodeURIComponent(target)}`,
        },
      });
      await deliver([id]);
      const job = await getJob(id);
      expect(job.status).toBe("dead");
      expect(job.error).toContain(`to ${target} refused: 127.0.0.1 is in 127.0.0.0/8`);
    }
    expect(await privateHits(key)).toBe(0);
  });

  it("refuses a feed that redirects to a private address", async () => {
    const id = await insertJob({
      type: "ingest",
      payload: {
        feedUrl: `https://upstream.test/redirect?to=${encodeURIComponent("http://[::ffff:a9fe:a9fe]/")}`,
        topic: "news",
      },
    });
    await deliver([id]);
    expect(await getJob(id)).toMatchObject({ status: "dead" });
    expect((await getJob(id)).error).toContain("169.254.0.0/16 (link-local)");
  });

  it("follows public redirects, recording where it ended", async () => {
    const id = await insertJob({
      type: "fetch",
      payload: { url: "https://upstream.test/redirect?to=/hello" },
    });
    await deliver([id]);
    expect(JSON.parse((await getJob(id)).result ?? "null")).toMatchObject({
      url: "https://upstream.test/redirect?to=/hello",
      finalUrl: "https://upstream.test/hello",
      status: 200,
      bytes: 13,
    });
  });

  it("gives up on a redirect loop after a bounded number of hops", async () => {
    const id = await insertJob({
      type: "fetch",
      payload: { url: "https://upstream.test/redirect-loop" },
    });
    await deliver([id]);
    expect(await getJob(id)).toMatchObject({ status: "dead" });
    expect((await getJob(id)).error).toContain("redirected more than 5 times");
  });

  it("fetches a private address when ALLOW_PRIVATE_NETWORKS is true", async () => {
    const key = crypto.randomUUID();
    const id = await insertJob({
      type: "fetch",
      payload: { url: `http://127.0.0.1:8790/hello.txt?key=${key}` },
    });
    await deliver([id], { env: { ALLOW_PRIVATE_NETWORKS: "true" } });
    expect(await getJob(id)).toMatchObject({ status: "succeeded" });
    expect(JSON.parse((await getJob(id)).result ?? "null")).toMatchObject({ status: 200 });
    expect(await privateHits(key)).toBe(1);
  });
});
