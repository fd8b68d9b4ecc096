import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import app from "../src/index.ts";
import { api, BASE, bearer, getPage, ingest, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

function benchFetch(path: string) {
  return app.fetch(
    new Request(new URL(path, BASE), { headers: bearer("admin") }),
    { ...env, ENABLE_BENCH_ROUTES: "true" },
    createExecutionContext(),
  );
}

describe("benchmark routes", () => {
  it("are off unless ENABLE_BENCH_ROUTES is true", async () => {
    const response = await api("/__bench/offset-page?offset=0", { headers: bearer("admin") });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("serve the same rows by OFFSET as the keyset walk, and a cursor at a depth", async () => {
    await ingest(Array.from({ length: 30 }, (_, i) => makeItem(T0 + Math.floor(i / 4))));
    const byOffset = await json<{ items: { id: number }[] }>(
      await benchFetch("/__bench/offset-page?offset=10&limit=5"),
    );
    const { cursor } = await json<{ cursor: string }>(
      await benchFetch("/__bench/cursor-at?offset=10"),
    );
    const byKeyset = await getPage(`?limit=5&cursor=${cursor}`);
    expect(byKeyset.items.map((item) => item.id)).toEqual(byOffset.items.map((item) => item.id));
    const firstTen = await getPage("?limit=10");
    expect(firstTen.items.map((item) => item.id)).not.toContain(byKeyset.items[0]!.id);
  });

  it("read the export's pages alone: one newline per exported item, nothing else", async () => {
    await ingest(Array.from({ length: 40 }, (_, i) => makeItem(T0 + Math.floor(i / 3))));
    const reads = await benchFetch("/__bench/export-reads");
    expect(reads.status).toBe(200);
    const exported = await (await api("/v1/items/export")).arrayBuffer();
    const lines = new Uint8Array(exported).filter((byte) => byte === 10).length;
    expect(lines).toBe(40);
    expect(new Uint8Array(await reads.arrayBuffer())).toEqual(new Uint8Array(lines).fill(10));
  });

  it("count the rows D1 reads: a deep keyset page reads about a page, OFFSET reads everything before it", async () => {
    await ingest(Array.from({ length: 200 }, (_, i) => makeItem(T0 + Math.floor(i / 3))));
    const rows = await json<Record<string, number>>(
      await benchFetch("/__bench/rows-read?offset=150&limit=10"),
    );
    expect(rows.keysetFirst).toBeLessThanOrEqual(12);
    expect(rows.keysetDeep).toBeLessThanOrEqual(12);
    // Walking back seeks the same index in reverse; rows sharing the cursor's publishedAt on the
    // far side of its id are read and skipped, so allow a few more than the page.
    expect(rows.keysetBackDeep).toBeLessThanOrEqual(20);
    expect(rows.offsetDeep).toBeGreaterThanOrEqual(160);
  });
});

describe("GET /healthz", () => {
  it("answers ok once the database answers", async () => {
    const response = await api("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers 503 when the database does not", async () => {
    const broken = {
      prepare: () => ({
        first: () => Promise.reject(new Error("D1 unavailable")),
      }),
    } as unknown as D1Database;
    const response = await app.fetch(
      new Request(new URL("/healthz", BASE)),
      { ...env, DB: broken },
      createExecutionContext(),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
