import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/index.ts";
import { gateway, uniqueKey, upstreamStats, withDevKey } from "./helpers.ts";

// The dashboard view of vitest.config.ts: user and orders answer, recommendations always 503
// (on a host of its own, whose breaker opens after the first test; later tests ignore that part).
describe("GET /v1/views/:name", () => {
  it("merges the parts by name and lists the failed ones beside them", async () => {
    const response = await gateway("/v1/views/dashboard?userId=7");
    expect(response.status).toBe(200);
    expect(response.headers.get("server-timing")).toMatch(/^total;dur=/);
    const answer = (await response.json()) as {
      view: string;
      data: Record<string, { key: string; query: Record<string, string> }>;
      errors: Record<string, { code: string; status?: number }>;
      complete: boolean;
      summary: { total: number; succeeded: number; failed: number };
    };
    expect(answer.view).toBe("dashboard");
    expect(Object.keys(answer.data).sort()).toEqual(["orders", "user"]);
    expect(answer.data.user?.key).toBe("user-7");
    expect(answer.data.orders).toMatchObject({ key: "orders-7", query: { limit: "3" } });
    expect(answer.errors).toEqual({
      recommendations: { code: "http", status: 503, message: expect.any(String) },
    });
    expect(answer.complete).toBe(false);
    expect(answer.summary).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
  });

  it("percent-encodes parameters so they cannot change the path", async () => {
    const response = await gateway(
      `/v1/views/dashboard?userId=${encodeURIComponent("../admin?x=1")}`,
    );
    const answer = (await response.json()) as {
      data: Record<string, { key: string; path: string }>;
    };
    expect(answer.data.user?.key).toBe("user-..%2Fadmin%3Fx%3D1");
  });

  it("400 naming a missing or repeated parameter", async () => {
    const missing = await gateway("/v1/views/dashboard");
    expect(missing.status).toBe(400);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(((await missing.json()) as { errors: unknown[] }).errors).toEqual([
      { parameter: "userId", detail: expect.stringContaining("userId") },
    ]);
    const repeated = await gateway("/v1/views/dashboard?userId=1&userId=2");
    expect(repeated.status).toBe(400);
  });

  it("404 for an unknown view, 400 for a malformed name", async () => {
    const unknown = await gateway("/v1/views/nope");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toContain("dashboard");
    expect((await gateway("/v1/views/bad.name!")).status).toBe(400);
  });

  it("lists the views with the parameters they need", async () => {
    const response = await gateway("/v1/views");
    expect(await response.json()).toEqual({
      views: [
        {
          name: "dashboard",
          description: null,
          parameters: ["userId"],
          parts: ["user", "orders", "recommendations"],
        },
      ],
    });
  });
});

