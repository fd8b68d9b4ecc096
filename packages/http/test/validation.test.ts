import fc from "fast-check";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  HttpProblem,
  jsonBody,
  params,
  problemErrorHandler,
  problemNotFound,
  query,
} from "../src/index.ts";

const order = z.object({
  customer: z.string().min(1),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
});

const app = new Hono()
  .onError(problemErrorHandler)
  .notFound(problemNotFound)
  .post("/orders", jsonBody(order, { maxBytes: 2048 }), (c) => c.json(c.req.valid("json"), 201))
  .get(
    "/search",
    query(z.object({ q: z.string().min(2), tag: z.array(z.string()).optional() })),
    (c) => c.json(c.req.valid("query")),
  )
  .get("/orders/:id", params(z.object({ id: z.coerce.number().int().positive() })), (c) =>
    c.json({ id: c.req.valid("param").id }),
  )
  .get("/boom", () => {
    throw new Error("database password is hunter2");
  })
  .get("/teapot", () => {
    throw new HTTPException(429, { message: "slow down" });
  })
  .get("/gone", () => {
    throw new HttpProblem(410, "gone", "Gone", {
      detail: "it left",
      headers: { "retry-after": "5" },
    });
  });

const post = (
  body: BodyInit | null,
  headers: Record<string, string> = { "content-type": "application/json" },
) => app.request("/orders", { method: "POST", body, headers });

async function problem(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as {
    status: number;
    title: string;
    detail: string;
    errors?: unknown[];
  };
}

describe("jsonBody", () => {
  it("passes a valid body through, parsed", async () => {
    const body = { customer: "ada", lines: [{ sku: "x", quantity: 2 }] };
    const response = await post(JSON.stringify(body));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual(body);
  });

  it("accepts +json media types with parameters", async () => {
    const response = await post(
      JSON.stringify({ customer: "a", lines: [{ sku: "x", quantity: 1 }] }),
      {
        "content-type": "application/vnd.api+json; charset=utf-8",
      },
    );
    expect(response.status).toBe(201);
  });

  it("answers 415 for a body that is not JSON by media type", async () => {
    const response = await post("customer=ada", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(response.status).toBe(415);
    const details = await problem(response);
    expect(details.errors).toEqual([
      { parameter: "content-type", detail: "must be application/json" },
    ]);
  });

  it("answers 413 when content-length announces too much", async () => {
    const response = await post(JSON.stringify({ customer: "a".repeat(4000), lines: [] }));
    expect(response.status).toBe(413);
    expect((await problem(response)).detail).toContain("2048");
  });

  it("answers 413 for a streamed body that grows past the limit", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await app.request("/orders", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
      // @ts-expect-error duplex is required for streamed request bodies but missing from the types
      duplex: "half",
    });
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(8);
  });

  it("answers 400 for malformed JSON and for an empty body", async () => {
    for (const body of ["{", ""]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      const details = await problem(response);
      expect(details.errors).toHaveLength(1);
      // The empty pointer (the whole body) is named in words, never as a bare ": " prefix.
      expect(details.detail).toMatch(/^the body (is empty|is not valid JSON)/);
    }
  });

  it("names the body when the whole document is of the wrong shape", async () => {
    const response = await post("[]");
    expect(response.status).toBe(400);
    const details = await problem(response);
    expect(details.errors).toMatchObject([{ pointer: "" }]);
    expect(details.detail).toMatch(/^the body: /);
  });

  it("points at every invalid field", async () => {
    const response = await post(
      JSON.stringify({ customer: "", lines: [{ sku: 1, quantity: -1 }] }),
    );
    expect(response.status).toBe(400);
    const details = await problem(response);
    const pointers = (details.errors as { pointer: string }[]).map((error) => error.pointer).sort();
    expect(pointers).toEqual(["/customer", "/lines/0/quantity", "/lines/0/sku"]);
    expect(details.detail).toContain("/customer");
  });

  it("never answers 500 whatever the body", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (body) => {
          const response = await post(body);
          expect([201, 400, 413]).toContain(response.status);
          if (response.status !== 201) await problem(response);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("query and params", () => {
  it("validates the query string, repeated keys as arrays", async () => {
    const response = await app.request("/search?q=rust&tag=a&tag=b");
    expect(await response.json()).toEqual({ q: "rust", tag: ["a", "b"] });
  });

  it("names the invalid parameter", async () => {
    const response = await app.request("/search?q=r");
    expect(response.status).toBe(400);
    const details = await problem(response);
    expect(details.errors).toEqual([{ parameter: "q", detail: expect.any(String) }]);
  });

  it("validates path parameters", async () => {
    expect(await (await app.request("/orders/7")).json()).toEqual({ id: 7 });
    const response = await app.request("/orders/seven");
    expect(response.status).toBe(400);
    expect((await problem(response)).errors).toEqual([
      { parameter: "id", detail: expect.any(String) },
    ]);
  });
});

describe("error handlers", () => {
  it("hides internals of unexpected errors behind a 500 problem", async () => {
    const response = await app.request("/boom");
    expect(response.status).toBe(500);
    expect(JSON.stringify(await problem(response))).not.toContain("hunter2");
  });

  it("keeps the status of Hono's HTTPException and of HttpProblem with its headers", async () => {
    const teapot = await app.request("/teapot");
    expect(teapot.status).toBe(429);
    expect((await problem(teapot)).detail).toBe("slow down");
    const gone = await app.request("/gone");
    expect(gone.status).toBe(410);
    expect(gone.headers.get("retry-after")).toBe("5");
    expect(await problem(gone)).toMatchObject({ status: 410, title: "Gone", instance: "/gone" });
  });

  it("answers unknown routes with a 404 problem", async () => {
    const response = await app.request("/nowhere");
    expect(response.status).toBe(404);
    expect((await problem(response)).detail).toBe("No route for GET /nowhere");
  });
});
