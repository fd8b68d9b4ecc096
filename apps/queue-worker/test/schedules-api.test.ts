import { expectProblem } from "@edge-async/testing";
import { describe, expect, it } from "vitest";
import type { Schedule } from "../src/client.ts";
import { nextRunAfter } from "../src/schedules.ts";
import { api } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// /v1/schedules over HTTP: what is stored and shown, who may see and change what, and a 400
// problem+json naming the field for every bad input.

const simulate = { type: "simulate", payload: { durationMs: 1 } };
const schedule = (extra: object = {}) => ({
  name: "every minute",
  cron: "* * * * *",
  job: simulate,
  ...extra,
});
const post = (path: string, json?: unknown) =>
  api(path, json === undefined ? { method: "POST" } : { method: "POST", json });

async function created(body: object = schedule()): Promise<Schedule> {
  const response = await post("/v1/schedules", body);
  expect(response.status).toBe(201);
  return (await response.json()) as Schedule;
}

/**
 * A 400 problem+json whose `errors` name the body's `pointer` (or, for `?name`, the path or
 * query parameter) with a detail matching `detail`.
 */
async function expectInvalid(response: Response, where: string, detail: RegExp) {
  expect(response.status).toBe(400);
  await expectProblem(response.clone());
  const problem = (await response.json()) as { errors?: object[] };
  const named = where.startsWith("?") ? { parameter: where.slice(1) } : { pointer: where };
  expect(problem.errors).toEqual(
    expect.arrayContaining([{ ...named, detail: expect.stringMatching(detail) }]),
  );
}

describe("POST /v1/schedules", () => {
  it("stores the schedule and answers 201 with its view, its first run the next due time", async () => {
    const before = Date.now();
    const response = await post(
      "/v1/schedules",
      schedule({
        name: "nightly \u{1F319} ​",
        cron: "30 2 * * *",
        timezone: "Europe/Berlin",
        job: { ...simulate, timeoutMs: 5000 },
      }),
    );
    expect(response.status).toBe(201);
    const view = (await response.json()) as Schedule;
    expect(response.headers.get("location")).toBe(`/v1/schedules/${view.id}`);
    expect(view).toMatchObject({
      name: "nightly \u{1F319} ​",
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
      job: { type: "simulate", payload: { durationMs: 1, failureRate: 0 }, timeoutMs: 5000 },
      paused: false,
      lastRunAt: null,
      lastJobId: null,
    });
    const created = Date.parse(view.createdAt);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(Date.parse(view.nextRunAt!)).toBe(nextRunAfter("30 2 * * *", "Europe/Berlin", created));
    expect(await (await api(`/v1/schedules/${view.id}`)).json()).toEqual(view);
  });

  it.each([
    ["utc", "UTC"],
    ["europe/berlin", "Europe/Berlin"],
    ["Etc/UTC", "UTC"],
    ["America/New_York", "America/New_York"],
    ["Etc/GMT-1", "Etc/GMT-1"],
    ["US/Pacific", "America/Los_Angeles"],
  ])("stores the time zone %j under its canonical name %j", async (timezone, canonical) => {
    const view = await created(schedule({ timezone }));
    expect(view.timezone).toBe(canonical);
    expect((await api(`/v1/schedules/${view.id}`).then((r) => r.json())) as Schedule).toMatchObject(
      {
        timezone: canonical,
      },
    );
  });

  it("keeps a name with inner and edge spaces as sent", async () => {
    expect((await created(schedule({ name: " a b " }))).name).toBe(" a b ");
  });

  it("reads the cron in UTC when no time zone is named", async () => {
    const view = await created(schedule({ cron: "0 12 * * *" }));
    expect(view.timezone).toBe("UTC");
    expect(new Date(view.nextRunAt!).getUTCHours()).toBe(12);
  });

  it.each([
    ["an invalid cron", { cron: "61 * * * *" }, "/cron", /not a valid cron expression/],
    ["a seconds field", { cron: "*/5 * * * * *" }, "/cron", /seconds field is not supported/],
    ["a cron that never fires", { cron: "0 0 30 2 *" }, "/cron", /never fires/],
    ["an empty cron", { cron: "" }, "/cron", /must not be empty/],
    ["a cron that is not a string", { cron: 5 }, "/cron", /string/],
    ["an unknown time zone", { timezone: "Mars/Olympus_Mons" }, "/timezone", /unknown time zone/],
    ["a UTC offset", { timezone: "+01:00" }, "/timezone", /an offset is not a time zone/],
    ["an offset named GMT-5", { timezone: "GMT-5" }, "/timezone", /an offset is not a time zone/],
    ["a zone no tz database holds", { timezone: "Factory" }, "/timezone", /unknown time zone/],
    ["a name with a NUL", { name: "a\u0000b" }, "/name", /control characters/],
    ["a name of only spaces", { name: "   " }, "/name", /only whitespace/],
    [
      "day-of-month 0",
      { cron: "0 0 0 * *" },
      "/cron",
      /day-of-month field "0" must be within 1-31/,
    ],
    ["month 13", { cron: "0 0 * 13 *" }, "/cron", /month field "13" must be within 1-12/],
    ["a range past the month", { cron: "0 0 1-40 * *" }, "/cron", /day-of-month field "1-40"/],
    ["hour 24", { cron: "0 24 * * *" }, "/cron", /hour field "24" must be within 0-23/],
    ["a name that is not text", { name: "a\ud800b" }, "/name", /surrogate/],
    ["an empty name", { name: "" }, "/name", /must not be empty/],
    ["a missing name", { name: undefined }, "/name", /./],
    [
      "an unknown job type",
      { job: { type: "teleport", payload: {} } },
      "/job/type",
      /unknown job type/,
    ],
    [
      "an invalid payload",
      { job: { type: "fetch", payload: { url: "not a url" } } },
      "/job/payload/url",
      /./,
    ],
    [
      "a job option a schedule decides",
      { job: { ...simulate, delaySeconds: 5 } },
      "/job/delaySeconds",
      /is not a member this route takes/,
    ],
    ["an unknown field", { every: "minute" }, "/every", /is not a member this route takes/],
  ])("refuses %s with a 400 naming it", async (_what, extra, pointer, detail) => {
    await expectInvalid(await post("/v1/schedules", schedule(extra)), pointer, detail);
  });

  it("refuses a job URL the outbound policy refuses, naming it, and stores nothing", async () => {
    const response = await callWith(
      { ENVIRONMENT: "development", ALLOWED_HOSTS: "example.com" },
      "/v1/schedules",
      {
        method: "POST",
        key: "ea_dev_local-development-only-never-deploy",
        json: schedule({ job: { type: "fetch", payload: { url: "https://elsewhere.test/" } } }),
      },
    );
    await expectInvalid(response, "/job/payload/url", /allowlist/);
  });

  it("refuses a body that is not JSON, or not application/json", async () => {
    const broken = await api("/v1/schedules", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":',
    });
    expect(broken.status).toBe(400);
    await expectProblem(broken);
    const text = await api("/v1/schedules", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(text.status).toBe(415);
    await expectProblem(text);
  });
});

