import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  createApi,
  issuesToParams,
  jsonBody,
  jsonInput,
  jsonResponse,
  problemErrorHandler,
  secureRoute,
} from "../src/index.ts";

// What a refusal says: every unknown member or parameter named itself, one entry per field.

const timeoutMs = z
  .number({ error: "timeoutMs must be a number" })
  .int("timeoutMs must be a whole number")
  .min(1, "timeoutMs must be at least 1")
  .max(900_000, "timeoutMs must be at most 900000");
const job = z.strictObject({
  type: z.string(),
  timeoutMs: timeoutMs.optional(),
  steps: z.array(z.strictObject({ name: z.string() })).optional(),
});

const app = createApi()
  .openapi(
    secureRoute({
      access: "public",
      method: "post",
      path: "/jobs",
      middleware: [jsonInput()] as const,
      request: { body: { content: { "application/json": { schema: job } } } },
      responses: { 200: jsonResponse(z.object({ ok: z.boolean() }), "Taken") },
    }),
    (c) => c.json({ ok: true }, 200),
  )
  .openapi(
    secureRoute({
      access: "public",
      method: "get",
      path: "/jobs",
      request: { query: z.strictObject({ limit: z.string().optional() }) },
      responses: { 200: jsonResponse(z.object({ ok: z.boolean() }), "Listed") },
    }),
    (c) => c.json({ ok: true }, 200),
  );

async function errorsOf(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return ((await response.json()) as { errors: unknown[] }).errors;
}

const post = (body: unknown) =>
  app.request("/jobs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("an unknown member or parameter", () => {
  it("is named by its own pointer in a body, at the top and nested", async () => {
    expect(await errorsOf(await post({ type: "t", foo: 1, "a/b": 2 }))).toEqual([
      { pointer: "/foo", detail: "is not a member this route takes" },
      { pointer: "/a~1b", detail: "is not a member this route takes" },
    ]);
    expect(await errorsOf(await post({ type: "t", steps: [{ name: "x", extra: true }] }))).toEqual([
      { pointer: "/steps/0/extra", detail: "is not a member this route takes" },
    ]);
  });

  it("is named in a body read by jsonBody too", async () => {
    const plain = new Hono()
      .onError(problemErrorHandler)
      .post("/jobs", jsonBody(job), (c) => c.json(c.req.valid("json")));
    const response = await plain.request("/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "t", foo: 1 }),
    });
    expect(await errorsOf(response)).toEqual([
      { pointer: "/foo", detail: "is not a member this route takes" },
    ]);
  });

  it("is named as a parameter in a query", async () => {
    expect(await errorsOf(await app.request("/jobs?limt=5"))).toEqual([
      { parameter: "limt", detail: "is not a parameter of this route" },
    ]);
  });
});

describe("one entry per field", () => {
  it("says the schema's own bound for a number past the safe-integer range", async () => {
    for (const [value, detail] of [
      ["1e308", "timeoutMs must be at most 900000"],
      ["-1e308", "timeoutMs must be at least 1"],
      ["9007199254740993", "timeoutMs must be at most 900000"],
      ["1.5", "timeoutMs must be a whole number"],
      ['"5"', "timeoutMs must be a number"],
    ] as const) {
      const errors = await errorsOf(await post(`{"type":"t","timeoutMs":${value}}`));
      expect(errors, value).toEqual([{ pointer: "/timeoutMs", detail }]);
    }
  });

  it("keeps the first failed check of a field, and every field and whole-input rule", () => {
    const schema = z
      .object({
        key: z
          .string()
          .min(1, "key must not be empty")
          .regex(/^[a-z]+$/, "key must be a-z"),
        other: z.number("other must be a number"),
      })
      .refine(() => false, "first rule")
      .refine(() => false, "second rule");
    const result = schema.safeParse({ key: "", other: "x" });
    expect(issuesToParams(result.error?.issues ?? [], "body")).toEqual([
      { pointer: "/key", detail: "key must not be empty" },
      { pointer: "/other", detail: "other must be a number" },
    ]);
    const rules = schema.safeParse({ key: "a", other: 1 });
    expect(issuesToParams(rules.error?.issues ?? [], "body")).toEqual([
      { pointer: "", detail: "first rule" },
      { pointer: "", detail: "second rule" },
    ]);
  });
});
