import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem, IngestResult } from "../src/contract.ts";
import { api, bearer, getPage, ingest, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

function post(body: unknown, contentType = "application/json"): Promise<Response> {
  return api("/v1/items", {
    method: "POST",
    headers: { "content-type": contentType, ...bearer("writer") },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function countRows(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM items").first<{ n: number }>();
  return row!.n;
}

describe("POST /v1/items", () => {
  it("stores 100 items in one request and answers their ids in request order", async () => {
    const input = Array.from({ length: 100 }, (_, i) => makeItem(T0 + i));
    const response = await post({ items: input });
    expect(response.status).toBe(200);
    const { items } = await json<{ items: IngestResult[] }>(response);
    expect(items.map((item) => item.externalKey)).toEqual(input.map((item) => item.externalKey));
    expect(items.every((item) => item.created)).toBe(true);
    expect(new Set(items.map((item) => item.id)).size).toBe(100);
    expect(await countRows()).toBe(100);
    for (const [i, result] of items.entries()) {
      const stored = await json<FeedItem>(await api(`/v1/items/${result.id}`));
      expect(stored.externalKey).toBe(input[i]!.externalKey);
    }
  });

  it("stores a full batch of items at their largest", async () => {
    const input = Array.from({ length: 100 }, (_, i) =>
      makeItem(T0 + i, {
        externalKey: `${i}-${"k".repeat(250)}`,
        topic: "t".repeat(64),
        title: "T".repeat(500),
        url: `https://example.com/${"p".repeat(2000)}`,
        author: "A".repeat(200),
        summary: "S".repeat(5000),
      }),
    );
    const results = await ingest(input);
    expect(results.every((result) => result.created)).toBe(true);
    const stored = await json<FeedItem>(await api(`/v1/items/${results[99]!.id}`));
    expect(stored.summary).toHaveLength(5000);
    expect(stored.url).toBe(input[99]!.url);
  });

  it("is idempotent on externalKey: same ids, created false, nothing changed", async () => {
    const input = Array.from({ length: 30 }, (_, i) => makeItem(T0 + i));
    const first = await ingest(input);
    const before = await getPage("?limit=100");
    const second = await ingest(input);
    expect(second.map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(second.every((r) => !r.created)).toBe(true);
    expect(await countRows()).toBe(30);
    expect(await getPage("?limit=100")).toEqual(before);
  });

  it("updates content on re-ingest but keeps the id and the first publishedAt", async () => {
    const original = makeItem(T0);
    const [first] = await ingest([original]);
    const [second] = await ingest([
      {
        ...original,
        title: "New title",
        topic: "go",
        summary: null,
        publishedAt: "2030-01-01T00:00:00Z",
      },
    ]);
    expect(second).toEqual({ ...first, created: false });
    expect(second!.publishedAt).toBe(new Date(T0).toISOString());
    const stored = await json<FeedItem>(await api(`/v1/items/${first!.id}`));
    expect(stored).toMatchObject({ title: "New title", topic: "go", summary: null });
    expect(stored.publishedAt).toBe(new Date(T0).toISOString());
    expect(Date.parse(stored.updatedAt)).toBeGreaterThanOrEqual(Date.parse(stored.createdAt));
  });

  it("treats a key repeated within one body like two requests in order", async () => {
    const item = makeItem(T0);
    const results = await ingest([item, { ...item, title: "Second version" }]);
    expect(results[0]!.created).toBe(true);
    expect(results[1]!.created).toBe(false);
    expect(results[1]!.id).toBe(results[0]!.id);
    const stored = await json<FeedItem>(await api(`/v1/items/${results[0]!.id}`));
    expect(stored.title).toBe("Second version");
    expect(await countRows()).toBe(1);
  });

  it("mixes new and known keys in one batch", async () => {
    const known = makeItem(T0);
    const [stored] = await ingest([known]);
    const fresh = makeItem(T0 + 1);
    const results = await ingest([fresh, known]);
    expect(results[0]).toMatchObject({ externalKey: fresh.externalKey, created: true });
    expect(results[1]).toEqual({ ...stored, created: false });
  });

  it.each<[string, unknown, string]>([
    ["an empty list", { items: [] }, "/items"],
    ["101 items", { items: Array.from({ length: 101 }, (_, i) => makeItem(T0 + i)) }, "/items"],
    ["a missing title", { items: [{ ...makeItem(T0), title: undefined }] }, "/items/0/title"],
    ["a relative url", { items: [makeItem(T0), { ...makeItem(T0), url: "/x" }] }, "/items/1/url"],
    [
      "a javascript: url",
      { items: [{ ...makeItem(T0), url: "javascript:alert(1)" }] },
      "/items/0/url",
    ],
    [
      "a date without offset",
      { items: [{ ...makeItem(T0), publishedAt: "2026-11-01T00:00:00" }] },
      "/items/0/publishedAt",
    ],
    [
      "a date-only publishedAt",
      { items: [{ ...makeItem(T0), publishedAt: "2026-11-01" }] },
      "/items/0/publishedAt",
    ],
    [
      "an unknown field",
      { items: [{ ...makeItem(T0), publishedat: "x" }] },
      "/items/0/publishedat",
    ],
    ["a non-string topic", { items: [{ ...makeItem(T0), topic: 7 }] }, "/items/0/topic"],
    ["a topic with a newline", { items: [{ ...makeItem(T0), topic: "a\nb" }] }, "/items/0/topic"],
    ["an array body", [makeItem(T0)], ""],
  ])("refuses %s with a problem pointing at it", async (_name, body, pointer) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await json<{ errors: { pointer?: string }[] }>(response);
    expect(problem.errors.map((error) => error.pointer)).toContain(pointer);
    expect(await countRows()).toBe(0);
  });

  it("refuses malformed JSON, an empty body and a non-JSON media type", async () => {
    expect((await post("{")).status).toBe(400);
    expect((await post("")).status).toBe(400);
    const wrongType = await post(JSON.stringify({ items: [makeItem(T0)] }), "text/plain");
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses a member given twice at its pointer, storing nothing of the batch", async () => {
    const [first, second] = [makeItem(T0), makeItem(T0 + 1)];
    const once = JSON.stringify({ items: [first, second] });
    const title = `"title":${JSON.stringify(second.title)}`;
    const cases: [string, string][] = [
      [once.replace(title, `${title},"title":"Other"`), "/items/1/title"],
      [once.replace(/}$/, ',"items":[]}'), "/items"],
      [once.replace(title, `${title},"\\u0074itle":"Other"`), "/items/1/title"],
    ];
    for (const [body, pointer] of cases) {
      const response = await post(body);
      expect(response.status).toBe(400);
      const problem = await json<{ errors: { pointer?: string; detail: string }[] }>(response);
      expect(problem.errors).toEqual([
        { pointer, detail: "is given more than once in its object; send each member once" },
      ]);
      expect(await countRows()).toBe(0);
    }
    // Each member once, the same batch is stored: the refusals were about the repeats alone.
    expect((await post(once)).status).toBe(200);
    expect(await countRows()).toBe(2);
  });

  it("never answers 500 to arbitrary bodies (property)", async () => {
    const almostItem = fc.record(
      {
        externalKey: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)),
        topic: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom("rust", "go")),
        title: fc.oneof(fc.string({ maxLength: 20 }), fc.constant("")),
        url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 })),
        author: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(null), fc.integer()),
        summary: fc.option(fc.string({ maxLength: 10 })),
        publishedAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string({ maxLength: 30 }),
          fc.integer(),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.record({ items: fc.array(almostItem, { maxLength: 5 }) }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 50 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (candidate) => {
        const response = await post(candidate);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.headers.get("content-type")).toBe("application/problem+json");
        } else {
          const { items } = await json<{ items: IngestResult[] }>(response);
          expect(items.every((item) => Number.isInteger(item.id))).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("never answers 500 to arbitrary listing queries (property)", async () => {
    const key = fc.constantFrom("limit", "cursor", "topic", "since", "until", "x");
    const search = fc.array(fc.tuple(key, fc.string({ maxLength: 40 })), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(search, async (pairs) => {
        const response = await api(`/v1/items?${new URLSearchParams(pairs)}`);
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) {
          expect(response.headers.get("content-type")).toBe("application/problem+json");
        }
        await response.body?.cancel();
      }),
      { numRuns: 150 },
    );
  });
});

describe("publishedAt outside the years 0000-9999 in UTC", () => {
  it("is refused with 400 naming it, and nothing is stored, where it would read back as +010000-…", async () => {
    for (const publishedAt of ["9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+00:01"]) {
      const response = await api("/v1/items", {
        method: "POST",
        headers: { ...bearer("writer"), "content-type": "application/json" },
        body: JSON.stringify({ items: [{ ...makeItem(990_001), publishedAt }] }),
      });
      expect(response.status).toBe(400);
      const problem = (await response.json()) as { errors: { pointer: string }[] };
      expect(problem.errors.map((error) => error.pointer)).toEqual(["/items/0/publishedAt"]);
    }
    const edge = await api("/v1/items", {
      method: "POST",
      headers: { ...bearer("writer"), "content-type": "application/json" },
      body: JSON.stringify({
        items: [{ ...makeItem(990_002), publishedAt: "9999-12-31T23:59:59Z" }],
      }),
    });
    expect(edge.status).toBe(200);
  });
});
