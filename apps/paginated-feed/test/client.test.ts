import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createFeedClient, FeedApiError } from "../src/client.ts";
import { BASE, ingest, makeItem, resetItems, walk } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

/** A client on the worker under test that records every request it sends. */
function recordingClient() {
  const requests: string[] = [];
  const client = createFeedClient({
    baseUrl: BASE,
    fetch: (request) => {
      requests.push(
        `${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`,
      );
      return exports.default.fetch(request);
    },
  });
  return { client, requests };
}

describe("feed client", () => {
  it("iterates every item in feed order, following cursors", async () => {
    await ingest(Array.from({ length: 57 }, (_, i) => makeItem(T0 + Math.floor(i / 3))));
    const { client, requests } = recordingClient();
    const seen = [];
    for await (const item of client.items({}, { pageSize: 10 })) seen.push(item);
    expect(seen).toEqual(await walk({}, 100));
    expect(requests).toHaveLength(6);
    expect(requests[1]).toMatch(/cursor=/);
  });

  it("fetches lazily: breaking early stops the requests", async () => {
    await ingest(Array.from({ length: 50 }, (_, i) => makeItem(T0 + i)));
    const { client, requests } = recordingClient();
    let taken = 0;
    for await (const _item of client.items({ topic: "rust" }, { pageSize: 10 })) {
      taken += 1;
      if (taken === 15) break;
    }
    expect(requests).toHaveLength(2);
    expect(requests.every((request) => request.includes("topic=rust"))).toBe(true);
  });

  it("stops with the signal's reason when aborted", async () => {
    await ingest(Array.from({ length: 30 }, (_, i) => makeItem(T0 + i)));
    const { client, requests } = recordingClient();
    const controller = new AbortController();
    const seen: number[] = [];
    const iterate = async () => {
      for await (const item of client.items({}, { pageSize: 10, signal: controller.signal })) {
        seen.push(item.id);
        if (seen.length === 12) controller.abort(new Error("enough"));
      }
    };
    await expect(iterate()).rejects.toThrow("enough");
    expect(seen).toHaveLength(12);
    expect(requests).toHaveLength(2);
  });

  it("ingests, reads one item, and exports through the same client", async () => {
    const { client } = recordingClient();
    const input = Array.from({ length: 5 }, (_, i) => makeItem(T0 + i, { topic: "zig" }));
    const results = await client.ingest(input);
    expect(results.map((result) => result.created)).toEqual([true, true, true, true, true]);
    const one = await client.item(results[2]!.id);
    expect(one.externalKey).toBe(input[2]!.externalKey);
    const exported = [];
    for await (const item of client.exportItems({ topic: "zig" })) exported.push(item.id);
    expect(exported).toEqual(results.map((result) => result.id).reverse());
  });

  it("throws FeedApiError carrying the problem document", async () => {
    const { client } = recordingClient();
    const notFound = await client.item(123456789).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(FeedApiError);
    expect(notFound).toMatchObject({ status: 404, problem: { title: "Item not found" } });
    const badPage = await client.page({ limit: 500 }).catch((error: unknown) => error);
    expect(badPage).toMatchObject({ status: 400, problem: { errors: [{ parameter: "limit" }] } });
  });
});
