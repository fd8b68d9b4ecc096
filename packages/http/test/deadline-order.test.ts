import { remainingMs } from "@edge-async/async-utils";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  createApiKey,
  createWorkerApi,
  DEADLINE_HEADER,
  jsonResponse,
  problemErrorHandler,
  requestDeadline,
  secureRoute,
} from "../src/index.ts";

// A malformed or spent request-timeout-ms is answered as the route's own check would be: after
// routing (404, 405) and after the route's access check (401, 403).

type App = { Bindings: object; Variables: { config: object } };
const left = z.object({ left: z.number().nullable() });

function workerApp() {
  return createWorkerApi<App>(() => ({}))
    .openapi(
      secureRoute({
        access: { scope: "jobs:write" },
        method: "post",
        path: "/v1/jobs",
        responses: { 200: jsonResponse(left, "Left") },
      }),
      (c) => c.json({ left: remainingMs(c.var.signal) ?? null }, 200),
    )
    .openapi(
      secureRoute({
        access: "public",
        method: "get",
        path: "/v1/open",
        responses: { 200: jsonResponse(left, "Left") },
      }),
      (c) => c.json({ left: remainingMs(c.var.signal) ?? null }, 200),
    );
}

async function keyEnv(scopes: Parameters<typeof createApiKey>[0]["scopes"]) {
  const { key, entry } = await createApiKey({ name: "ci", scopes, id: "ci" });
  return { key, env: { ENVIRONMENT: "production", API_KEYS: JSON.stringify([entry]) } };
}

// Spellings of zero that are not plain digits (Number() reads each as 0) are malformed, not spent;
// an empty or blank value (Headers trims it to "") is malformed too.
const MALFORMED_ZEROS = ["-0", "+0", "0x0", "0.0", "0e9", "0b0", "0o0", "", " ", "\t"];
const BAD = ["soon", "-1", "0", "00", ...MALFORMED_ZEROS];
const statusOf = (value: string) => (/^[0-9]+$/.test(value) ? 504 : 400);

describe("the order of a worker's answers with a bad request-timeout-ms", () => {
  it("answers 404 for a path no route serves and 405 for another method, not the header's", async () => {
    const app = workerApp();
    for (const value of BAD) {
      const headers = { [DEADLINE_HEADER]: value };
      const missing = await app.request("/v1/nothing-here", { headers }, {});
      expect(missing.status, value).toBe(404);
      const wrongMethod = await app.request("/v1/jobs", { method: "PUT", headers }, {});
      expect(wrongMethod.status, value).toBe(405);
      expect(wrongMethod.headers.get("allow")).toBe("POST");
    }
  });

  it("answers the access check's 401 and 403 first, then the header's 400 or 504", async () => {
    const writer = await keyEnv(["jobs:write"]);
    const reader = await keyEnv(["jobs:read"]);
    const app = workerApp();
    for (const value of BAD) {
      const post = (key: string | undefined, env: object) =>
        app.request(
          "/v1/jobs",
          {
            method: "POST",
            headers: {
              [DEADLINE_HEADER]: value,
              ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
            },
          },
          env,
        );
      expect((await post(undefined, writer.env)).status, value).toBe(401);
      expect((await post(`${writer.key.slice(0, -1)}!`, writer.env)).status, value).toBe(401);
      expect((await post(reader.key, reader.env)).status, value).toBe(403);
      const refused = await post(writer.key, writer.env);
      expect(refused.status, value).toBe(statusOf(value));
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      const body = (await refused.json()) as { detail: string; errors?: unknown };
      expect(body.detail).toContain(DEADLINE_HEADER);
      if (statusOf(value) === 400) {
        expect(body.errors, value).toEqual([
          {
            parameter: DEADLINE_HEADER,
            detail: "must be whole milliseconds in plain digits (0-9), such as 1500",
          },
        ]);
      }
    }
  });

  it("still refuses the header on a public route, and serves a good one as before", async () => {
    const app = workerApp();
    for (const value of BAD) {
      const response = await app.request("/v1/open", { headers: { [DEADLINE_HEADER]: value } }, {});
      expect(response.status, value).toBe(statusOf(value));
    }
    const served = await app.request("/v1/open", { headers: { [DEADLINE_HEADER]: "2000" } }, {});
    const body = (await served.json()) as { left: number };
    expect(body.left).toBeGreaterThan(0);
    expect(body.left).toBeLessThanOrEqual(2000);
  });

  it("leaves an unknown path to the app's 404 when no access rule is in play", async () => {
    const app = new Hono().use(requestDeadline()).get("/probe", (c) => c.text("ok"));
    app.onError(problemErrorHandler);
    for (const value of BAD) {
      const headers = { [DEADLINE_HEADER]: value };
      expect((await app.request("/elsewhere", { headers })).status, value).toBe(404);
      expect((await app.request("/probe", { headers })).status, value).toBe(statusOf(value));
    }
  });
});
