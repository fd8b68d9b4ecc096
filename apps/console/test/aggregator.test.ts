import { describe, expect, it } from "vitest";
import type { BarLine, WaterfallLine } from "../src/waterfall.ts";
import { grantingWorkers, json, postForm, send, signIn, stubWorker } from "./helpers.ts";

const views = {
  views: [
    { name: "dashboard", description: "A user", parameters: ["userId"], parts: ["user", "orders"] },
  ],
};

/** A streamed view as the aggregator sends it: the start, each part as it finishes, the answer. */
const viewLines = [
  { start: { view: "dashboard", parts: ["user", "orders"], deadlineMs: 1500 } },
  { index: 0, id: "user", ok: true, status: 200, durationMs: 20, attempts: 1 },
  {
    index: 1,
    id: "orders",
    ok: false,
    durationMs: 500,
    attempts: 1,
    error: { code: "timeout", message: "No answer within 500 ms" },
  },
  {
    answer: {
      view: "dashboard",
      data: { user: { id: 7 } },
      errors: { orders: { code: "timeout", message: "No answer within 500 ms" } },
      complete: false,
      summary: { total: 2, succeeded: 1, failed: 1, durationMs: 502 },
    },
  },
];

/** NDJSON lines sent 100 ms apart, as a call's results finish one after the other. */
function paced(lines: unknown[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      if (sent === lines.length) return controller.close();
      controller.enqueue(encoder.encode(`${JSON.stringify(lines[sent++])}\n`));
    },
  });
}

/** An aggregator stand-in: its views, one view's answer, and a streamed call. */
function aggregatorWorker() {
  return stubWorker(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/v1/views") return json(views);
    if (url.pathname === "/v1/views/dashboard") {
      if (url.searchParams.get("userId") === null) {
        return json(
          {
            title: "Invalid input",
            status: 400,
            detail: "userId is missing",
            instance: "/v1/views/dashboard",
          },
          400,
        );
      }
      return new Response(paced(viewLines), {
        headers: { "content-type": "application/x-ndjson" },
      });
    }
    if (url.pathname === "/v1/aggregate") {
      const call = (await request.json()) as { requests: { id: string }[] };
      if (call.requests.length === 0) {
        return json(
          { title: "Invalid input", status: 400, detail: "requests must not be empty" },
          400,
        );
      }
      const lines = [
        { index: 1, id: "b", ok: true, status: 200, durationMs: 0, attempts: 1, cached: true },
        {
          index: 0,
          id: "a",
          ok: false,
          durationMs: 0,
          attempts: 0,
          error: { code: "circuit_open", message: "open" },
        },
        { summary: { total: 2, succeeded: 1, failed: 1, durationMs: 3 } },
      ];
      return new Response(lines.map((line) => `${JSON.stringify(line)}\n`).join(""), {
        headers: { "content-type": "application/x-ndjson" },
      });
    }
    return json({ title: "Not Found", status: 404 }, 404);
  });
}

async function session() {
  const aggregator = aggregatorWorker();
  const workers = grantingWorkers({ AGGREGATOR: aggregator.fetcher });
  return { workers, aggregator, cookie: await signIn(workers) };
}

const readLines = async (response: Response) =>
  (await response.text())
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as WaterfallLine);

