import { exports } from "cloudflare:workers";
import { describe, expect, expectTypeOf, it } from "vitest";
import type * as z from "zod";
import {
  type AggregateCall,
  type AggregateLine,
  type AggregateResult,
  ApiError,
  createAggregatorClient,
  type ResultLine,
  type SummaryLine,
  type ViewAnswer,
  type ViewAnswerLine,
  type ViewInfo,
  type ViewLine,
  type ViewPartLine,
  type ViewStartLine,
} from "../src/client.ts";
import type * as aggregateContract from "../src/contract.ts";
import type * as viewsContract from "../src/views-contract.ts";
import { DEV_AUTH, uniqueKey, upstreamStats } from "./helpers.ts";

// The client against the worker itself: `exports.default.fetch` stands in for a service binding.

/** A client whose requests are recorded, so tests can tell what it sent. */
function recorded(answer?: (request: Request) => Response | undefined) {
  const requests: string[] = [];
  const aggregator = createAggregatorClient({
    baseUrl: "https://fetch-aggregator.test",
    headers: DEV_AUTH,
    fetch: async (request) => {
      const url = new URL(request.url);
      requests.push(`${request.method} ${url.pathname}${url.search}`);
      return answer?.(request) ?? exports.default.fetch(request);
    },
  });
  return { aggregator, requests };
}

const json = (key: string, delay = 0) => `http://upstream.test/json/${key}?delay=${delay}`;

describe("the client's types are the worker's contract", () => {
  it("sends what the route validates and receives what the route declares", () => {
    expectTypeOf<AggregateCall>().toExtend<z.input<typeof aggregateContract.aggregateRequest>>();
    expectTypeOf<z.input<typeof aggregateContract.aggregateRequest>>().toExtend<AggregateCall>();
    expectTypeOf<AggregateResult>().toEqualTypeOf<
      z.output<typeof aggregateContract.aggregateResponse>
    >();
    expectTypeOf<ResultLine>().toEqualTypeOf<z.output<typeof aggregateContract.resultLine>>();
    expectTypeOf<SummaryLine>().toEqualTypeOf<z.output<typeof aggregateContract.summaryLine>>();
    expectTypeOf<AggregateLine>().toEqualTypeOf<z.output<typeof aggregateContract.aggregateLine>>();
    expectTypeOf<ViewAnswer>().toEqualTypeOf<z.output<typeof viewsContract.viewAnswer>>();
    expectTypeOf<ViewInfo>().toEqualTypeOf<z.output<typeof viewsContract.viewInfo>>();
    expectTypeOf<ViewStartLine>().toEqualTypeOf<z.output<typeof viewsContract.viewStartLine>>();
    expectTypeOf<ViewPartLine>().toEqualTypeOf<z.output<typeof viewsContract.viewPartLine>>();
    expectTypeOf<ViewAnswerLine>().toEqualTypeOf<z.output<typeof viewsContract.viewAnswerLine>>();
    expectTypeOf<ViewLine>().toEqualTypeOf<z.output<typeof viewsContract.viewLine>>();
  });
});

