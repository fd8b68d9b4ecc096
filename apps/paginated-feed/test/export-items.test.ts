import { ndjsonStream } from "@edge-async/http";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem } from "../src/contract.ts";
import { EXPORT_PAGE_SIZE } from "../src/export-feed.ts";
import { api, ingest, json, makeItem, resetItems, walk } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;

beforeEach(resetItems);

// workerd warns on .text() for a media type it does not know to be text.
async function bodyText(response: Response): Promise<string> {
  return new TextDecoder().decode(await response.arrayBuffer());
}

function parseNdjson(text: string): FeedItem[] {
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as FeedItem);
}

describe("GET /v1/items/export", () => {
  it("streams every item, newest first, one JSON document per line, across many pages", async () => {
    const count = EXPORT_PAGE_SIZE * 2 + 37;
    await ingest(
      Array.from({ length: count }, (_, i) =>
        makeItem(T0 + Math.floor(i / 5) * MINUTE, { topic: i % 4 === 0 ? "go" : "rust" }),
      ),
    );
    const response = await api("/v1/items/export");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const exported = parseNdjson(await bodyText(response));
    expect(exported).toHaveLength(count);
    expect(exported).toEqual(await walk({}, 100));
  });

  it("honours the topic filter", async () => {
    await ingest(
      Array.from({ length: 40 }, (_, i) =>
        makeItem(T0 + i, { topic: i % 4 === 0 ? "go" : "rust" }),
      ),
    );
    const exported = parseNdjson(await bodyText(await api("/v1/items/export?topic=go")));
    expect(exported).toHaveLength(10);
    expect(exported.every((item) => item.topic === "go")).toBe(true);
    expect(exported).toEqual(await walk({ topic: "go" }, 100));
  });

  it("answers an empty body for an empty feed", async () => {
    const response = await api("/v1/items/export?topic=nothing-here");
    expect(response.status).toBe(200);
    expect(await bodyText(response)).toBe("");
  });

  it("is pinned to the items that existed when it started", async () => {
    const count = EXPORT_PAGE_SIZE + 200;
    await ingest(Array.from({ length: count }, (_, i) => makeItem(T0 + i * MINUTE)));
    const response = await api("/v1/items/export");
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // Older than everything: without the pin these would show up on a later export page.
    await ingest(Array.from({ length: 20 }, (_, i) => makeItem(T0 - (i + 1) * MINUTE)));
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      text += new TextDecoder().decode(next.value);
    }
    const exported = parseNdjson(text);
    expect(exported).toHaveLength(count);
    expect(exported.every((item) => Date.parse(item.publishedAt) >= T0)).toBe(true);
  });

  it("refuses bad filters with problem+json", async () => {
    for (const search of [
      "topic=",
      "since=soon",
      "limit=5",
      "until=2026-01-01T00:00:00Z&since=2026-02-01T00:00:00Z",
    ]) {
      const response = await api(`/v1/items/export?${search}`);
      expect(response.status, search).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect((await json<{ errors: unknown[] }>(response)).errors.length).toBeGreaterThan(0);
    }
  });

  it("stops cleanly when the client cancels mid-stream", async () => {
    await ingest(Array.from({ length: EXPORT_PAGE_SIZE + 50 }, (_, i) => makeItem(T0 + i)));
    const response = await api("/v1/items/export");
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel("client went away");
    // The worker still serves normally afterwards.
    expect((await api("/v1/items?limit=1")).status).toBe(200);
  });
});

describe("ndjsonStream", () => {
  function countingSource(total: number) {
    const state = { produced: 0, finished: false };
    async function* values() {
      try {
        for (let i = 0; i < total; i++) {
          state.produced += 1;
          yield { i, padding: "x".repeat(100) };
        }
      } finally {
        state.finished = true;
      }
    }
    return { state, values: values() };
  }

  it("produces nothing before the first read and one chunk per read (backpressure)", async () => {
    const { state, values } = countingSource(100_000);
    const stream = ndjsonStream(values, { chunkSize: 1024 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.produced).toBe(0);
    const reader = stream.getReader();
    await reader.read();
    const afterOneRead = state.produced;
    // ~120 bytes a line: a 1 KiB chunk takes 9 lines.
    expect(afterOneRead).toBeGreaterThan(0);
    expect(afterOneRead).toBeLessThanOrEqual(10);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.produced).toBe(afterOneRead);
    await reader.read();
    expect(state.produced).toBeLessThanOrEqual(2 * afterOneRead);
    await reader.cancel();
  });

  it("closes the source and reports the reason when cancelled", async () => {
    const { state, values } = countingSource(100_000);
    const reasons: unknown[] = [];
    const stream = ndjsonStream(values, { onCancel: (reason) => reasons.push(reason) });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel("gone");
    expect(reasons).toEqual(["gone"]);
    expect(state.finished).toBe(true);
    expect(state.produced).toBeLessThan(1000);
  });

  it("writes one line per value and ends with a newline", async () => {
    async function* three() {
      yield { a: 1 };
      yield "two";
      yield [3];
    }
    expect(await new Response(ndjsonStream(three(), { chunkSize: 4 })).text()).toBe(
      '{"a":1}\n"two"\n[3]\n',
    );
  });
});
