import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { parseTraceparent } from "@edge-async/http";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import app from "../src/index.ts";
import { BASE, ingest, makeItem, resetItems } from "./helpers.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const T0 = Date.parse("2026-11-01T00:00:00Z");

/** An Analytics Engine dataset that keeps what is written to it. */
function recordingDataset(): AnalyticsEngineDataset & { points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, writeDataPoint: (point) => points.push(point ?? {}) };
}

/** Calls the worker with a recording METRICS; console.log is captured so lines can be read. */
async function call(path: string, init: RequestInit = {}) {
  const metrics = recordingDataset();
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(new URL(path, BASE), init),
    { ...env, METRICS: metrics },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const lines = () => spy.mock.calls.map(([line]) => JSON.parse(String(line)) as object);
  return { response, metrics, lines };
}

beforeEach(resetItems);
afterEach(() => vi.restoreAllMocks());

describe("observability", () => {
  it("the local METRICS binding accepts data points and keeps nothing (miniflare)", () => {
    expect(env.METRICS.writeDataPoint({ indexes: ["list"], blobs: ["page"] })).toBeUndefined();
  });

  it("a page of the listing writes one page point and one request line", async () => {
    await ingest([makeItem(T0), makeItem(T0 + 1), makeItem(T0 + 2)]);
    const { response, metrics, lines } = await call("/v1/items?limit=2&topic=rust", {
      headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
    });
    expect(response.status).toBe(200);
    expect(parseTraceparent(response.headers.get("traceparent"))?.traceId).toBe(TRACE_ID);
    expect(metrics.points).toEqual([
      {
        indexes: ["list"],
        blobs: ["page", "list", "ok"],
        doubles: [expect.any(Number), 200, 0],
      },
    ]);
    expect(lines()).toContainEqual({
      event: "request",
      requestId: TRACE_ID,
      method: "GET",
      route: "/v1/items",
      status: 200,
      durationMs: expect.any(Number),
    });
  });

  it("a refused listing is a client_error point, an ingest writes none", async () => {
    const refused = await call("/v1/items?limit=0");
    expect(refused.response.status).toBe(400);
    expect(refused.metrics.points.map((point) => point.blobs)).toEqual([
      ["page", "list", "client_error"],
    ]);
    expect(refused.metrics.points[0]?.doubles?.[1]).toBe(400);
    const post = await call("/v1/items", { method: "POST" });
    expect(post.response.status).toBeGreaterThanOrEqual(400);
    expect(post.metrics.points).toEqual([]);
  });

  it("the export's point is written when its stream ends, with the lines it sent", async () => {
    await ingest(Array.from({ length: 5 }, (_, i) => makeItem(T0 + i)));
    const { response, metrics, lines } = await call("/v1/items/export");
    expect(response.status).toBe(200);
    // Nothing yet: the rows are read while the body is sent.
    expect(metrics.points).toEqual([]);
    const text = new TextDecoder().decode(await response.arrayBuffer());
    const sent = text.split("\n").length - 1;
    expect(sent).toBeGreaterThanOrEqual(5);
    expect(metrics.points).toEqual([
      {
        indexes: ["export"],
        blobs: ["page", "export", "ok"],
        doubles: [expect.any(Number), 200, sent],
      },
    ]);
    expect(lines()).toContainEqual(
      expect.objectContaining({ event: "request", route: "/v1/items/export", status: 200 }),
    );
  });

  it("an export the client abandons is reported cut, once", async () => {
    await ingest(Array.from({ length: 5 }, (_, i) => makeItem(T0 + i)));
    const { response, metrics } = await call("/v1/items/export");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel("gone");
    expect(metrics.points.map((point) => point.blobs)).toEqual([["page", "export", "cut"]]);
  });
});
