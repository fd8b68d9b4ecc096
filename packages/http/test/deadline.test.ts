import { remainingMs } from "@edge-async/async-utils";
import { createRoute } from "@hono/zod-openapi";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  createWorkerApi,
  DEADLINE_HEADER,
  jsonResponse,
  openApiDocument,
  problemErrorHandler,
  requestDeadline,
  withDeadline,
} from "../src/index.ts";

/** An app whose one route reports what it sees of `c.var.signal`. */
function probeApp(maxMs?: number) {
  const app = new Hono().use(requestDeadline(maxMs === undefined ? {} : { maxMs }));
  app.onError(problemErrorHandler);
  return app.get("/probe", (c) =>
    c.json({ aborted: c.var.signal.aborted, remaining: remainingMs(c.var.signal) ?? null }),
  );
}

const withHeader = (value: string) => ({ headers: { [DEADLINE_HEADER]: value } });

describe("problemErrorHandler and the request's deadline", () => {
  // A route that outlasts its budget, then throws the timeout its own wait raised.
  const app = new Hono().use(requestDeadline());
  app.onError(problemErrorHandler);
  app.get("/late", async () => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    const error = new Error("the wait took too long");
    error.name = "TimeoutError";
    throw error;
  });

  it("answers a TimeoutError thrown once the deadline passed as 504 deadline-exceeded", async () => {
    const response = await app.request("/late", withHeader("5"));
    expect(response.status).toBe(504);
    expect(((await response.json()) as { type: string }).type).toContain("deadline-exceeded");
  });

  it("keeps any other TimeoutError a 500", async () => {
    const response = await app.request("/late", withHeader("60000"));
    expect(response.status).toBe(500);
  });
});

describe("requestDeadline", () => {
  it("gives the request a signal with the caller's budget, never more", async () => {
    const response = await probeApp().request("/probe", withHeader("5000"));
    const body = (await response.json()) as { aborted: boolean; remaining: number };
    expect(response.status).toBe(200);
    expect(body.aborted).toBe(false);
    expect(body.remaining).toBeGreaterThan(0);
    expect(body.remaining).toBeLessThanOrEqual(5000);
  });

  it("caps a budget larger than the worker's maximum, and applies the maximum without a header", async () => {
    for (const init of [withHeader("99999999"), {}]) {
      const response = await probeApp(1000).request("/probe", init);
      const body = (await response.json()) as { remaining: number };
      expect(body.remaining).toBeGreaterThan(0);
      expect(body.remaining).toBeLessThanOrEqual(1000);
    }
  });

  it("sets no deadline of its own when there is neither a header nor a maximum", async () => {
    const body = (await (await probeApp().request("/probe")).json()) as { remaining: unknown };
    // JSON has no Infinity: the unbounded budget serialises as null.
    expect(body.remaining).toBeNull();
  });

  it("answers 400 problem+json naming the header when it is not plain digits", async () => {
    for (const value of ["soon", "-1", "1.5", "10, 20", "1e3", "0x10"]) {
      const response = await probeApp().request("/probe", withHeader(value));
      expect(response.status, value).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const body = (await response.json()) as { errors: { parameter: string }[]; detail: string };
      expect(body.errors).toEqual([
        {
          parameter: DEADLINE_HEADER,
          detail: "must be whole milliseconds in plain digits (0-9), such as 1500",
        },
      ]);
      expect(body.detail).toContain(DEADLINE_HEADER);
    }
  });

  it("never echoes the value it refuses, however long or whatever it holds", async () => {
    for (const value of [
      "9".repeat(30_000).concat("x"),
      "Bearer ea_dev_some-secret-looking-value",
    ]) {
      const response = await probeApp().request("/probe", withHeader(value));
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text.length).toBeLessThan(1_000);
      expect(text).not.toContain("some-secret");
      expect(text).not.toContain("99999");
    }
  });

  it("answers 504 problem+json when the budget is already spent", async () => {
    for (const value of ["0", "000"]) {
      const response = await probeApp(1000).request("/probe", withHeader(value));
      expect(response.status).toBe(504);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const body = (await response.json()) as { type: string; detail: string };
      expect(body.type).toMatch(/deadline-exceeded$/);
      expect(body.detail).toContain(DEADLINE_HEADER);
    }
  });

  it("aborts the signal with a TimeoutError when the budget runs out", async () => {
    const app = new Hono().use(requestDeadline());
    app.get("/wait", async (c) => {
      const signal = c.var.signal;
      const reason = await new Promise<unknown>((resolve) =>
        signal.addEventListener("abort", () => resolve(signal.reason), { once: true }),
      );
      return c.text((reason as Error).name);
    });
    const response = await app.request("/wait", withHeader("30"));
    expect(await response.text()).toBe("TimeoutError");
  });

  it("follows the request's own signal: the client going away aborts it with that reason", async () => {
    const client = new AbortController();
    const seen = Promise.withResolvers<unknown>();
    const app = new Hono().use(requestDeadline({ maxMs: 60_000 }));
    app.get("/wait", async (c) => {
      c.var.signal.addEventListener("abort", () => seen.resolve(c.var.signal.reason), {
        once: true,
      });
      client.abort(new Error("client gone"));
      return c.text(String(await seen.promise));
    });
    const request = new Request("http://worker.test/wait", { signal: client.signal });
    const response = await app.fetch(request);
    expect(await response.text()).toBe("Error: client gone");
  });
});

