import { env } from "cloudflare:workers";
import {
  type ApiKeyEntry,
  createApiKey,
  DEV_API_KEY,
  routesWithoutAccessRule,
  SCOPES,
  type Scope,
} from "@edge-async/http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/index.ts";
import { uniqueKey } from "./helpers.ts";

// Who may call what: every route the app declares is walked, so a new route is covered (or
// fails the route-table test) without this file changing.

/** A key of its own: a random id, so no counter or log line is shared with another test. */
const newKey = (scopes: Scope[]) =>
  createApiKey({ name: "test", scopes, id: `t-${crypto.randomUUID().slice(0, 8)}` });

/** Production bindings that accept `entries` (and so refuse the development key). */
const production = (entries: ApiKeyEntry[], extra: object = {}) => ({
  ...env,
  ENVIRONMENT: "production",
  API_KEYS: JSON.stringify(entries),
  ...extra,
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Declared {
  method: string;
  path: string;
  access: unknown;
}

/** Every declared route, from the registry the OpenAPI document is made of. */
const declared: Declared[] = app.openAPIRegistry.definitions.flatMap((definition) => {
  if (definition.type !== "route") return [];
  const route = definition.route as typeof definition.route & { "x-access"?: unknown };
  return [{ method: route.method.toUpperCase(), path: route.path, access: route["x-access"] }];
});
const protectedRoutes = declared.filter((route) => route.access !== "public");

/** A request for `route` that its handler accepts: path parameters filled, a call for a POST. */
function send(route: Declared, bindings: object, headers: Record<string, string> = {}) {
  const path = route.path.replaceAll(/\{[^}]+\}/g, "dashboard");
  const init: RequestInit = { method: route.method, headers };
  if (route.method === "POST") {
    init.headers = { ...headers, "content-type": "application/json" };
    init.body = JSON.stringify({
      requests: [{ url: `http://upstream.test/json/${uniqueKey("a")}` }],
    });
  }
  return app.request(path, init, bindings);
}

describe("the route table", () => {
  it("gives every route an access rule, and makes public only the service routes", () => {
    expect(routesWithoutAccessRule(app)).toEqual([]);
    const open = declared.filter((route) => route.access === "public");
    expect(open.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      "GET /",
      "GET /docs",
      "GET /healthz",
      "GET /openapi.json",
    ]);
    expect(protectedRoutes.length).toBeGreaterThan(0);
    for (const route of protectedRoutes) expect(route.access).toEqual({ scope: "aggregate" });
  });

  it("declares each route's security in the OpenAPI document", async () => {
    const document = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>;
      components: { securitySchemes?: Record<string, unknown> };
    };
    for (const route of declared) {
      const security = document.paths[route.path]?.[route.method.toLowerCase()]?.security;
      if (route.access === "public") expect(security).toEqual([]);
      else expect(security).toContainEqual({ apiKey: ["aggregate"] });
    }
    expect(Object.keys(document.components.securitySchemes ?? {})).toContain("apiKey");
  });
});

