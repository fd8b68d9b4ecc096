import { env } from "cloudflare:workers";
import { withinOneWindow } from "@edge-async/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// The suites run with the limits raised (vitest.config.ts); each test here sets its own small
// limit and uses keys of its own, so its counts start at zero.

const later = { delaySeconds: 3600 };
const simulate = (extra: object = {}) => ({
  type: "simulate",
  payload: { durationMs: 1 },
  ...later,
  ...extra,
});

async function client(bindings: Partial<Cloudflare.Env>) {
  const { keys, apiKeys } = await makeKeys({ a: ["jobs:write", "jobs:read"], b: ["jobs:write"] });
  const call = (key: "a" | "b", path: string, json?: unknown) =>
    callWith({ API_KEYS: apiKeys, ...bindings }, path, {
      key: keys[key],
      ...(json === undefined ? {} : { method: "POST", json }),
    });
  return { call, owner: (key: "a" | "b") => keys[key]?.split("_")[1] as string };
}

async function ownJobs(owner: string): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from jobs where owner = ?")
    .bind(owner)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("request rate per API key (Cloudflare's rate limiting binding, run by miniflare)", () => {
  beforeEach(() => withinOneWindow(60));

  it("lets the configured count of writes through, then answers 429 with Retry-After and RateLimit headers, enqueueing nothing", async () => {
    const { call, owner } = await client({
      WRITE_LIMITER: env.SMALL_LIMITER,
      WRITE_REQUESTS_PER_MINUTE: "3",
    });
    for (let n = 0; n < 3; n += 1) {
      const allowed = await call("a", "/v1/jobs", simulate());
      expect(allowed.status).toBe(202);
      expect(allowed.headers.get("ratelimit-policy")).toBe('"job-writes";q=3;w=60');
    }
    const refused = await call("a", "/v1/jobs", simulate());
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.headers.get("ratelimit")).toBe('"job-writes";r=0;t=60');
    expect(refused.headers.get("ratelimit-policy")).toBe('"job-writes";q=3;w=60');
    expect(await ownJobs(owner("a"))).toBe(3);
    // Counted per key: another key is not held back.
    expect((await call("b", "/v1/jobs", simulate())).status).toBe(202);
  });

  it("limits reads on their own binding", async () => {
    const { call } = await client({
      READ_LIMITER: env.SMALL_LIMITER,
      READ_REQUESTS_PER_MINUTE: "3",
    });
    const statuses = [];
    for (let n = 0; n < 4; n += 1) statuses.push((await call("a", "/v1/stats")).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Writes count on the write binding, untouched by the reads.
    expect((await call("a", "/v1/jobs", simulate())).status).toBe(202);
  });
});

describe("the jobs-per-minute cap per API key", () => {
  it("refuses a batch that would pass it (429, nothing stored), with a Retry-After after which it fits", async () => {
    const { call, owner } = await client({ MAX_JOBS_PER_KEY_PER_MINUTE: "3" });
    const two = { jobs: [simulate(), simulate()] };
    expect((await call("a", "/v1/jobs/batch", two)).status).toBe(202);
    const refused = await call("a", "/v1/jobs/batch", two);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit")).toBe(`"jobs-per-minute";r=0;t=${retryAfter}`);
    expect(refused.headers.get("ratelimit-policy")).toContain('"jobs-per-minute";q=3;w=60');
    expect(await refused.json()).toMatchObject({
      type: "https://edge-async.dev/problems/job-cap-reached",
      cap: "jobs-per-minute",
    });
    expect(await ownJobs(owner("a"))).toBe(2);
    // One more still fits; another key has a cap of its own.
    expect((await call("a", "/v1/jobs", simulate())).status).toBe(202);
    expect((await call("a", "/v1/jobs", simulate())).status).toBe(429);
    expect((await call("b", "/v1/jobs/batch", two)).status).toBe(202);

    // Retry-After is honest: a second earlier the window is still full, at it the job fits.
    const now = Date.now();
    const wait = Number((await call("a", "/v1/jobs", simulate())).headers.get("retry-after"));
    vi.useFakeTimers({ toFake: ["Date"], now: now + (wait - 1) * 1000 });
    expect((await call("a", "/v1/jobs", simulate())).status).toBe(429);
    vi.setSystemTime(now + wait * 1000);
    expect((await call("a", "/v1/jobs", simulate())).status).toBe(202);
  });

  it("refuses with 400 a batch that alone holds more new jobs than the cap", async () => {
    const { call } = await client({ MAX_JOBS_PER_KEY_PER_MINUTE: "3" });
    const response = await call("a", "/v1/jobs/batch", { jobs: Array(4).fill(simulate()) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { pointer: string }[] }).errors).toEqual([
      { pointer: "/jobs", detail: expect.stringContaining("3 per minute") },
    ]);
  });

  it("is exact under concurrent requests: of 12 at once with a cap of 5, exactly 5 are enqueued", async () => {
    const { call, owner } = await client({ MAX_JOBS_PER_KEY_PER_MINUTE: "5" });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => call("a", "/v1/jobs", simulate())),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array(5).fill(202), ...Array(7).fill(429)]);
    expect(await ownJobs(owner("a"))).toBe(5);
  });

  it("still answers replays at the cap", async () => {
    const { call } = await client({ MAX_JOBS_PER_KEY_PER_MINUTE: "1" });
    const job = simulate({ idempotencyKey: `cap-${crypto.randomUUID()}` });
    const first = await call("a", "/v1/jobs", job);
    expect(first.status).toBe(202);
    const replay = await call("a", "/v1/jobs", job);
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { id: string }).id).toBe(
      ((await first.json()) as { id: string }).id,
    );
  });
});

describe("the open-jobs cap per API key", () => {
  it("counts queued jobs, answering 429 until the next one is due", async () => {
    const { call, owner } = await client({ MAX_QUEUED_JOBS_PER_KEY: "2" });
    expect((await call("a", "/v1/jobs/batch", { jobs: [simulate(), simulate()] })).status).toBe(
      202,
    );
    const refused = await call("a", "/v1/jobs", simulate());
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    // The key's next queued job is due in an hour.
    expect(retryAfter).toBeGreaterThan(3590);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.headers.get("ratelimit")).toBe(`"open-jobs";r=0;t=${retryAfter}`);
    expect(refused.headers.get("ratelimit-policy")).toContain('"open-jobs";q=2');
    expect(await refused.json()).toMatchObject({ cap: "open-jobs" });
    expect(await ownJobs(owner("a"))).toBe(2);
    // A finished job frees its slot.
    await env.DB.prepare(
      "update jobs set status = 'succeeded' where id = (select id from jobs where owner = ? limit 1)",
    )
      .bind(owner("a"))
      .run();
    expect((await call("a", "/v1/jobs", simulate())).status).toBe(202);
  });
});

describe("the caps' details", () => {
  it.each([
    [
      { MAX_JOBS_PER_KEY_PER_MINUTE: "1" },
      "1 was enqueued in the last 60 s, so this one would pass",
    ],
    [{ MAX_QUEUED_JOBS_PER_KEY: "1" }, "1 is, so this one would pass"],
  ])("speak of one job in the singular (%j)", async (vars, words) => {
    const { call } = await client(vars);
    expect((await call("a", "/v1/jobs", simulate())).status).toBe(202);
    const refused = await call("a", "/v1/jobs", simulate());
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toContain(words);
  });
});