describe("the id routes", () => {
  const calls = {
    get: (id: string) => api(`/v1/schedules/${id}`),
    pause: (id: string) => post(`/v1/schedules/${id}/pause`),
    resume: (id: string) => post(`/v1/schedules/${id}/resume`),
    delete: (id: string) => api(`/v1/schedules/${id}`, { method: "DELETE" }),
  };

  it.each(Object.entries(calls))(
    "%s: a malformed id is a 400 naming it, an unknown one a 404",
    async (_name, call) => {
      await expectInvalid(await call("not-a-uuid"), "?id", /id must be a schedule id/);
      const unknown = await call(crypto.randomUUID());
      expect(unknown.status).toBe(404);
      await expectProblem(unknown.clone());
      expect(await unknown.json()).toMatchObject({
        type: "https://edge-async.dev/problems/schedule-not-found",
      });
    },
  );

  it("pause is idempotent and resume of a running schedule changes nothing", async () => {
    const view = await created();
    const paused = (await (await calls.pause(view.id)).json()) as Schedule;
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    expect(await (await calls.pause(view.id)).json()).toMatchObject({
      paused: true,
      nextRunAt: null,
    });
    const resumed = (await (await calls.resume(view.id)).json()) as Schedule;
    expect(resumed.paused).toBe(false);
    expect(await (await calls.resume(view.id)).json()).toEqual(resumed);
  });

  it("delete answers 204, then the schedule is gone", async () => {
    const view = await created();
    const deleted = await calls.delete(view.id);
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect((await calls.get(view.id)).status).toBe(404);
    expect((await calls.delete(view.id)).status).toBe(404);
  });
});

