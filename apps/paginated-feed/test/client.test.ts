import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError, createFeedClient, FeedApiError } from "../src/client.ts";
import app from "../src/index.ts";
import { BASE, bearer, ingest, makeItem, resetItems, walk } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

/** A client on the worker under test that records every request it sends. */
function recordingClient() {
  const requests: string[] = [];
  const client = createFeedClient({
    baseUrl: BASE,
    headers: bearer("writer"),
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
    expect(notFound).toBeInstanceOf(ApiError);
    expect(notFound).toMatchObject({ status: 404, problem: { title: "Item not found" } });
    const badPage = await client.page({ limit: 500 }).catch((error: unknown) => error);
    expect(badPage).toMatchObject({ status: 400, problem: { errors: [{ parameter: "limit" }] } });
  });
});

describe("feed client: signals, retries and the shared error", () => {
  it("stops an export mid-stream with the signal's reason", async () => {
    await ingest(Array.from({ length: 40 }, (_, i) => makeItem(T0 + i)));
    const { client } = recordingClient();
    const controller = new AbortController();
    const seen: number[] = [];
    const read = async () => {
      for await (const item of client.exportItems({}, { signal: controller.signal })) {
        seen.push(item.id);
        if (seen.length === 5) controller.abort(new Error("stop reading"));
      }
    };
    await expect(read()).rejects.toThrow("stop reading");
    expect(seen).toHaveLength(5);
  });

  it("rejects a call whose signal is already aborted without sending it", async () => {
    const { client, requests } = recordingClient();
    const aborted = AbortSignal.abort(new Error("never mind"));
    await expect(client.page({}, { signal: aborted })).rejects.toThrow("never mind");
    expect(requests).toHaveLength(0);
  });

  it("retries a 503 answer, then rejects with ApiError carrying the not-configured problem", async () => {
    const unconfigured = { ...env, CURSOR_SECRET: undefined, ENVIRONMENT: "production" };
    let sent = 0;
    const client = createFeedClient({
      baseUrl: BASE,
      headers: bearer("writer"),
      retries: 1,
      fetch: (request) => {
        sent += 1;
        return Promise.resolve(app.fetch(request, unconfigured, createExecutionContext()));
      },
    });
    const error = await client.page().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 503,
      problem: { type: "https://edge-async.dev/problems/not-configured", setting: "CURSOR_SECRET" },
    });
    expect(sent).toBe(2);
    // The listing needs the secret; the ingest does not, so producers keep working.
    const [stored] = await client.ingest([makeItem(T0)]);
    expect(stored?.created).toBe(true);
  });
});