describe("view parameters that would leave their URL template", () => {
  it.each([".", "..", "%2E", "%2E%2E"])("userId=%s answers 400 naming userId", async (value) => {
    const response = await gateway(`/v1/views/dashboard?userId=${value}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors: { parameter: string }[] };
    expect(problem.errors.map((error) => error.parameter)).toEqual(["userId"]);
  });

  it("keeps dots inside a value, which stay one literal segment", async () => {
    expect((await gateway("/v1/views/dashboard?userId=7.0")).status).not.toBe(400);
  });
});

/** A view of its own whose parts take different times: 300, 0 and 150 ms. */
const timedViews = {
  ...env,
  VIEWS: JSON.stringify({
    timed: {
      parts: {
        slow: "http://upstream.test/json/{key}-slow?delay=300",
        fast: "http://upstream.test/json/{key}-fast",
        middle: "http://upstream.test/json/{key}-middle?delay=150",
      },
      deadlineMs: 4000,
    },
  }),
};

async function ndjsonLines(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  expect(text.endsWith("\n")).toBe(true);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("GET /v1/views/:name as NDJSON", () => {
  const streamed = (path: string, headers: Record<string, string> = {}) =>
    app.request(
      path,
      withDevKey({ headers: { accept: "application/x-ndjson", ...headers } }),
      timedViews,
    );

  it("streams the start with the deadline, each part as it finishes, then the answer", async () => {
    const key = uniqueKey("view-stream");
    const response = await streamed(`/v1/views/timed?key=${key}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(response.headers.get("server-timing")).toBeNull();
    const lines = await ndjsonLines(response);
    expect(lines[0]).toEqual({
      start: { view: "timed", parts: ["slow", "fast", "middle"], deadlineMs: 4000 },
    });
    const parts = lines.slice(1, -1);
    expect(parts.map((line) => [line.id, line.index])).toEqual([
      ["fast", 1],
      ["middle", 2],
      ["slow", 0],
    ]);
    for (const part of parts) {
      expect(part).toMatchObject({ ok: true, status: 200, attempts: 1 });
      expect(part).not.toHaveProperty("body");
    }
    const durations = parts.map((line) => line.durationMs as number);
    expect(durations[2]).toBeGreaterThanOrEqual(300);
    expect(durations[1]).toBeGreaterThanOrEqual(150);
    const answer = lines.at(-1)?.answer as { data: Record<string, { key: string }> };
    expect(lines.at(-1)).toMatchObject({
      answer: { view: "timed", complete: true, errors: {}, summary: { total: 3, succeeded: 3 } },
    });
    expect(answer.data.slow?.key).toBe(`${key}-slow`);
  });

  it("answers the same composition as the JSON form, failures included", async () => {
    // recommendations always fails (503, or its breaker open): compare what does not vary.
    type Answer = { view: string; data: object; errors: object; complete: boolean };
    const lines = await ndjsonLines(
      await gateway("/v1/views/dashboard?userId=8", {
        headers: { accept: "application/x-ndjson" },
      }),
    );
    const json = (await (await gateway("/v1/views/dashboard?userId=8")).json()) as Answer;
    expect(lines.find((line) => line.id === "recommendations")).toMatchObject({ ok: false });
    const answer = lines.at(-1)?.answer as Answer;
    expect(answer.view).toBe(json.view);
    expect(answer.data).toEqual(json.data);
    expect(answer.complete).toBe(false);
    expect(Object.keys(answer.errors)).toEqual(Object.keys(json.errors));
  });

  it("starts with the caller's request-timeout-ms when it leaves less than the view's", async () => {
    const key = uniqueKey("view-stream-budget");
    const lines = await ndjsonLines(
      await streamed(`/v1/views/timed?key=${key}`, { "request-timeout-ms": "200" }),
    );
    expect(lines[0]).toMatchObject({ start: { deadlineMs: 200 } });
    expect(lines.find((line) => line.id === "slow")).toMatchObject({
      ok: false,
      error: { code: "deadline", message: "The call's deadline of 200 ms passed" },
    });
    expect(lines.at(-1)).toMatchObject({ answer: { complete: false } });
  });

  it("starts with the deadline its parts report, when the budget is spent before they start", async () => {
    // 1 ms is gone by the time the key's limits are counted: the parts end at the deadline.
    const key = uniqueKey("view-stream-spent");
    const lines = await ndjsonLines(
      await streamed(`/v1/views/timed?key=${key}`, { "request-timeout-ms": "1" }),
    );
    expect(lines[0]).toMatchObject({ start: { deadlineMs: 1 } });
    const deadline = { code: "deadline", message: "The call's deadline of 1 ms passed" };
    expect(lines.find((line) => line.id === "slow")).toMatchObject({ ok: false, error: deadline });
    for (const part of lines.slice(1, -1).filter((line) => line.ok === false)) {
      expect(part.error).toEqual(deadline);
    }
  });

  it("answers HEAD with a GET's status and media type, calling no upstream", async () => {
    for (const accept of ["application/x-ndjson", "application/json"]) {
      const key = uniqueKey("view-head");
      const head = await app.request(
        `/v1/views/timed?key=${key}`,
        withDevKey({ method: "HEAD", headers: { accept } }),
        timedViews,
      );
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toMatch(new RegExp(`^${accept}`));
      expect(head.headers.get("cache-control")).toBe("no-store");
      expect(await head.text()).toBe("");
      // A GET afterwards ends after its slowest part; a fan-out of the HEAD began before it.
      expect(await (await streamed(`/v1/views/timed?key=${key}`)).text()).toContain('"answer"');
      for (const part of ["slow", "fast", "middle"]) {
        expect((await upstreamStats(`${key}-${part}`)).hits).toBe(1);
      }
    }
  });

  it("answers HEAD with the refusal a GET would get", async () => {
    const head = await app.request(
      "/v1/views/timed",
      withDevKey({ method: "HEAD", headers: { accept: "application/x-ndjson" } }),
      timedViews,
    );
    expect(head.status).toBe(400);
    expect(head.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses before streaming: a missing parameter is a 400 problem, not a line", async () => {
    const response = await streamed("/v1/views/timed");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
