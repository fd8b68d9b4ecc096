import { env } from "cloudflare:workers";
import { anyText as anyTextOf } from "@edge-async/testing";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem, FeedPage, IngestItem, IngestResult } from "../src/contract.ts";
import { ingestItem } from "../src/contract.ts";
import { feedDb } from "../src/db/feed-store.ts";
import { upsertItems } from "../src/db/upsert.ts";
import { api, bearer, ingest, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

const anyText = anyTextOf(30);
/** Topics the feed accepts, rich in characters that need percent-encoding. */
const anyTopic = fc
  .string({
    unit: fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.constantFrom(" ", "\u00a0", "\ufffd", "😀", "e\u0301", "%", "+", "&", "=", "#", "/", "?"),
    ),
    minLength: 1,
    maxLength: 20,
  })
  .filter((topic) => /\S/.test(topic) && !/\p{Cc}/u.test(topic));

function post(body: unknown): Promise<Response> {
  return api("/v1/items", {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer("writer") },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function storedRows(): Promise<unknown[]> {
  const { results } = await env.DB.prepare("SELECT * FROM items ORDER BY id").all();
  return results;
}

async function pointers(response: Response): Promise<string[]> {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = await json<{ errors: { pointer?: string }[] }>(response);
  return problem.errors.map((error) => error.pointer ?? "");
}

describe("text that D1 cannot keep exactly", () => {
  it('refuses the issue\'s externalKey "x\\udfffy" with 400 naming it, stores nothing, and again on retry', async () => {
    const item = makeItem(T0);
    // The JSON text of the issue, escapes and all.
    const body = JSON.stringify({ items: [item] }).replace(
      JSON.stringify(item.externalKey),
      '"x\\udfffy"',
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await pointers(await post(body))).toEqual(["/items/0/externalKey"]);
      expect(await storedRows()).toEqual([]);
    }
  });

  it('refuses the issue\'s title "a\\ud800b" with 400 naming it', async () => {
    const response = await post({ items: [makeItem(T0), makeItem(T0, { title: "a\ud800b" })] });
    expect(await pointers(response)).toEqual(["/items/1/title"]);
    expect(await storedRows()).toEqual([]);
  });

  it("keeps NUL, controls, edge spaces and U+FFFD exactly", async () => {
    const odd = makeItem(T0, {
      externalKey: "k\u0000\u0001 x\ufffd\ufffd\ufffdy ",
      topic: " rust\u00a0",
      title: "\ttitle\u0000 ",
      author: " ",
      summary: "line\r\nline\u0000\u001b",
    });
    const [result] = await ingest([odd]);
    const stored = await json<FeedItem>(await api(`/v1/items/${result!.id}`));
    expect(stored).toMatchObject({ ...odd, publishedAt: new Date(T0).toISOString() });
    expect(result!.externalKey).toBe(odd.externalKey);
  });

  const writer = { id: "text-test", overwritesAny: false };

  it("upsertItems itself refuses such text before writing anything", async () => {
    const parsed = ingestItem.parse(makeItem(T0));
    await expect(
      upsertItems(feedDb(env.DB), [parsed, { ...parsed, externalKey: "x\udfffy" }], T0, writer),
    ).rejects.toThrow(RangeError);
    expect(await storedRows()).toEqual([]);
  });

  it("maps rows to items by position: keys that differ only in how D1 would read them back", async () => {
    const db = feedDb(env.DB);
    const base = ingestItem.parse(makeItem(T0));
    const keys = ["x\ufffd\ufffd\ufffdy", "x\ufffdy", "x\u0000y", "x\u0000", "x"];
    const outcomes = await upsertItems(
      db,
      keys.map((externalKey) => ({ ...base, externalKey })),
      T0,
      writer,
    );
    expect(outcomes.map((outcome) => outcome.externalKey)).toEqual(keys);
    expect(new Set(outcomes.map((outcome) => outcome.id)).size).toBe(keys.length);
    expect(outcomes.every((outcome) => outcome.created)).toBe(true);
    const again = await upsertItems(
      db,
      keys.map((externalKey) => ({ ...base, externalKey })),
      T0,
      writer,
    );
    expect(again).toEqual(outcomes.map((outcome) => ({ ...outcome, created: false })));
  });
});

type TextField = "externalKey" | "topic" | "title" | "url" | "author" | "summary";

/** Whether the schema must accept `value` for `field` (url: left to the URL parser). */
const accepts: Record<TextField, (value: string) => boolean | undefined> = {
  externalKey: (v) => v.isWellFormed() && v.length >= 1 && v.length <= 256,
  topic: (v) => v.isWellFormed() && v.length <= 64 && /\S/.test(v) && !/\p{Cc}/u.test(v),
  title: (v) => v.isWellFormed() && v.length <= 500 && /\S/.test(v),
  url: (v) => (v.isWellFormed() ? undefined : false),
  author: (v) => v.isWellFormed() && v.length <= 200,
  summary: (v) => v.isWellFormed() && v.length <= 5000,
};

describe("every text field of POST /v1/items: accepted means read back identical (property)", () => {
  const fields = Object.keys(accepts) as TextField[];
  it.each(fields)("%s", async (field) => {
    const value = field === "url" ? anyText.map((t) => `https://example.com/${t}`) : anyText;
    await fc.assert(
      fc.asyncProperty(value, async (candidate) => {
        await resetItems();
        const item: IngestItem = { ...makeItem(T0), [field]: candidate };
        const response = await post({ items: [item] });
        const expected = accepts[field](candidate);
        if (expected !== undefined) expect(response.status).toBe(expected ? 200 : 400);
        if (response.status !== 200) {
          expect(new Set(await pointers(response))).toEqual(new Set([`/items/0/${field}`]));
          expect(await storedRows()).toEqual([]);
          return;
        }
        const [result] = (await json<{ items: IngestResult[] }>(response)).items;
        const stored = await json<FeedItem>(await api(`/v1/items/${result!.id}`));
        const optional = field === "author" || field === "summary";
        expect(stored[field]).toBe(optional && candidate === "" ? null : candidate);
      }),
      { numRuns: 60 },
    );
  });

  it("publishedAt: accepted means the same instant", async () => {
    const instant = fc.oneof(
      fc
        .date({ min: new Date(0), max: new Date("9999-12-31"), noInvalidDate: true })
        .map((d) => d.toISOString()),
      anyText,
    );
    await fc.assert(
      fc.asyncProperty(instant, async (candidate) => {
        await resetItems();
        const response = await post({ items: [{ ...makeItem(T0), publishedAt: candidate }] });
        if (response.status !== 200) {
          expect(await pointers(response)).toEqual(["/items/0/publishedAt"]);
          return;
        }
        const [result] = (await json<{ items: IngestResult[] }>(response)).items;
        expect(Date.parse(result!.publishedAt)).toBe(Date.parse(candidate));
      }),
      { numRuns: 60 },
    );
  });
});

describe("query strings and path parameters", () => {
  it("finds an item by any stored topic, percent-encoded, in the listing and the export (property)", async () => {
    await fc.assert(
      fc.asyncProperty(anyTopic, async (topic) => {
        expect(accepts.topic(topic)).toBe(true);
        await resetItems();
        const [other, mine] = await ingest([
          makeItem(T0, { topic: `${topic}x` }),
          makeItem(T0, { topic }),
        ]);
        const page = await json<FeedPage>(
          await api(`/v1/items?topic=${encodeURIComponent(topic)}`),
        );
        expect(page.items.map((item) => [item.id, item.topic])).toEqual([[mine!.id, topic]]);
        const exported = await api(`/v1/items/export?topic=${encodeURIComponent(topic)}`);
        const lines = (await exported.text()).split("\n").filter((line) => line !== "");
        expect(lines.map((line) => (JSON.parse(line) as FeedItem).id)).toEqual([mine!.id]);
        expect(other!.id).not.toBe(mine!.id);
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    ["/v1/items?topic=%ED%A0%80", "topic"],
    ["/v1/items?topic=%FF", "topic"],
    ["/v1/items?limit=5&since=%E2%82", "since"],
    ["/v1/items/export?topic=%ED%BF%BF", "topic"],
    ["/v1/items/%FF", "id"],
    ["/v1/items/1%ED%A0%80", "id"],
  ])("refuses %s with 400 naming %s", async (path, parameter) => {
    const response = await api(path);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await json<{ errors: { parameter?: string }[] }>(response);
    expect(problem.errors.map((error) => error.parameter)).toEqual([parameter]);
  });
});
