import { env } from "cloudflare:workers";
import { parseTraceparent } from "@edge-async/http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/index.ts";
import { DEV_AUTH, uniqueHost, uniqueKey } from "./helpers.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

type Line = Record<string, unknown>;

/** Calls the worker with `bindings`, returning its answer and the structured lines it logged. */
async function observed(
  body: unknown,
  headers: Record<string, string> = {},
  bindings: object = env,
): Promise<{ response: Response; answer: unknown; lines: Line[] }> {
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    const response = await app.request(
      "/v1/aggregate",
      {
        method: "POST",
        headers: { ...DEV_AUTH, "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      },
      bindings,
    );
    const answer: unknown = await response.json();
    const lines = spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Line);
    return { response, answer, lines };
  } finally {
    spy.mockRestore();
  }
}

/** An Analytics Engine dataset that keeps what is written to it. */
function recordingDataset(): AnalyticsEngineDataset & { points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, writeDataPoint: (point) => points.push(point ?? {}) };
}

afterEach(() => vi.restoreAllMocks());

describe("observability", () => {
  it("the local METRICS binding accepts data points and keeps nothing (miniflare)", () => {
    expect(typeof env.METRICS.writeDataPoint).toBe("function");
    expect(
      env.METRICS.writeDataPoint({ indexes: ["x"], blobs: ["upstream"], doubles: [1] }),
    ).toBeUndefined();
  });

  it("logs one line per upstream call and one per request, all under the caller's trace", async () => {
    const key = uniqueKey("obs");
    const { response, lines } = await observed(
      {
        requests: [
          { id: "a", url: `http://upstream.test/json/${key}` },
          { id: "b", url: `http://upstream.test/status/404/${key}` },
        ],
      },
      { traceparent: TRACEPARENT },
    );
    expect(response.status).toBe(200);
    expect(parseTraceparent(response.headers.get("traceparent"))?.traceId).toBe(TRACE_ID);
    const upstream = lines.filter((line) => line.event === "upstream");
    expect(upstream.sort((x, y) => Number(x.status) - Number(y.status))).toEqual([
      {
        event: "upstream",
        requestId: TRACE_ID,
        origin: "http://upstream.test",
        method: "GET",
        status: 200,
        outcome: "ok",
        durationMs: expect.any(Number),
        attempts: 1,
        cached: false,
      },
      expect.objectContaining({ status: 404, outcome: "http", error: expect.any(String) }),
    ]);
    expect(lines.filter((line) => line.event === "request")).toEqual([
      {
        event: "request",
        requestId: TRACE_ID,
        method: "POST",
        route: "/v1/aggregate",
        status: 200,
        durationMs: expect.any(Number),
        keyId: "dev",
      },
    ]);
    // The origin only: paths and queries may carry ids or tokens.
    expect(JSON.stringify(upstream)).not.toContain(key);
  });

  it("logs a failed upstream call with its outcome and attempts, and no answer status", async () => {
    const host = uniqueHost("refused");
    const { lines } = await observed({
      requests: [{ url: `http://${host}/status/503/x`, retries: 1 }],
    });
    const [line] = lines.filter((entry) => entry.event === "upstream");
    expect(line).toMatchObject({ origin: `http://${host}`, outcome: "http", attempts: 2 });
    expect(line?.status).toBe(503);
  });

  it("sends the request id to the upstream as traceparent, with this worker's span", async () => {
    const { response, answer } = await observed(
      { requests: [{ url: `http://upstream.test/echo/${uniqueKey("trace")}` }] },
      { traceparent: TRACEPARENT },
    );
    const echoed = (answer as { results: { body: { headers: Record<string, string> } }[] })
      .results[0]?.body;
    const sent = parseTraceparent(echoed?.headers.traceparent);
    expect(sent?.traceId).toBe(TRACE_ID);
    // The parent the upstream sees is this worker's span, the one it answered with.
    expect(sent?.parentId).toBe(parseTraceparent(response.headers.get("traceparent"))?.parentId);
  });

  it("a streamed (NDJSON) call's upstream lines carry its request id too", async () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    const key = uniqueKey("obs-ndjson");
    const response = await app.request(
      "/v1/aggregate",
      {
        method: "POST",
        headers: {
          ...DEV_AUTH,
          "content-type": "application/json",
          accept: "application/x-ndjson",
          traceparent: TRACEPARENT,
        },
        body: JSON.stringify({
          requests: [1, 2, 3].map((n) => ({ url: `http://upstream.test/json/${key}-${n}` })),
        }),
      },
      env,
    );
    expect(response.headers.get("content-type")).toContain("ndjson");
    await response.text();
    const lines = spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Line);
    const upstream = lines.filter((line) => line.event === "upstream");
    expect(upstream).toHaveLength(3);
    for (const line of upstream) expect(line.requestId).toBe(TRACE_ID);
  });

  it("the proxy passes the request id on as well", async () => {
    const url = `http://upstream.test/echo/${uniqueKey("proxy-trace")}`;
    const response = await app.request(
      `/v1/proxy?url=${encodeURIComponent(url)}`,
      { headers: { ...DEV_AUTH, traceparent: TRACEPARENT } },
      env,
    );
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { headers: Record<string, string> };
    expect(parseTraceparent(echoed.headers.traceparent)?.traceId).toBe(TRACE_ID);
  });

  it("writes one upstream data point per call: origin, outcome, duration, attempts, status, cached", async () => {
    const dataset = recordingDataset();
    const key = uniqueKey("metric");
    await observed(
      {
        requests: [
          { id: "ok", url: `http://upstream.test/json/${key}` },
          { id: "missing", url: `http://upstream.test/status/404/${key}` },
        ],
      },
      {},
      { ...env, METRICS: dataset },
    );
    const points = dataset.points.filter((point) => point.blobs?.[0] === "upstream");
    expect(points.sort((x, y) => (x.doubles?.[2] ?? 0) - (y.doubles?.[2] ?? 0))).toEqual([
      {
        indexes: ["http://upstream.test"],
        blobs: ["upstream", "http://upstream.test", "ok"],
        doubles: [expect.any(Number), 1, 200, 0],
      },
      {
        indexes: ["http://upstream.test"],
        blobs: ["upstream", "http://upstream.test", "http"],
        doubles: [expect.any(Number), 1, 404, 0],
      },
    ]);
  });
});
