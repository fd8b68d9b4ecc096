import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { FeedItem, IngestResult } from "../src/contract.ts";
import { api, bearer, json, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

async function compress(text: string, format: "gzip" | "deflate"): Promise<Uint8Array> {
  const stream = new Response(text).body?.pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function post(body: BodyInit, contentEncoding: string): Promise<Response> {
  return api("/v1/items", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "content-encoding": contentEncoding,
      ...bearer("writer"),
    },
    body,
  });
}

async function countRows(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM items").first<{ n: number }>();
  return row?.n ?? 0;
}

describe("Content-Encoding on POST /v1/items", () => {
  it("refuses a JSON body labelled gzip that is not gzip with 400, storing nothing", async () => {
    const response = await post(JSON.stringify({ items: [makeItem(T0)] }), "gzip");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await json<{ errors: { parameter?: string }[] }>(response);
    expect(problem.errors).toEqual([expect.objectContaining({ parameter: "content-encoding" })]);
    expect(await countRows()).toBe(0);
  });

  it("answers 415 with Accept-Encoding for a coding it cannot undo, storing nothing", async () => {
    const response = await post(JSON.stringify({ items: [makeItem(T0)] }), "compress");
    expect(response.status).toBe(415);
    expect(response.headers.get("accept-encoding")).toBe("gzip, deflate, br");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    await response.body?.cancel();
    expect(await countRows()).toBe(0);
  });

  it("stores the items of a real gzip body, their text read back byte for byte", async () => {
    const item = makeItem(T0, { title: "Ünïcödé ✓ 𝄞", summary: "a\u0000b\u2028c" });
    const response = await post(await compress(JSON.stringify({ items: [item] }), "gzip"), "gzip");
    expect(response.status).toBe(200);
    const [result] = (await json<{ items: IngestResult[] }>(response)).items;
    const stored = await json<FeedItem>(await api(`/v1/items/${result?.id}`));
    expect(stored).toMatchObject({ title: item.title, summary: item.summary });
  });

  it("answers 413 for a small deflate body that inflates past the 2 MiB limit", async () => {
    const huge = JSON.stringify({ items: [makeItem(T0, { summary: "x".repeat(3 << 20) })] });
    const body = await compress(huge, "deflate");
    expect(body.byteLength).toBeLessThan(16 * 1024);
    const response = await post(body, "deflate");
    expect(response.status).toBe(413);
    await response.body?.cancel();
    expect(await countRows()).toBe(0);
  });
});
