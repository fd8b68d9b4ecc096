import { createRoute } from "@hono/zod-openapi";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  createApi,
  jsonResponse,
  problemErrorHandler,
  problemResponses,
  query,
} from "../src/index.ts";

// A pair with nothing before "=" names no parameter any route takes: it is refused like an
// unknown one (`&%20=1` already is), never dropped in silence.

const limitOnly = z.strictObject({ limit: z.string().optional() });

const declared = createApi().openapi(
  createRoute({
    method: "get",
    path: "/things",
    request: { query: limitOnly },
    responses: { 200: jsonResponse(z.object({}), "ok"), ...problemResponses({ 400: "Bad" }) },
  }),
  (c) => c.json({}, 200),
);
const plain = new Hono().get("/things", query(limitOnly), (c) => c.json(c.req.valid("query")));
plain.onError(problemErrorHandler);

const EMPTY_NAME = {
  parameter: "",
  detail: 'has an empty name (nothing comes before "="); name it or leave the pair out',
};

describe("a query parameter with an empty name", () => {
  it.each([
    ["routes declared with createRoute", declared],
    ["the query middleware", plain],
  ] as const)("is refused naming it, by %s", async (_, app) => {
    for (const search of ["?limit=1&=x", "?=x", "?=", "?=x&limit=1", "?limit=1&=x&=y"]) {
      const response = await app.request(`/things${search}`);
      expect(response.status, search).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as { detail: string; errors: unknown[] };
      expect(problem.errors[0], search).toEqual(EMPTY_NAME);
      expect(problem.detail, search).toMatch(/^parameter "": has an empty name/);
    }
  });

  it.each([
    ["routes declared with createRoute", declared],
    ["the query middleware", plain],
  ] as const)("leaves empty pairs (a stray &) alone, by %s", async (_, app) => {
    for (const search of ["?limit=1&", "?&limit=1", "?", "?&&"]) {
      expect((await app.request(`/things${search}`)).status, search).toBe(200);
    }
  });
});
