import { DEADLINE_HEADER, deadlineSignal } from "@edge-async/async-utils";
import { describe, expect, it } from "vitest";
import { ApiError, createCaller, ndjsonLines } from "../src/index.ts";

function fakeWorker(answers: (() => Response)[]) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
    return (answer as () => Response)();
  };
  return { requests, fetch };
}

const problem =
  (status: number, headers: Record<string, string> = {}) =>
  () =>
    new Response(
      JSON.stringify({ type: "about:blank", title: "T", status, detail: `d${status}` }),
      {
        status,
        headers: { "content-type": "application/problem+json", ...headers },
      },
    );

describe("createCaller", () => {
  it("builds the URL, query, headers and JSON body, and answers the parsed body", async () => {
    const worker = fakeWorker([() => Response.json({ ok: true })]);
    const caller = createCaller({
      baseUrl: "http://worker.test/base",
      fetch: worker.fetch,
      headers: () => ({ authorization: "Bearer k" }),
    });
    const body = await caller.json<{ ok: boolean }>({
      method: "POST",
      path: "/v1/items",
      query: { limit: 5, topic: undefined, flag: true },
      body: { title: "a\u00e9" },
      headers: { "x-extra": "1" },
    });
    expect(body).toEqual({ ok: true });
    const [request] = worker.requests;
    expect(request?.url).toBe("http://worker.test/base/v1/items?limit=5&flag=true");
    expect(request?.method).toBe("POST");
    expect(request?.headers.get("authorization")).toBe("Bearer k");
    expect(request?.headers.get("x-extra")).toBe("1");
    expect(request?.headers.get("content-type")).toBe("application/json");
    expect(await request?.text()).toBe('{"title":"aé"}');
  });

  it("rejects with ApiError carrying the problem, without retrying a 4xx", async () => {
    const worker = fakeWorker([problem(404)]);
    const caller = createCaller({ baseUrl: "http://worker.test", fetch: worker.fetch });
    const error = await caller.json({ path: "v1/items/9" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).problem?.detail).toBe("d404");
    expect(worker.requests).toHaveLength(1);
  });

  it("retries 429 and 503 and succeeds when the worker recovers", async () => {
    const worker = fakeWorker([
      problem(503, { "retry-after": "0" }),
      problem(429, { "retry-after": "0" }),
      () => Response.json({ done: 1 }),
    ]);
    const caller = createCaller({ baseUrl: "http://worker.test", fetch: worker.fetch });
    expect(await caller.json({ path: "x" })).toEqual({ done: 1 });
    expect(worker.requests).toHaveLength(3);
  });

  it("reports Retry-After, capped at maxRetryDelayMs, once retries are spent", async () => {
    const worker = fakeWorker([problem(503, { "retry-after": "120" })]);
    const caller = createCaller({
      baseUrl: "http://worker.test",
      fetch: worker.fetch,
      retries: 0,
      maxRetryDelayMs: 5_000,
    });
    const error = (await caller.send({ path: "x" }).catch((caught: unknown) => caught)) as ApiError;
    expect(error.status).toBe(503);
    expect(error.retryAfterMs).toBe(5_000);
  });

  it("an aborted signal stops the wait before a retry", async () => {
    const worker = fakeWorker([problem(503, { "retry-after": "30" })]);
    const caller = createCaller({ baseUrl: "http://worker.test", fetch: worker.fetch, retries: 3 });
    const controller = new AbortController();
    const call = caller.send({ path: "x", signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("gave up"));
    await expect(call).rejects.toThrow("gave up");
    expect(worker.requests).toHaveLength(1);
  });
});

describe("ndjsonLines", () => {
  const stream = (chunks: string[], onCancel?: () => void) =>
    new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(chunk));
      },
      cancel: onCancel,
    });

  it("parses values split across chunks, with or without a final newline", async () => {
    const values: unknown[] = [];
    for await (const value of ndjsonLines(stream(['{"a":', '1}\n{"b"', ':"é"}\n\n{"c":3}']))) {
      values.push(value);
    }
    expect(values).toEqual([{ a: 1 }, { b: "é" }, { c: 3 }]);
  });

  it("leaving the loop early cancels the body", async () => {
    let cancelled = false;
    const body = stream(['{"a":1}\n', '{"a":2}\n', '{"a":3}\n'], () => {
      cancelled = true;
    });
    for await (const value of ndjsonLines(body)) {
      expect(value).toEqual({ a: 1 });
      break;
    }
    expect(cancelled).toBe(true);
  });
});

describe("ndjsonLines and its signal", () => {
  it("stops at the signal even between lines of one chunk already read", async () => {
    const controller = new AbortController();
    const body = new Response('{"a":1}\n{"a":2}\n{"a":3}\n').body as ReadableStream<Uint8Array>;
    const seen: unknown[] = [];
    const walk = async () => {
      for await (const value of ndjsonLines(body, controller.signal)) {
        seen.push(value);
        controller.abort(new Error("enough"));
      }
    };
    await expect(walk()).rejects.toThrow("enough");
    expect(seen).toEqual([{ a: 1 }]);
  });
});

describe("createCaller and deadlines", () => {
  it("sends what is left of the call's deadline with each attempt, never more", async () => {
    const worker = fakeWorker([problem(503, { "retry-after": "0" }), () => Response.json({})]);
    const caller = createCaller({ baseUrl: "http://worker.test", fetch: worker.fetch });
    await caller.json({ path: "v1/x", signal: deadlineSignal(5_000) });
    expect(worker.requests).toHaveLength(2);
    const sent = worker.requests.map((request) => Number(request.headers.get(DEADLINE_HEADER)));
    for (const left of sent) {
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(5_000);
    }
    // The second attempt is sent later, so it never carries more than the first.
    expect(sent[1]).toBeLessThanOrEqual(sent[0] as number);
  });

  it("replaces a forwarded value, and adds none for a signal without a deadline", async () => {
    const worker = fakeWorker([() => Response.json({})]);
    const caller = createCaller({ baseUrl: "http://worker.test", fetch: worker.fetch });
    await caller.json({
      path: "v1/x",
      signal: deadlineSignal(1_000),
      headers: { [DEADLINE_HEADER]: "999999" },
    });
    await caller.json({ path: "v1/x", signal: new AbortController().signal });
    expect(Number(worker.requests[0]?.headers.get(DEADLINE_HEADER))).toBeLessThanOrEqual(1_000);
    expect(worker.requests[1]?.headers.has(DEADLINE_HEADER)).toBe(false);
  });
});
