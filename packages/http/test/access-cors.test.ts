import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  ACCESS_SECURITY_SCHEMES,
  cors,
  createApi,
  DEV_API_KEY,
  jsonResponse,
  parseCorsOrigins,
  secureRoute,
  serviceRoutes,
} from "../src/index.ts";

const ALLOWED = "https://app.example.com";

function corsApp(origins?: string[]) {
  const app = createApi();
  app.use(cors(app, origins === undefined ? {} : { origins }));
  app.openapi(
    secureRoute({
      access: { scope: "jobs:write" },
      method: "post",
      path: "/v1/jobs",
      responses: { 202: jsonResponse(z.object({ ok: z.boolean() }), "Queued") },
    }),
    (c) => c.json({ ok: true }, 202),
  );
  app.openapi(
    secureRoute({
      access: "public",
      method: "get",
      path: "/v1/jobs/{id}",
      responses: { 200: { description: "A job" } },
    }),
    (c) => c.body(null, 200),
  );
  serviceRoutes(app, {
    name: "demo",
    version: "1",
    description: "",
    tags: [],
    securitySchemes: ACCESS_SECURITY_SCHEMES,
  });
  return app;
}

const DEV = { ENVIRONMENT: "development" };
const preflight = (origin: string, path = "/v1/jobs") =>
  corsApp([ALLOWED]).request(
    path,
    {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    },
    DEV,
  );

describe("cors", () => {
  it("answers a listed origin's preflight with the path's methods, headers and max-age", async () => {
    const response = await preflight(ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("access-control-allow-methods")).toBe("POST");
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(response.headers.get("access-control-allow-headers")).toContain("content-type");
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("vary")).toContain("Origin");
    const item = await preflight(ALLOWED, "/v1/jobs/42");
    expect(item.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
  });

  it("lets a browser send and read the D1 session bookmark header", async () => {
    const response = await preflight(ALLOWED);
    const allowed = response.headers.get("access-control-allow-headers")?.split(/, */);
    expect(allowed).toContain("x-d1-bookmark");
    const answer = await corsApp([ALLOWED]).request(
      "/v1/jobs/1",
      { headers: { origin: ALLOWED } },
      DEV,
    );
    const exposed = answer.headers.get("access-control-expose-headers")?.split(/, */);
    expect(exposed).toContain("x-d1-bookmark");
  });

  it("gives an unlisted origin no CORS headers, on the preflight and on the answer", async () => {
    const refused = await preflight("https://evil.example.com");
    expect(refused.status).toBe(204);
    expect(
      [...refused.headers.keys()].filter((name) => name.startsWith("access-control-")),
    ).toEqual([]);
    const answer = await corsApp([ALLOWED]).request(
      "/v1/jobs",
      {
        method: "POST",
        headers: { origin: "https://evil.example.com", authorization: `Bearer ${DEV_API_KEY}` },
      },
      DEV,
    );
    expect(answer.status).toBe(202);
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    expect(answer.headers.get("vary")).toBe("Origin");
  });

  it("lets a listed origin read answers, errors included, with the rate-limit and auth headers exposed", async () => {
    const app = corsApp([ALLOWED]);
    for (const headers of [{ authorization: `Bearer ${DEV_API_KEY}` }, {}] as Record<
      string,
      string
    >[]) {
      const response = await app.request(
        "/v1/jobs",
        { method: "POST", headers: { origin: ALLOWED, ...headers } },
        DEV,
      );
      expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(response.headers.get("access-control-expose-headers")).toContain("retry-after");
      expect(response.headers.get("access-control-expose-headers")).toContain("www-authenticate");
      expect(response.headers.get("vary")).toBe("Origin");
    }
  });

  it("is closed by default and reads CORS_ORIGINS when no list is given", async () => {
    const closed = await corsApp().request("/v1/jobs/1", { headers: { origin: ALLOWED } }, DEV);
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
    expect(closed.headers.get("vary")).toBe("Origin");
    const opened = await corsApp().request(
      "/v1/jobs/1",
      { headers: { origin: ALLOWED } },
      { CORS_ORIGINS: `http://localhost:5173, ${ALLOWED}` },
    );
    expect(opened.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  it("answers OPTIONS on a known path 204 with Allow, never 405, and leaves unknown paths 404", async () => {
    const app = corsApp([ALLOWED]);
    const known = await app.request("/v1/jobs", { method: "OPTIONS" });
    expect(known.status).toBe(204);
    expect(known.headers.get("allow")).toBe("POST, OPTIONS");
    expect((await app.request("/nowhere", { method: "OPTIONS" })).status).toBe(404);
    // A preflight needs no credentials: the access check does not run for it.
    expect((await preflight(ALLOWED)).status).toBe(204);
  });

  it("refuses origin lists that are not bare origins", async () => {
    expect(() => parseCorsOrigins("https://app.example.com/")).toThrow();
    expect(() => parseCorsOrigins("*")).toThrow();
    expect(() => corsApp(["https://app.example.com/path"])).toThrow();
    expect(parseCorsOrigins(undefined).size).toBe(0);
    const response = await corsApp().request(
      "/v1/jobs/1",
      { headers: { origin: ALLOWED } },
      { CORS_ORIGINS: "app.example.com" },
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ setting: "CORS_ORIGINS" });
  });
});
