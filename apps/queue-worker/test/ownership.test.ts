import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// Jobs belong to the API key that enqueued them: its idempotency keys, its reads, its counts.

const later = { delaySeconds: 3600 };

async function team() {
  const { keys, apiKeys } = await makeKeys({
    alice: ["jobs:write", "jobs:read"],
    bob: ["jobs:write", "jobs:read"],
    admin: ["jobs:admin"],
    ingester: ["jobs:write", "feed:write"],
  });
  const as =
    (who: keyof typeof keys) =>
    (path: string, json?: unknown, bindings: Partial<Cloudflare.Env> = {}) =>
      callWith(
        { API_KEYS: apiKeys, CURSOR_SECRET: "a-test-cursor-secret-of-32-chars", ...bindings },
        path,
        { key: keys[who], ...(json === undefined ? {} : { method: "POST", json }) },
      );
  return { alice: as("alice"), bob: as("bob"), admin: as("admin"), ingester: as("ingester") };
}

const idOf = async (response: Response) => ((await response.json()) as { id: string }).id;

describe("idempotency keys are scoped per API key", () => {
  it("gives two keys using the same idempotency key two jobs, and each its own replay", async () => {
    const { alice, bob, admin } = await team();
    const idempotencyKey = `shared-${crypto.randomUUID()}`;
    const mine = { type: "simulate", payload: { durationMs: 1 }, idempotencyKey, ...later };
    const theirs = { ...mine, payload: { durationMs: 2 } };
    const first = await alice("/v1/jobs", mine);
    const second = await bob("/v1/jobs", theirs);
    // Not a 409: bob's key never meets alice's.
    expect([first.status, second.status]).toEqual([202, 202]);
    const [a, b] = [await idOf(first), await idOf(second)];
    expect(a).not.toBe(b);
    const replayA = await alice("/v1/jobs", mine);
    const replayB = await bob("/v1/jobs", theirs);
    expect([replayA.status, replayB.status]).toEqual([200, 200]);
    expect(await replayA.json()).toMatchObject({ id: a, payload: { durationMs: 1 } });
    expect(await replayB.json()).toMatchObject({ id: b, payload: { durationMs: 2 } });
    // A batch replays by the same per-key rule.
    const batch = await bob("/v1/jobs/batch", { jobs: [theirs] });
    expect(await batch.json()).toEqual({ jobs: [{ id: b, status: "queued", created: false }] });
    // An admin key's idempotency keys are its own too.
    expect((await admin("/v1/jobs", mine)).status).toBe(202);
  });
});

describe("reads", () => {
  it("show a key its own jobs only (another key's job reads as missing); jobs:admin sees every job", async () => {
    const { alice, bob, admin } = await team();
    const job = { type: "simulate", payload: { durationMs: 1 }, ...later };
    const a = await idOf(await alice("/v1/jobs", job));
    const b = await idOf(await bob("/v1/jobs", job));
    expect((await alice(`/v1/jobs/${a}`)).status).toBe(200);
    expect((await alice(`/v1/jobs/${b}`)).status).toBe(404);
    expect((await bob(`/v1/jobs/${a}`)).status).toBe(404);
    expect((await admin(`/v1/jobs/${a}`)).status).toBe(200);
    expect((await admin(`/v1/jobs/${b}`)).status).toBe(200);

    const listed = async (read: typeof alice) =>
      ((await (await read("/v1/jobs?limit=100")).json()) as { items: { id: string }[] }).items.map(
        (item) => item.id,
      );
    expect(await listed(alice)).toEqual([a]);
    expect(await listed(bob)).toEqual([b]);
    expect(await listed(admin)).toEqual(expect.arrayContaining([a, b]));

    const total = async (read: typeof alice) =>
      ((await (await read("/v1/stats")).json()) as { total: number }).total;
    expect(await total(alice)).toBe(1);
    expect(await total(bob)).toBe(1);
    const all = await env.DB.prepare("select count(*) as n from jobs").first<{ n: number }>();
    // Every job, the legacy unowned ones included (other files' jobs may arrive meanwhile).
    expect(await total(admin)).toBeGreaterThanOrEqual(all?.n ?? Number.NaN);
  });

  it("bind a listing cursor to its key: another key's use of it is refused", async () => {
    const { alice, bob } = await team();
    const job = { type: "simulate", payload: { durationMs: 1 }, ...later };
    await alice("/v1/jobs/batch", { jobs: [job, job] });
    const page = (await (await alice("/v1/jobs?limit=1")).json()) as { nextCursor: string };
    expect((await alice(`/v1/jobs?limit=1&cursor=${page.nextCursor}`)).status).toBe(200);
    const stolen = await bob(`/v1/jobs?limit=1&cursor=${page.nextCursor}`);
    expect(stolen.status).toBe(400);
  });
});

describe("ingest jobs", () => {
  // A paginated-feed key for the ingest jobs to post with (these jobs never run).
  const feedKey = { FEED_API_KEY: "ea_feed_a-paginated-feed-key-with-feed-write" };
  const ingest = {
    type: "ingest",
    payload: { feedUrl: "https://upstream.test/feed.json", topic: "news" },
    ...later,
  };

  it("need feed:write as well as jobs:write (403 naming the job, nothing stored)", async () => {
    const { alice, ingester } = await team();
    const refused = await alice("/v1/jobs/batch", {
      jobs: [{ type: "simulate", payload: {}, ...later }, ingest],
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      scope: "feed:write",
      errors: [{ pointer: "/jobs/1/type" }],
    });
    expect(((await (await alice("/v1/stats")).json()) as { total: number }).total).toBe(0);
    expect((await ingester("/v1/jobs", ingest, feedKey)).status).toBe(202);
  });

  it("are refused (503 not-configured) in production until FEED_API_KEY is set; other jobs are not", async () => {
    const { ingester } = await team();
    const closed = await ingester("/v1/jobs", ingest);
    expect(closed.status).toBe(503);
    expect(await closed.json()).toMatchObject({ setting: "FEED_API_KEY" });
    const simulate = { type: "simulate", payload: {}, ...later };
    expect((await ingester("/v1/jobs", simulate)).status).toBe(202);
    expect((await ingester("/v1/jobs", ingest, feedKey)).status).toBe(202);
  });
});

describe("ALLOWED_HOSTS", () => {
  it("is closed by default: with the deployed empty list, no URL may be fetched", async () => {
    const { alice } = await team();
    const response = await alice(
      "/v1/jobs",
      { type: "fetch", payload: { url: "https://example.com/" }, ...later },
      { ALLOWED_HOSTS: "" },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      errors: [
        { pointer: "/payload/url", detail: "is refused: host example.com is not on the allowlist" },
      ],
    });
  });
});