describe.each(protectedRoutes)("$method $path", (route) => {
  it("answers 401 with a Bearer challenge for no key, an unknown key or a wrong secret", async () => {
    const { key, entry } = await newKey(["aggregate"]);
    const bindings = production([entry]);
    const unknown = `ea_ghost_${key.slice(key.indexOf("_", 3) + 1)}`;
    for (const headers of [{}, bearer(unknown), bearer(`${key.slice(0, -2)}xx`)]) {
      const response = await send(route, bindings, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("answers 403 naming the scope for a key with every scope but aggregate", async () => {
    const { key, entry } = await newKey(SCOPES.filter((scope) => scope !== "aggregate"));
    const response = await send(route, production([entry]), bearer(key));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toContain('scope="aggregate"');
    expect(await response.json()).toMatchObject({
      type: "https://edge-async.dev/problems/insufficient-scope",
      scope: "aggregate",
    });
  });

  it("serves a key with the scope (no-store), and refuses the development key in production", async () => {
    const { key, entry } = await newKey(["aggregate"]);
    const bindings = production([entry]);
    const response = await send(route, bindings, bearer(key));
    expect([401, 403]).not.toContain(response.status);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("cache-control")).toBe("no-store");
    await response.arrayBuffer();
    expect((await send(route, bindings, bearer(DEV_API_KEY))).status).toBe(401);
  });

  it("fails closed: 503 not-configured in production without API_KEYS", async () => {
    const response = await send(route, { ...env, ENVIRONMENT: "production" }, bearer(DEV_API_KEY));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      type: "https://edge-async.dev/problems/not-configured",
      setting: "API_KEYS",
    });
  });
});

describe("the public routes", () => {
  it("stay up without API_KEYS in production, with nosniff and a CSP on HTML", async () => {
    const bindings = { ...env, ENVIRONMENT: "production" };
    for (const path of ["/healthz", "/", "/openapi.json", "/docs"]) {
      const response = await app.request(path, {}, bindings);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      await response.arrayBuffer();
    }
    const docs = await app.request("/docs", {}, bindings);
    expect(docs.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });
});

describe("CORS", () => {
  const ALLOWED = "https://app.example.com";

  it("lets a listed origin read answers and refuses any other (closed by default)", async () => {
    const { key, entry } = await newKey(["aggregate"]);
    const listed = production([entry], { CORS_ORIGINS: ALLOWED });
    const get = (origin: string, bindings: object) =>
      app.request("/v1/views", { headers: { origin, ...bearer(key) } }, bindings);
    const allowed = await get(ALLOWED, listed);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(allowed.headers.get("access-control-expose-headers")).toContain("ratelimit-policy");
    const refused = await get("https://evil.example.com", listed);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    const closed = await get(ALLOWED, production([entry]));
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await app.request(
      "/v1/aggregate",
      {
        method: "OPTIONS",
        headers: { origin: ALLOWED, "access-control-request-method": "POST" },
      },
      listed,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("POST");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
  });
});

describe("keys", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never reach an upstream: the caller's Authorization is not forwarded", async () => {
    const { key, entry } = await newKey(["aggregate"]);
    const echo = `http://upstream.test/echo/${uniqueKey("no-forward")}`;
    const response = await app.request(
      "/v1/aggregate",
      {
        method: "POST",
        headers: { ...bearer(key), "content-type": "application/json" },
        body: JSON.stringify({ requests: [{ url: echo }] }),
      },
      production([entry]),
    );
    const { results } = (await response.json()) as { results: { body: unknown }[] };
    expect(results[0]?.body).toMatchObject({ method: "GET" });
    expect(JSON.stringify(results[0]?.body)).not.toContain(key);
    expect(JSON.stringify(results[0]?.body).toLowerCase()).not.toContain("authorization");
  });

  it("never appear in logs or answers, valid or not, across a run", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((arg) => (arg instanceof Error ? arg.stack : String(arg))).join(" "));
      });
    }
    const { key, entry } = await newKey(["aggregate"]);
    const wrong = `${key.slice(0, -4)}abcd`;
    const failing: RateLimit = { limit: async () => Promise.reject(new Error("limiter down")) };
    const answers: string[] = [];
    const runs: [object, string][] = [
      [production([entry]), key],
      [production([entry]), wrong],
      [production([entry], { REQUEST_LIMITER: failing, SUBREQUEST_LIMITER: failing }), key],
      [production([entry], { MAX_REQUESTS: "lots" }), key],
      [{ ...env, ENVIRONMENT: "production", API_KEYS: `[${JSON.stringify(key)}]` }, key],
      [{ ...env, ENVIRONMENT: "production", API_KEYS: `[${key}` }, key],
      [{ ...env }, DEV_API_KEY],
    ];
    for (const [bindings, presented] of runs) {
      for (const route of protectedRoutes) {
        const response = await send(route, bindings, bearer(presented));
        answers.push(await response.text(), JSON.stringify([...response.headers]));
      }
    }
    // The misconfigured var and the failing limiter did log.
    expect(lines.length).toBeGreaterThan(0);
    const secretOf = (presented: string) => presented.slice(presented.indexOf("_", 3) + 1);
    const secrets = [
      key,
      wrong,
      DEV_API_KEY,
      secretOf(key),
      secretOf(wrong),
      secretOf(DEV_API_KEY),
    ];
    for (const text of [...lines, ...answers]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
