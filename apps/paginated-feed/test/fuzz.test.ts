import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { anyText as anyTextOf, anyUnit, urlText as urlTextOf } from "@edge-async/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { FeedPage } from "../src/contract.ts";
import app from "../src/index.ts";
import { api, BASE, bearer, ingest, json, makeItem, resetItems } from "./helpers.ts";

// HTTP fuzzing: random malformed requests to every endpoint that takes input never get a 5xx,
// every 4xx is problem+json, and the stored rows are unchanged after every refused request.

const T0 = Date.parse("2026-11-01T00:00:00Z");

const anyText = anyTextOf(24);
const urlText = urlTextOf(["rust", "export"]);
const queryKey = fc.oneof(
  fc.constantFrom("limit", "cursor", "topic", "since", "until", "count"),
  urlText,
);
const queryValue = fc.oneof(
  urlText,
  fc.constantFrom(
    "5",
    "2026-11-01T00:00:00Z",
    "2026-11-01T00:00:00",
    "rust",
    "estimate",
    "x".repeat(5000),
  ),
);
const search = fc
  .array(fc.tuple(queryKey, fc.option(queryValue, { nil: undefined })), { maxLength: 5 })
  .map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join("&"));

const headerValue = fc.oneof(
  fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, "")),
  fc.constantFrom('W/"abc"', "*", '"', "application/json", "application/x-ndjson", ""),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 4 },
  fc.constantFrom(
    "application/json; charset=utf-8",
    "application/merge-patch+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin1",
    "json",
    "",
    undefined,
  ),
);

const item = fc.record(
  {
    externalKey: fc.oneof(anyText, fc.integer(), fc.constant(null), fc.constant("k".repeat(300))),
    topic: fc.oneof(anyText, fc.constantFrom("rust", " ", "a\nb"), fc.integer()),
    title: fc.oneof(anyText, fc.constant(""), fc.constant({})),
    url: fc.oneof(
      fc.webUrl(),
      anyText,
      anyText.map((t) => `https://example.com/${t}`),
    ),
    author: fc.oneof(anyText, fc.constant(null), fc.integer()),
    summary: fc.option(anyText),
    publishedAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      anyText,
      fc.constantFrom("2026-11-01T00:00:00Z", "+275760-09-13T00:00:00Z", "0000-01-01T00:00:00Z"),
    ),
    extra: anyText,
  },
  { requiredKeys: [] },
);
/** A valid item with one field replaced: reaches the write path. */
const almostValid = fc
  .tuple(
    fc.nat(),
    fc.constantFrom("externalKey", "topic", "title", "url", "author", "summary", "publishedAt"),
    anyText,
    fc.boolean(),
  )
  .map(([n, field, value, replace]) => ({
    externalKey: `fuzz-${n}`,
    topic: "rust",
    title: `Fuzz ${n}`,
    url: `https://example.com/${n}`,
    publishedAt: new Date(T0 + n).toISOString(),
    ...(replace ? { [field]: value } : {}),
  }));