describe("GET /v1/schedules", () => {
  it("walks the key's schedules newest first with signed cursors and a Link header", async () => {
    const mine = [await created(), await created(), await created()];
    const seen: string[] = [];
    let path = "/v1/schedules?limit=2";
    for (let page = 0; page < 100; page += 1) {
      const response = await api(path);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { items: Schedule[]; nextCursor: string | null };
      seen.push(...body.items.map((item) => item.id));
      if (body.nextCursor === null) {
        expect(response.headers.get("link")).toBeNull();
        break;
      }
      expect(response.headers.get("link")).toContain('rel="next"');
      path = `/v1/schedules?limit=2&cursor=${encodeURIComponent(body.nextCursor)}`;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const order = mine.map((view) => view.id).reverse();
    expect(seen.filter((id) => order.includes(id))).toEqual(order);
  });

  it("refuses a bad limit or cursor with a 400 naming it", async () => {
    await expectInvalid(await api("/v1/schedules?limit=0"), "?limit", /at least 1/);
    const forged = await api("/v1/schedules?cursor=forged");
    expect(forged.status).toBe(400);
    await expectProblem(forged);
  });
});

describe("ownership and scopes", () => {
  async function team() {
    const { keys, apiKeys } = await makeKeys({
      alice: ["jobs:write", "jobs:read"],
      bob: ["jobs:write", "jobs:read"],
      admin: ["jobs:admin"],
      reader: ["jobs:read"],
      ingester: ["jobs:write", "jobs:read", "feed:write"],
    });
    const as =
      (who: keyof typeof keys) =>
      (path: string, init: { method?: string; json?: unknown } = {}) =>
        callWith(
          {
            API_KEYS: apiKeys,
            CURSOR_SECRET: "a-test-cursor-secret-of-32-chars",
            FEED_API_KEY: "ea_feed_a-paginated-feed-key",
          },
          path,
          { key: keys[who], ...init },
        );
    return {
      alice: as("alice"),
      bob: as("bob"),
      admin: as("admin"),
      reader: as("reader"),
      ingester: as("ingester"),
      anonymous: (path: string) => callWith({ API_KEYS: apiKeys }, path),
    };
  }
  const idOf = async (response: Response) => ((await response.json()) as { id: string }).id;
  const listed = async (response: Response) =>
    ((await response.json()) as { items: { id: string }[] }).items.map((item) => item.id);

  it("another key's schedule reads as missing to every route; jobs:admin sees and changes all", async () => {
    const { alice, bob, admin } = await team();
    const id = await idOf(await alice("/v1/schedules", { method: "POST", json: schedule() }));
    for (const [method, path] of [
      ["GET", `/v1/schedules/${id}`],
      ["POST", `/v1/schedules/${id}/pause`],
      ["POST", `/v1/schedules/${id}/resume`],
      ["DELETE", `/v1/schedules/${id}`],
    ] as const) {
      expect((await bob(path, { method })).status).toBe(404);
    }
    expect(await listed(await alice("/v1/schedules"))).toEqual([id]);
    expect(await listed(await bob("/v1/schedules"))).toEqual([]);
    expect(await listed(await admin("/v1/schedules?limit=100"))).toContain(id);
    expect((await admin(`/v1/schedules/${id}/pause`, { method: "POST" })).status).toBe(200);
    expect(await (await alice(`/v1/schedules/${id}`)).json()).toMatchObject({ paused: true });
    expect((await alice(`/v1/schedules/${id}`, { method: "DELETE" })).status).toBe(204);
  });

  it("one key's cursor is no use to another", async () => {
    const { alice, bob } = await team();
    for (let index = 0; index < 2; index += 1) {
      await alice("/v1/schedules", { method: "POST", json: schedule() });
    }
    const page = (await (await alice("/v1/schedules?limit=1")).json()) as { nextCursor: string };
    const stolen = await bob(`/v1/schedules?cursor=${encodeURIComponent(page.nextCursor)}`);
    expect(stolen.status).toBe(400);
    await expectProblem(stolen);
  });

  it("reads need jobs:read and writes jobs:write; nothing is stored on a 403", async () => {
    const { reader, alice } = await team();
    const refused = await reader("/v1/schedules", { method: "POST", json: schedule() });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ scope: "jobs:write" });
    expect(await listed(await reader("/v1/schedules"))).toEqual([]);
    const id = await idOf(await alice("/v1/schedules", { method: "POST", json: schedule() }));
    expect((await reader(`/v1/schedules/${id}`)).status).toBe(404);
    expect((await reader(`/v1/schedules/${id}/pause`, { method: "POST" })).status).toBe(403);
  });

  it("an ingest schedule needs feed:write to create and to resume, as enqueueing one does", async () => {
    const { alice, admin, ingester } = await team();
    const ingest = schedule({
      job: { type: "ingest", payload: { feedUrl: "https://feed.test/feed.json", topic: "news" } },
    });
    const refused = await alice("/v1/schedules", { method: "POST", json: ingest });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      scope: "feed:write",
      errors: [{ pointer: "/job/type", detail: "an ingest job needs the scope feed:write" }],
    });
    const response = await ingester("/v1/schedules", { method: "POST", json: ingest });
    expect(response.status).toBe(201);
    const id = await idOf(response);
    expect((await ingester(`/v1/schedules/${id}/pause`, { method: "POST" })).status).toBe(200);
    // jobs:admin sees every schedule, but resuming an ingest one needs feed:write too.
    const refusedResume = await admin(`/v1/schedules/${id}/resume`, { method: "POST" });
    expect(refusedResume.status).toBe(403);
    expect(await refusedResume.json()).toMatchObject({
      scope: "feed:write",
      errors: [{ pointer: "/job/type" }],
    });
    expect(await (await ingester(`/v1/schedules/${id}`)).json()).toMatchObject({ paused: true });
    expect((await ingester(`/v1/schedules/${id}/resume`, { method: "POST" })).status).toBe(200);
  });

  it("a production worker answers a request without credentials 401", async () => {
    const response = await (await team()).anonymous("/v1/schedules");
    expect(response.status).toBe(401);
    await expectProblem(response);
  });
});
