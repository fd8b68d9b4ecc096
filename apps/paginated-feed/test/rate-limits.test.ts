import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { withinOneWindow } from "@edge-async/testing";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import app from "../src/index.ts";
import { BASE, bearer, ingest, json, makeItem, resetItems } from "./helpers.ts";

// miniflare runs Cloudflare's rate limiting binding locally. These tests put the small limiters of
// vitest.config.ts (5 reads, 3 writes per 60 s) in place of the real ones, with the vars that
// state them, so the limits can be reached; the rest of the suites run with very large ones.
const small = {
  READ_LIMITER: env.TEST_READ_LIMITER,
  WRITE_LIMITER: env.TEST_WRITE_LIMITER,
  READ_REQUESTS_PER_MINUTE: "5",
  WRITE_REQUESTS_PER_MINUTE: "3",
};
const T0 = Date.parse("2026-11-01T00:00:00Z");

function send(path: string, init: RequestInit = {}, overrides: Partial<Cloudflare.Env> = {}) {
  return app.fetch(
    new Request(new URL(path, BASE), init),
    { ...env, ...small, ...overrides },
    createExecutionContext(),
  );
}

/** A client address of its own, so no other test's requests count against it. */
let nextAddress = 1;
const address = () => ({ "cf-connecting-ip": `198.51.100.${nextAddress++}` });

async function expectRefused(response: Response, name: string, limit: number) {
  expect(response.status).toBe(429);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  // A whole period: the longest a fixed window can still hold the caller back.
  expect(response.headers.get("retry-after")).toBe("60");
  expect(response.headers.get("ratelimit")).toBe(`"${name}";r=0;t=60`);
  expect(response.headers.get("ratelimit-policy")).toBe(`"${name}";q=${limit};w=60`);
  expect(await json(response)).toMatchObject({
    status: 429,
    type: "https://edge-async.dev/problems/rate-limited",
  });
}

let id = 0;
beforeAll(async () => {
  await resetItems();
  id = (await ingest([makeItem(T0)]))[0]!.id;
});

describe("rate limits", () => {
  beforeEach(() => withinOneWindow(60));

  it("refuse the 6th public read a minute from one address, across the read routes; other addresses still read", async () => {
    const client = address();
    const paths = ["/v1/items", `/v1/items/${id}`, "/v1/items/export", "/v1/items", "/v1/items"];
    for (const path of paths) {
      const allowed = await send(path, { headers: client });
      expect(allowed.status, path).toBe(200);
      expect(allowed.headers.get("ratelimit-policy")).toBe('"feed-reads";q=5;w=60');
      await allowed.body?.cancel();
    }
    await expectRefused(await send("/v1/items", { headers: client }), "feed-reads", 5);
    expect((await send("/v1/items", { headers: address() })).status).toBe(200);
  });

  it("count private reads per key, whatever the address", async () => {
    const closed = { FEED_READS_PRIVATE: "true" };
    for (let call = 0; call < 5; call += 1) {
      const headers = { ...bearer("reader"), ...address() };
      expect((await send("/v1/items", { headers }, closed)).status).toBe(200);
    }
    const headers = { ...bearer("reader"), ...address() };
    await expectRefused(await send("/v1/items", { headers }, closed), "feed-reads", 5);
    // The admin key reads on its own count.
    const admin = await send(
      "/v1/items",
      { headers: { ...bearer("admin"), ...address() } },
      closed,
    );
    expect(admin.status).toBe(200);
  });

  it("refuse the 4th ingest a minute from one key, storing nothing of it", async () => {
    const post = (key: "writer" | "otherWriter") =>
      send("/v1/items", {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(key), ...address() },
        body: JSON.stringify({ items: [makeItem(T0)] }),
      });
    for (let call = 0; call < 3; call += 1) expect((await post("writer")).status).toBe(200);
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM items").first<{ n: number }>())?.n;
    const before = await count();
    await expectRefused(await post("writer"), "feed-writes", 3);
    expect(await count()).toBe(before);
    expect((await post("otherWriter")).status).toBe(200);
  });

  it("do not count requests the access check refused", async () => {
    const client = address();
    const closed = { FEED_READS_PRIVATE: "true" };
    for (let call = 0; call < 8; call += 1) {
      expect((await send("/v1/items", { headers: client }, closed)).status).toBe(401);
    }
    expect((await send("/v1/items", { headers: client })).status).toBe(200);
  });
});