describe("the aggregator page", () => {
  it("offers the views with their parameters, and a request editor, each labelled", async () => {
    const { workers, cookie } = await session();
    const html = await (await send("/aggregator", { headers: { cookie } }, workers)).text();
    expect(html).toContain('<option value="dashboard">dashboard (userId)</option>');
    expect(html).toContain('value="userId=7"');
    expect(html).toContain('<label for="request">');
    expect(html).toContain('<label for="view">');
  });

  it("streams a fan-out request as waterfall lines: start, each bar as it finishes, done", async () => {
    const { workers, cookie, aggregator } = await session();
    const request = JSON.stringify({
      requests: [
        { id: "a", url: "https://a.test/" },
        { id: "b", url: "https://b.test/" },
      ],
      deadlineMs: 800,
    });
    const response = await send("/aggregator/run", postForm({ request }, { cookie }), workers);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = await readLines(response);
    expect(lines[0]).toEqual({ start: { ids: ["a", "b"], deadlineMs: 800, kind: "request" } });
    expect(lines[1]).toMatchObject({
      bar: { id: "b", ok: true, status: 200, attempts: 1, cached: true },
    });
    expect(lines[2]).toMatchObject({ bar: { id: "a", ok: false, error: "circuit_open" } });
    expect(lines[3]).toEqual({ done: { total: 2, succeeded: 1, failed: 1, durationMs: 3 } });
    for (const line of lines) {
      if ("bar" in line) expect(line.bar.start).toBeLessThanOrEqual(line.bar.end);
    }
    const sent = aggregator.seen.find((seen) => seen.method === "POST");
    expect(sent?.headers.get("accept")).toBe("application/x-ndjson");
    expect(sent?.headers.get("authorization")).toMatch(/^Bearer ea_/);
  });

  it("refuses a request that is not JSON, naming the field, without calling the aggregator", async () => {
    const { workers, cookie, aggregator } = await session();
    const response = await send("/aggregator/run", postForm({ request: "{" }, { cookie }), workers);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { parameter: string }[] };
    expect(problem.errors[0]?.parameter).toBe("request");
    expect(aggregator.seen.some((seen) => seen.method === "POST")).toBe(false);
  });

  it("passes the aggregator's own refusal through as its problem", async () => {
    const { workers, cookie } = await session();
    const response = await send(
      "/aggregator/run",
      postForm({ request: '{"requests":[]}' }, { cookie }),
      workers,
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { detail: string }).detail).toBe(
      "requests must not be empty",
    );
  });

  it("streams a view as waterfall lines: its deadline, each part timed as it finishes, done", async () => {
    const { workers, cookie, aggregator } = await session();
    const response = await send(
      "/aggregator/view",
      postForm({ view: "dashboard", params: "userId=7" }, { cookie }),
      workers,
    );
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = await readLines(response);
    expect(lines[0]).toEqual({
      start: { ids: ["user", "orders"], deadlineMs: 1500, kind: "view" },
    });
    expect(lines[1]).toMatchObject({ bar: { id: "user", ok: true, status: 200, attempts: 1 } });
    expect(lines[2]).toMatchObject({
      bar: { id: "orders", ok: false, error: "timeout", message: "No answer within 500 ms" },
    });
    expect(lines[3]).toEqual({ done: { total: 2, succeeded: 1, failed: 1, durationMs: 502 } });
    expect(lines).toHaveLength(4);
    const [user, orders] = [lines[1], lines[2]].map((line) => (line as BarLine).bar);
    // Each bar ends when its line arrived and starts its durationMs before (not before 0).
    expect(orders?.end).toBeGreaterThan(user?.end ?? Number.POSITIVE_INFINITY);
    for (const bar of [user, orders]) expect(bar?.start).toBeLessThanOrEqual(bar?.end ?? 0);
    expect(orders?.start).toBe(Math.max(0, (orders?.end ?? 0) - 500));
    const sent = aggregator.seen.find((seen) => seen.url.includes("/v1/views/dashboard"));
    expect(sent?.url).toContain("userId=7");
    expect(sent?.headers.get("accept")).toBe("application/x-ndjson");
  });

  it("passes a view's refusal through as its problem, and refuses a malformed name itself", async () => {
    const { workers, cookie, aggregator } = await session();
    const missing = await send(
      "/aggregator/view",
      postForm({ view: "dashboard", params: "" }, { cookie }),
      workers,
    );
    expect(missing.status).toBe(400);
    // Its instance is the console's route, the one the caller asked, not the aggregator's path.
    expect(await missing.json()).toMatchObject({
      detail: "userId is missing",
      instance: "/aggregator/view",
    });
    const calls = aggregator.seen.length;
    const bad = await send(
      "/aggregator/view",
      postForm({ view: "../x", params: "" }, { cookie }),
      workers,
    );
    expect(bad.status).toBe(400);
    expect(aggregator.seen.length).toBe(calls);
  });
});
