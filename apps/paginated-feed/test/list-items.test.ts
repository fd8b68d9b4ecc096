import { createExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem } from "../src/contract.ts";
import {
  api,
  BASE,
  feedOrder,
  getPage,
  ingest,
  json,
  makeItem,
  resetItems,
  walk,
} from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;

beforeEach(resetItems);

describe("GET /v1/items", () => {
  it("orders newest first and breaks publishedAt ties by id, across page boundaries", async () => {
    // Three items share each timestamp, so ties straddle pages of 4.
    const input = Array.from({ length: 15 }, (_, i) => makeItem(T0 + Math.floor(i / 3) * MINUTE));
    const stored = await ingest(input);
    const walked = await walk({}, 4);
    expect(walked.map((item) => item.id)).toEqual(
      [...walked].sort(feedOrder).map((item) => item.id),
    );
    expect(new Set(walked.map((item) => item.id))).toEqual(new Set(stored.map((s) => s.id)));
    const ties = walked.filter((item) => item.publishedAt === new Date(T0).toISOString());
    expect(ties.map((item) => item.id)).toEqual(ties.map((item) => item.id).sort((a, b) => b - a));
  });

  it("answers the page shape with a Link header to the next page and no next link on the last", async () => {
    await ingest(Array.from({ length: 3 }, (_, i) => makeItem(T0 + i)));
    const first = await api("/v1/items?limit=2&topic=rust");
    const body = await json<{ items: FeedItem[]; nextCursor: string; hasMore: boolean }>(first);
    expect(body.items).toHaveLength(2);
    expect(body.hasMore).toBe(true);
    const link = first.headers.get("link");
    expect(link).toMatch(/^<http:\/\/feed\.test\/v1\/items\?.*>; rel="next", <.*>; rel="first"$/);
    const next = new URL(link!.slice(1, link!.indexOf(">")));
    expect(next.searchParams.get("cursor")).toBe(body.nextCursor);
    expect(next.searchParams.get("limit")).toBe("2");
    expect(next.searchParams.get("topic")).toBe("rust");
    const last = await api(next.toString());
    expect(await json(last)).toMatchObject({ nextCursor: null, hasMore: false });
    expect(last.headers.get("link")).not.toContain('rel="next"');
  });

  it("filters by topic, since (inclusive) and until (exclusive), alone and together", async () => {
    const topics = ["rust", "go", "zig"];
    const input = Array.from({ length: 30 }, (_, i) =>
      makeItem(T0 + i * MINUTE, { topic: topics[i % 3]! }),
    );
    await ingest(input);
    const since = new Date(T0 + 10 * MINUTE).toISOString();
    const until = new Date(T0 + 20 * MINUTE).toISOString();
    const cases: [Record<string, string>, (item: FeedItem) => boolean][] = [
      [{ topic: "go" }, (item) => item.topic === "go"],
      [{ since }, (item) => item.publishedAt >= since],
      [{ until }, (item) => item.publishedAt < until],
      [{ since, until }, (item) => item.publishedAt >= since && item.publishedAt < until],
      [
        { topic: "zig", since, until },
        (item) => item.topic === "zig" && item.publishedAt >= since && item.publishedAt < until,
      ],
    ];
    const all = await walk({}, 100);
    expect(all).toHaveLength(30);
    for (const [filters, keep] of cases) {
      const expected = all.filter(keep).map((item) => item.id);
      expect(expected.length).toBeGreaterThan(0);
      expect((await walk(filters, 3)).map((item) => item.id)).toEqual(expected);
    }
  });

  it("treats equal instants written with different offsets as the same filter", async () => {
    await ingest(Array.from({ length: 4 }, (_, i) => makeItem(T0 + i * MINUTE)));
    const first = await getPage("?limit=1&since=2026-11-01T00:00:00Z");
    const second = await getPage(
      `?limit=1&since=2026-11-01T01:00:00%2B01:00&cursor=${first.nextCursor}`,
    );
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
  });

  it("defaults limit to 20 and accepts 1..100", async () => {
    await ingest(Array.from({ length: 120 }, (_, i) => makeItem(T0 + i)));
    expect((await getPage("")).items).toHaveLength(20);
    expect((await getPage("?limit=1")).items).toHaveLength(1);
    expect((await getPage("?limit=100")).items).toHaveLength(100);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=2.5", "limit"],
    ["limit=ten", "limit"],
    ["limit=1&limit=2", "limit"],
    ["since=yesterday", "since"],
    ["until=2026-13-01T00:00:00Z", "until"],
    ["since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z", "until"],
    ["topic=", "topic"],
    ["topics=rust", ""],
    ["cursor=", "cursor"],
  ])("refuses ?%s with a problem naming %s", async (search, parameter) => {
    const response = await api(`/v1/items?${search}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await json<{ errors: { parameter?: string }[] }>(response);
    if (parameter !== "") {
      expect(problem.errors.map((error) => error.parameter)).toContain(parameter);
    } else {
      expect(problem.errors.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ["limit=-1", { parameter: "limit", detail: "limit must be at least 1" }],
    ["limit=500", { parameter: "limit", detail: "limit must be at most 100" }],
    [
      "limit=1e20",
      { parameter: "limit", detail: "limit must be a whole number from 1 to 100, in plain digits" },
    ],
    ["topics=rust", { parameter: "topics", detail: "is not a parameter of this route" }],
  ])("says what is wrong with ?%s, once", async (search, error) => {
    const response = await api(`/v1/items?${search}`);
    expect(response.status).toBe(400);
    expect((await json<{ errors: unknown[] }>(response)).errors).toEqual([error]);
  });
});

describe("cursors", () => {
  async function cursorFor(query: string): Promise<string> {
    await ingest(Array.from({ length: 5 }, (_, i) => makeItem(T0 + i, { topic: "rust" })));
    const page = await getPage(query);
    expect(page.nextCursor).toEqual(expect.any(String));
    return page.nextCursor!;
  }

  async function expectCursorRefused(query: string) {
    const response = await api(`/v1/items${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await json<{ type: string; errors: { parameter?: string }[] }>(response);
    expect(problem.type).toMatch(/invalid-cursor$/);
    expect(problem.errors[0]!.parameter).toBe("cursor");
  }

  it("refuses a tampered cursor", async () => {
    const cursor = await cursorFor("?limit=2");
    const [payload, mac] = cursor.split(".");
    const flipped = payload!.slice(0, 5) + (payload![5] === "A" ? "B" : "A") + payload!.slice(6);
    await expectCursorRefused(`?limit=2&cursor=${flipped}.${mac}`);
  });

  it("refuses a truncated cursor", async () => {
    const cursor = await cursorFor("?limit=2");
    await expectCursorRefused(`?limit=2&cursor=${cursor.slice(0, -4)}`);
    await expectCursorRefused(`?limit=2&cursor=${cursor.split(".")[0]}`);
  });

  it("refuses a cursor signed with another secret", async () => {
    const { createCursorCodec } = await import("@edge-async/pagination");
    const z = await import("zod");
    const foreign = createCursorCodec({
      secret: "someone-else",
      purpose: "paginated-feed.items.v1",
      schema: z.array(z.number()),
    });
    await expectCursorRefused(`?cursor=${await foreign.encode([T0, 1, 10])}`);
  });

  it("refuses a cursor reused with different filters", async () => {
    const cursor = await cursorFor("?limit=2&topic=rust");
    await expectCursorRefused(`?limit=2&topic=go&cursor=${cursor}`);
    await expectCursorRefused(`?limit=2&cursor=${cursor}`);
    await expectCursorRefused(`?limit=2&topic=rust&since=2026-01-01T00:00:00Z&cursor=${cursor}`);
  });

  it("accepts the same cursor with another limit", async () => {
    const cursor = await cursorFor("?limit=2");
    const page = await getPage(`?limit=3&cursor=${cursor}`);
    expect(page.items).toHaveLength(3);
  });
});

describe("conditional requests", () => {
  it("answers 304 to If-None-Match with the page's ETag, and 200 once the page changes", async () => {
    await ingest(Array.from({ length: 3 }, (_, i) => makeItem(T0 + i)));
    const first = await api("/v1/items?limit=2");
    const tag = first.headers.get("etag");
    expect(tag).toMatch(/^W\/".+"$/);
    const again = await api("/v1/items?limit=2", { headers: { "if-none-match": tag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(tag);
    expect(await again.text()).toBe("");
    await ingest([makeItem(T0 + 10 * MINUTE)]);
    const changed = await api("/v1/items?limit=2", { headers: { "if-none-match": tag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(tag);
  });

  it("answers 304 for an unchanged item and 200 after its content changes", async () => {
    const original = makeItem(T0);
    const [stored] = await ingest([original]);
    const first = await api(`/v1/items/${stored!.id}`);
    expect(first.status).toBe(200);
    const tag = first.headers.get("etag")!;
    const conditional = { headers: { "if-none-match": tag } };
    expect((await api(`/v1/items/${stored!.id}`, conditional)).status).toBe(304);
    await ingest([original]);
    expect((await api(`/v1/items/${stored!.id}`, conditional)).status).toBe(304);
    await ingest([{ ...original, title: "Corrected title" }]);
    const changed = await api(`/v1/items/${stored!.id}`, conditional);
    expect(changed.status).toBe(200);
    expect(await json(changed)).toMatchObject({ title: "Corrected title" });
  });
});

describe("GET /v1/items/:id", () => {
  it("answers the stored item", async () => {
    const input = makeItem(T0, { author: undefined, summary: "" });
    const [stored] = await ingest([input]);
    const response = await api(`/v1/items/${stored!.id}`);
    expect(await json(response)).toEqual({
      id: stored!.id,
      externalKey: input.externalKey,
      topic: input.topic,
      title: input.title,
      url: input.url,
      author: null,
      summary: null,
      publishedAt: new Date(T0).toISOString(),
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
  });

  it("answers 404 problem for an unknown id and 400 for a malformed one", async () => {
    const missing = await api("/v1/items/999999999");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    for (const bad of ["0", "-1", "1.5", "abc", "1e3", "9999999999999999"]) {
      const response = await api(`/v1/items/${bad}`);
      expect(response.status, bad).toBe(400);
      expect(await json(response)).toMatchObject({ errors: [{ parameter: "id" }] });
    }
  });
});

describe("cursor secret", () => {
  async function listWith(overrides: Partial<Cloudflare.Env>) {
    const { default: app } = await import("../src/index.ts");
    const { env } = await import("cloudflare:workers");
    return app.fetch(
      new Request(`${BASE}/v1/items`),
      { ...env, ...overrides },
      createExecutionContext(),
    );
  }

  it("fails closed outside development when CURSOR_SECRET is missing", async () => {
    const response = await listWith({ CURSOR_SECRET: undefined, ENVIRONMENT: "production" });
    expect(response.status).toBe(503);
    expect(await json(response)).toMatchObject({
      type: "https://edge-async.dev/problems/not-configured",
      setting: "CURSOR_SECRET",
      detail: expect.stringContaining("CURSOR_SECRET"),
    });
  });

  it("uses the dev secret in development, whose cursors the real secret refuses", async () => {
    await ingest(Array.from({ length: 3 }, (_, i) => makeItem(T0 + i)));
    const { default: app } = await import("../src/index.ts");
    const { env } = await import("cloudflare:workers");
    const devEnv = { ...env, CURSOR_SECRET: undefined, ENVIRONMENT: "development" };
    const response = await app.fetch(
      new Request(`${BASE}/v1/items?limit=1`),
      devEnv,
      createExecutionContext(),
    );
    expect(response.status).toBe(200);
    const { nextCursor } = await json<{ nextCursor: string }>(response);
    const refused = await api(`/v1/items?limit=1&cursor=${nextCursor}`);
    expect(refused.status).toBe(400);
  });
});
