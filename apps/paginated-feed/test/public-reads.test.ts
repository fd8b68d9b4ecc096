import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { DEADLINE_HEADER } from "@edge-async/http";
import { beforeAll, describe, expect, it } from "vitest";
import app from "../src/index.ts";
import { BASE, bearer, ingest, makeItem, resetItems, TEST_KEYS } from "./helpers.ts";

// Public reads take credentials (they need them once FEED_READS_PRIVATE is "true"): a key sent
// anyway must verify, as GitHub's API refuses bad credentials on its public endpoints.

const T0 = Date.parse("2026-11-01T00:00:00Z");
let reads: string[] = [];

beforeAll(async () => {
  await resetItems();
  const [stored] = await ingest([makeItem(T0)]);
  reads = [
    "/v1/items",
    `/v1/items/${stored!.id}`,
    "/v1/items/export",
    "/v1/items/changes",
    "/v1/items/search?q=item",
    "/v1/feed.json",
    "/v1/feed.atom",
  ];
});

function send(path: string, headers: Record<string, string>, overrides: object = {}) {
  return app.fetch(
    new Request(new URL(path, BASE), { headers }),
    { ...env, ...overrides },
    createExecutionContext(),
  );
}

const wrongSecret = `${TEST_KEYS.reader.key.slice(0, -1)}1`;

describe("a public read", () => {
  it("answers 401 invalid_token to a key that does not verify, as a private read would", async () => {
    for (const path of reads) {
      for (const key of [wrongSecret, "ea_ghost_AAAAAAAAAAAAAAAAAAAAAAAA", "a.b.c"]) {
        const response = await send(path, { authorization: `Bearer ${key}` });
        expect(response.status, `${path} ${key}`).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
      }
    }
  });

  it("serves anyone without a key, and a valid key of any scope alike", async () => {
    for (const path of reads) {
      for (const headers of [{}, bearer("outsider"), bearer("reader")]) {
        const response = await send(path, headers);
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(200);
        await response.body?.cancel();
      }
    }
  });
});

describe("a bad request-timeout-ms on a read", () => {
  it("answers after routing and access: 404, then 401, then 400", async () => {
    const late = { [DEADLINE_HEADER]: "soon" };
    expect((await send("/v1/itemz", late)).status).toBe(404);
    const closed = { FEED_READS_PRIVATE: "true" };
    expect((await send("/v1/items", late, closed)).status).toBe(401);
    expect((await send("/v1/items", { ...late, ...bearer("outsider") }, closed)).status).toBe(403);
    const readable = await send("/v1/items", { ...late, ...bearer("reader") }, closed);
    expect(readable.status).toBe(400);
    expect(await readable.json()).toMatchObject({ errors: [{ parameter: DEADLINE_HEADER }] });
    expect((await send("/v1/items", late)).status).toBe(400);
  });
});