describe("withDeadline", () => {
  it("sets the remaining whole milliseconds and replaces a forwarded value", () => {
    const headers = withDeadline({ accept: "text/plain", [DEADLINE_HEADER]: "999999" }, 1234.9);
    expect(headers.get(DEADLINE_HEADER)).toBe("1234");
    expect(headers.get("accept")).toBe("text/plain");
    expect(withDeadline(undefined, -5).get(DEADLINE_HEADER)).toBe("0");
  });

  it("removes a forwarded value when there is no deadline to pass on", () => {
    for (const budget of [undefined, new AbortController().signal, Number.POSITIVE_INFINITY]) {
      expect(withDeadline({ [DEADLINE_HEADER]: "10" }, budget).has(DEADLINE_HEADER)).toBe(false);
    }
  });

  it("passes on what is left of a request's signal", async () => {
    const app = probeApp(2000).get("/out", (c) =>
      c.text(withDeadline({}, c.var.signal).get(DEADLINE_HEADER) ?? "none"),
    );
    const left = Number(await (await app.request("/out", withHeader("1500"))).text());
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(1500);
  });
});

describe("createWorkerApi and the OpenAPI document", () => {
  const route = createRoute({
    method: "get",
    path: "/v1/left",
    responses: { 200: jsonResponse(z.object({ left: z.number().nullable() }), "Left") },
  });
  type App = { Bindings: object; Variables: { config: object } };
  const app = createWorkerApi<App>(() => ({}), "/v1/*", { maxDeadlineMs: 3000 }).openapi(
    route,
    (c) => c.json({ left: remainingMs(c.var.signal) ?? null }, 200),
  );

  it("installs the deadline on every worker, capped at maxDeadlineMs", async () => {
    const response = await app.request("/v1/left", withHeader("60000"), {});
    const body = (await response.json()) as { left: number };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.left).toBeGreaterThan(0);
    expect(body.left).toBeLessThanOrEqual(3000);
    expect((await app.request("/v1/left", withHeader("x"), {})).status).toBe(400);
  });

  it("declares the header once and refers to it from every operation", () => {
    const document = openApiDocument(app, { name: "t", version: "0", description: "", tags: [] });
    const components = document.components as { parameters: Record<string, { name: string }> };
    expect(components.parameters.RequestTimeoutMs?.name).toBe(DEADLINE_HEADER);
    const operation = (document.paths as Record<string, { get: { parameters: unknown[] } }>)[
      "/v1/left"
    ];
    expect(operation?.get.parameters).toContainEqual({
      $ref: "#/components/parameters/RequestTimeoutMs",
    });
  });
});
