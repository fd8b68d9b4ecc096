import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createWorkerApi,
  currentObservation,
  DEV_API_KEY,
  fetchWithinPolicy,
  formatTraceparent,
  logEvent,
  newObservation,
  observe,
  parseTraceparent,
  requireAccess,
  tracedFetch,
  writeMetric,
} from "../src/index.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
const TRACEPARENT_FORMAT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The structured lines written while `work` runs, parsed; other console output is kept out. */
async function logLines(work: () => unknown): Promise<Record<string, unknown>[]> {
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await work();
    return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe("parseTraceparent", () => {
  it("reads the W3C example and refuses what Trace Context calls invalid", () => {
    expect(parseTraceparent(TRACEPARENT)).toEqual({
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: "01",
    });
    for (const malformed of [
      undefined,
      "",
      "garbage",
      TRACEPARENT.toUpperCase(),
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${"0".repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-01-extra`,
      `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
      `${TRACEPARENT}, ${TRACEPARENT}`,
    ]) {
      expect(parseTraceparent(malformed), String(malformed)).toBeUndefined();
    }
    // A later version may add fields; its first four are read.
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-00-more`)?.traceId).toBe(TRACE_ID);
  });

  it("never throws, and what it accepts has the shape it promises", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (header) => {
        const parsed = parseTraceparent(header);
        if (parsed !== undefined) expect(parsed.traceId).toMatch(/^[0-9a-f]{32}$/);
      }),
      { numRuns: 200 },
    );
  });

  it("round-trips every observation it formats", () => {
    for (let run = 0; run < 50; run++) {
      const observation = newObservation();
      expect(formatTraceparent(observation)).toMatch(TRACEPARENT_FORMAT);
      expect(parseTraceparent(formatTraceparent(observation))?.traceId).toBe(observation.traceId);
    }
  });
});

describe("requestObservability in createWorkerApi", () => {
  type App = {
    Bindings: { ENVIRONMENT?: string; METRICS?: AnalyticsEngineDataset };
    Variables: { config: object };
  };
  const app = createWorkerApi<App>(() => ({}));
  app.get("/v1/items/:id{[0-9]+}", requireAccess({ scope: "feed:read" }), (c) =>
    c.json({ requestId: currentObservation()?.traceId }),
  );
  app.get("/v1/boom", () => {
    throw new Error("boom");
  });
  const dev = { ENVIRONMENT: "development" };
  const auth = { headers: { authorization: `Bearer ${DEV_API_KEY}` } };

  it("writes one request line with the route pattern and the key id, never the key or path", async () => {
    const lines = await logLines(() => app.request("/v1/items/7318845529?secret=x", auth, dev));
    const requests = lines.filter((line) => line.event === "request");
    expect(requests).toEqual([
      {
        event: "request",
        requestId: expect.stringMatching(/^[0-9a-f]{32}$/),
        method: "GET",
        route: "/v1/items/:id",
        status: 200,
        durationMs: expect.any(Number),
        keyId: "dev",
      },
    ]);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(DEV_API_KEY);
    // Neither the path's id nor its query; a short id (42) could turn up in the random request id.
    expect(text).not.toContain("7318845529");
    expect(text).not.toContain("secret");
  });

  it("logs refusals and errors too: no route is null, a throw is its problem's status", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const lines = await logLines(async () => {
      await app.request("/v1/items/1", {}, dev);
      await app.request("/v1/nowhere", {}, dev);
      await app.request("/v1/boom", {}, dev);
    });
    expect(lines.filter((line) => line.event === "request")).toMatchObject([
      { route: "/v1/items/:id", status: 401 },
      { route: null, status: 404 },
      { route: "/v1/boom", status: 500 },
    ]);
    expect(lines.filter((line) => line.event === "request")[0]).not.toHaveProperty("keyId");
  });

  it("continues the caller's trace: same trace-id, this worker's own span id in the answer", async () => {
    const lines = await logLines(async () => {
      const response = await app.request(
        "/v1/items/7",
        { headers: { ...auth.headers, traceparent: TRACEPARENT } },
        dev,
      );
      expect(await response.json()).toEqual({ requestId: TRACE_ID });
      const answered = parseTraceparent(response.headers.get("traceparent"));
      expect(answered?.traceId).toBe(TRACE_ID);
      expect(answered?.parentId).not.toBe(PARENT_ID);
    });
    expect(lines.find((line) => line.event === "request")?.requestId).toBe(TRACE_ID);
  });

  it("ignores a malformed traceparent (never a 400) and makes a new request id", async () => {
    await logLines(async () => {
      for (const traceparent of ["nope", `00-${"0".repeat(32)}-${PARENT_ID}-01`]) {
        const response = await app.request(
          "/v1/items/7",
          { headers: { ...auth.headers, traceparent } },
          dev,
        );
        expect(response.status).toBe(200);
        const { requestId } = (await response.json()) as { requestId: string };
        expect(requestId).toMatch(/^[0-9a-f]{32}$/);
        expect(requestId).not.toBe("0".repeat(32));
        expect(response.headers.get("traceparent")).toContain(requestId);
      }
    });
  });

  it("answers a traceparent on errors as well", async () => {
    await logLines(async () => {
      const response = await app.request("/v1/nowhere", {}, dev);
      expect(response.headers.get("traceparent")).toMatch(TRACEPARENT_FORMAT);
    });
  });
});

describe("outgoing calls carry the request id", () => {
  it("fetchWithinPolicy sends traceparent on every hop, with this span as parent", async () => {
    const sent: (string | null)[] = [];
    const observation = newObservation(TRACEPARENT);
    await observe(observation, () =>
      fetchWithinPolicy(
        "https://api.example.com/a",
        {},
        { allowedHosts: ["api.example.com"], allowPrivateNetworks: false },
        {
          fetch: async (url, init) => {
            sent.push(new Headers(init.headers).get("traceparent"));
            return url.pathname === "/a"
              ? new Response(null, { status: 302, headers: { location: "/b" } })
              : new Response("ok");
          },
        },
      ),
    );
    expect(sent).toEqual([formatTraceparent(observation), formatTraceparent(observation)]);
    expect(sent[0]).toBe(`00-${TRACE_ID}-${observation.spanId}-01`);
  });

  it("tracedFetch adds it to a service binding's requests, and nothing outside a request", async () => {
    const seen: (string | null)[] = [];
    const binding = {
      fetch: async (request: Request) => {
        seen.push(request.headers.get("traceparent"));
        return new Response(await request.text());
      },
    } as unknown as Fetcher;
    const observation = newObservation();
    const request = () => new Request("https://feed/v1/items", { method: "POST", body: "[1]" });
    const echoed = await observe(observation, () => tracedFetch(binding)(request()));
    expect(await echoed.text()).toBe("[1]");
    await tracedFetch(binding)(request());
    expect(seen).toEqual([formatTraceparent(observation), null]);
  });
});

describe("logEvent and writeMetric", () => {
  it("logEvent writes one JSON object on one line with the current request id", async () => {
    const observation = newObservation(TRACEPARENT);
    const lines = await logLines(async () => {
      observe(observation, () => logEvent("upstream", { origin: "https://a.test", status: 200 }));
      logEvent("job", { jobId: "j1" });
    });
    expect(lines).toEqual([
      { event: "upstream", requestId: TRACE_ID, origin: "https://a.test", status: 200 },
      { event: "job", jobId: "j1" },
    ]);
  });

  it("writeMetric writes the shared layout to the current dataset, and never throws", () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset = {
      writeDataPoint: (point) => points.push(point ?? {}),
    } as AnalyticsEngineDataset;
    observe(newObservation(undefined, dataset), () =>
      writeMetric({ kind: "job", index: "ingest", blobs: ["ingest", "dead"], doubles: [12, 3] }),
    );
    writeMetric({ kind: "outside", index: "x" });
    expect(points).toEqual([
      { indexes: ["ingest"], blobs: ["job", "ingest", "dead"], doubles: [12, 3] },
    ]);
    const refusing = {
      writeDataPoint: () => {
        throw new Error("too many blobs");
      },
    } as AnalyticsEngineDataset;
    vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(() => writeMetric({ kind: "x", index: "x" }, refusing)).not.toThrow();
  });
});