describe("createAggregatorClient", () => {
  it("runs a call and answers every result in request order", async () => {
    const key = uniqueKey("client");
    const { aggregator, requests } = recorded();
    const answer = await aggregator.aggregate({
      requests: [
        { id: "slow", url: json(key, 60) },
        { id: "fast", url: json(key) },
      ],
    });
    expect(answer.results.map((result) => [result.id, result.ok])).toEqual([
      ["slow", true],
      ["fast", true],
    ]);
    expect(answer.summary).toMatchObject({ total: 2, succeeded: 2, failed: 0 });
    expect(requests).toEqual(["POST /v1/aggregate"]);
  });

  it("streams the results as an async iterator, in finish order, then the summary", async () => {
    const key = uniqueKey("client-stream");
    const { aggregator } = recorded();
    const lines: AggregateLine[] = [];
    for await (const line of aggregator.stream({
      requests: [
        { id: "slow", url: json(key, 200) },
        { id: "fast", url: json(key) },
      ],
    })) {
      lines.push(line);
    }
    const results = lines.slice(0, -1) as ResultLine[];
    expect(results.map((line) => [line.id, line.index])).toEqual([
      ["fast", 1],
      ["slow", 0],
    ]);
    expect(lines.at(-1)).toEqual({
      summary: { total: 2, succeeded: 2, failed: 0, durationMs: expect.any(Number) },
    });
  });

  it("leaving the loop early stops the call upstream", async () => {
    const key = uniqueKey("client-break");
    const { aggregator } = recorded();
    for await (const line of aggregator.stream({
      requests: [
        { id: "fast", url: json(`${key}-fast`) },
        { id: "slow", url: `http://upstream.test/slow/${key}?ms=5000` },
      ],
    })) {
      expect(line).toMatchObject({ id: "fast", ok: true });
      break;
    }
    await expect.poll(async () => (await upstreamStats(key)).aborted, { timeout: 3_000 }).toBe(1);
  });

  it("aborts with its signal, and the worker aborts the upstream requests", async () => {
    const key = uniqueKey("client-abort");
    const { aggregator } = recorded();
    const controller = new AbortController();
    const pending = aggregator.aggregate(
      { requests: [{ url: `http://upstream.test/slow/${key}?ms=5000` }] },
      { signal: controller.signal },
    );
    await expect.poll(async () => (await upstreamStats(key)).hits, { timeout: 5_000 }).toBe(1);
    controller.abort(new Error("the caller gave up"));
    await expect(pending).rejects.toThrow("the caller gave up");
    await expect.poll(async () => (await upstreamStats(key)).aborted, { timeout: 3_000 }).toBe(1);
  });

  it("rejects with ApiError carrying the problem, naming the field", async () => {
    const { aggregator } = recorded();
    const refused = await aggregator.aggregate({ requests: [] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(400);
    expect((refused as ApiError).problem?.errors).toEqual([
      { pointer: "/requests", detail: expect.any(String) },
    ]);
    const unknown = await aggregator.view("nope").catch((error: unknown) => error);
    expect(unknown).toMatchObject({ status: 404, problem: { title: "Unknown view" } });
  });

  it("retries a 503 after its Retry-After, then answers", async () => {
    let refusals = 1;
    const { aggregator, requests } = recorded(() => {
      if (refusals-- <= 0) return undefined;
      return Response.json(
        { type: "about:blank", title: "Service Unavailable", status: 503 },
        { status: 503, headers: { "retry-after": "0" } },
      );
    });
    expect((await aggregator.views()).map((view) => view.name)).toEqual(["dashboard"]);
    expect(requests).toEqual(["GET /v1/views", "GET /v1/views"]);
  });

  it("runs a view with its parameters, and lists the views", async () => {
    const { aggregator, requests } = recorded();
    const answer = await aggregator.view("dashboard", { userId: "a b/c" });
    expect(answer.view).toBe("dashboard");
    expect(answer.data.user).toMatchObject({ key: `user-${encodeURIComponent("a b/c")}` });
    expect(requests).toEqual(["GET /v1/views/dashboard?userId=a+b%2Fc"]);
    expect(await aggregator.views()).toEqual([
      {
        name: "dashboard",
        description: null,
        parameters: ["userId"],
        parts: ["user", "orders", "recommendations"],
      },
    ]);
  });

  it("streams a view: the start with its deadline, each part as it finishes, the answer", async () => {
    const { aggregator, requests } = recorded();
    const lines: ViewLine[] = [];
    for await (const line of aggregator.streamView("dashboard", { userId: "9" })) lines.push(line);
    expect(requests).toEqual(["GET /v1/views/dashboard?userId=9"]);
    expect(lines[0]).toEqual({
      start: { view: "dashboard", parts: ["user", "orders", "recommendations"], deadlineMs: 2000 },
    });
    const parts = lines.slice(1, -1) as ViewPartLine[];
    expect(parts.map((part) => part.id).sort()).toEqual(["orders", "recommendations", "user"]);
    expect(parts.find((part) => part.id === "user")).toMatchObject({ ok: true, attempts: 1 });
    const last = lines.at(-1) as ViewAnswerLine;
    expect(last.answer).toMatchObject({ view: "dashboard", complete: false });
    expect(last.answer.data.user).toMatchObject({ key: "user-9" });
  });

  it("refuses a view before its stream starts, with ApiError", async () => {
    const { aggregator } = recorded();
    const lines = aggregator.streamView("dashboard");
    const refused = await lines.next().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400, problem: { errors: [{ parameter: "userId" }] } });
  });

  it("passes one GET through", async () => {
    const key = uniqueKey("client-proxy");
    const { aggregator } = recorded();
    const response = await aggregator.proxy(json(key));
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({ key });
  });
});