const deep = fc.integer({ min: 1, max: 200_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`);
const tooLarge = `{"items":[{"externalKey":"${"x".repeat(2 * 1024 * 1024)}"}]}`;
const body = fc.oneof(
  fc.record({ items: fc.array(item, { maxLength: 4 }) }).map((value) => JSON.stringify(value)),
  {
    arbitrary: fc
      .array(almostValid, { minLength: 1, maxLength: 3 })
      .map((items) => JSON.stringify({ items })),
    weight: 5,
  },
  fc.jsonValue({ maxDepth: 3, stringUnit: anyUnit }).map((value) => JSON.stringify(value)),
  anyText,
  deep,
  fc.constant(tooLarge),
  fc.uint8Array({ maxLength: 64 }),
  // Bytes that are not UTF-8 inside an otherwise plausible document.
  fc
    .uint8Array({ minLength: 1, maxLength: 4 })
    .map((bytes) =>
      Uint8Array.from([
        ...new TextEncoder().encode('{"items":[{"title":"'),
        ...bytes,
        ...new TextEncoder().encode('"}]}'),
      ]),
    ),
);

async function storedRows(): Promise<unknown[]> {
  return (await env.DB.prepare("SELECT * FROM items ORDER BY id").all()).results;
}

/** The checks every answer passes; returns whether the request was refused. */
async function expectWellFormedAnswer(response: Response, head: boolean): Promise<boolean> {
  expect(response.status).toBeLessThan(500);
  if (response.status < 400) {
    await response.body?.cancel();
    return false;
  }
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  if (head) return true;
  const problem = await json<{ type: unknown; title: unknown; status: unknown }>(response);
  expect(typeof problem.type).toBe("string");
  expect(typeof problem.title).toBe("string");
  expect(problem.status).toBe(response.status);
  return true;
}

/** Sends `request` and checks the answer; the rows must be unchanged unless it wrote. */
async function probe(
  send: () => Promise<Response>,
  { mayWrite = false, head = false } = {},
): Promise<void> {
  const before = await storedRows();
  const refused = await expectWellFormedAnswer(await send(), head);
  if (refused || !mayWrite) expect(await storedRows()).toEqual(before);
}

let cursor = "";

beforeAll(async () => {
  await resetItems();
  await ingest(Array.from({ length: 6 }, (_, i) => makeItem(T0 + i)));
  cursor = (await json<FeedPage>(await api("/v1/items?limit=2"))).nextCursor!;
});

// 200 requests take about a second alone; the suites share two cores, so give them room.
describe("HTTP fuzz (paginated-feed)", { timeout: 30_000 }, () => {
  it("POST /v1/items: random bodies and media types", async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, async (payload, type) => {
        const headers: Record<string, string> = {
          ...bearer("writer"),
          ...(type === undefined ? {} : { "content-type": type }),
        };
        await probe(() => api("/v1/items", { method: "POST", headers, body: payload }), {
          mayWrite: true,
        });
      }),
      { numRuns: 200 },
    );
  });

  it("GET /v1/items and /v1/items/export: random query strings and headers", async () => {
    const mutatedCursor = fc
      .tuple(fc.nat(), fc.constantFrom("A", "_", "-", "%", "=", "\u00e9", ""))
      .map(([at, to]) => {
        const i = at % cursor.length;
        return `cursor=${encodeURIComponent(cursor.slice(0, i) + to + cursor.slice(i + 1))}`;
      });
    const query = fc.oneof(search, mutatedCursor);
    const path = fc.constantFrom("/v1/items", "/v1/items/export");
    await fc.assert(
      fc.asyncProperty(path, query, headerValue, headerValue, async (route, q, tag, bookmark) => {
        const headers = { "if-none-match": tag, "x-d1-bookmark": bookmark };
        await probe(() => api(`${route}?${q}`, { headers }));
      }),
      { numRuns: 120 },
    );
  });

  it("GET /v1/items/:id: random path segments", async () => {
    await fc.assert(
      fc.asyncProperty(urlText, headerValue, async (segment, tag) => {
        await probe(() => api(`/v1/items/${segment}`, { headers: { "if-none-match": tag } }));
      }),
      { numRuns: 100 },
    );
  });

  it("benchmark routes (switched on): random query strings", async () => {
    const route = fc.constantFrom("offset-page", "cursor-at", "rows-read");
    await fc.assert(
      fc.asyncProperty(route, search, async (name, q) => {
        await probe(async () =>
          app.fetch(
            new Request(new URL(`/__bench/${name}?${q}`, BASE), { headers: bearer("admin") }),
            { ...env, ENABLE_BENCH_ROUTES: "true" },
            createExecutionContext(),
          ),
        );
      }),
      { numRuns: 60 },
    );
  });

  it("any method on any path", async () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
    const path = fc.oneof(
      fc.constantFrom("/v1/items", "/v1/items/1", "/v1/items/export", "/healthz", "/"),
      urlText.map((text) => `/${text.replace(/^\/+/, "")}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, contentType, async (verb, route, type) => {
        const headers: Record<string, string> = bearer("writer");
        const init: RequestInit = { method: verb, headers };
        if (verb !== "GET" && verb !== "HEAD") {
          init.body = "{}";
          if (type !== undefined) headers["content-type"] = type;
        }
        // DELETE /v1/items/<id of the writer's item> deletes it.
        const mayWrite = verb === "POST" || verb === "DELETE";
        await probe(() => api(route, init), { mayWrite, head: verb === "HEAD" });
      }),
      { numRuns: 60 },
    );
  });
});
