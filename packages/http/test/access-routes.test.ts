import { createRoute } from "@hono/zod-openapi";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import {
  ACCESS_SECURITY_SCHEMES,
  assertMayOverwrite,
  createApi,
  createApiKey,
  DEV_API_KEY,
  jsonResponse,
  type Principal,
  problemResponses,
  requireAccess,
  routesWithoutAccessRule,
  secureRoute,
  serviceRoutes,
} from "../src/index.ts";

const who = z.object({ id: z.string().nullable() });

function demoApp() {
  const jobs = createApi()
    .openapi(
      secureRoute({
        access: { scope: "jobs:write" },
        method: "post",
        path: "/",
        responses: {
          200: jsonResponse(who, "Who wrote"),
          ...problemResponses({ 401: "No key", 403: "No scope" }),
        },
      }),
      // Typed by the rule: a scoped route always has a principal.
      (c) => c.json({ id: c.var.principal.id }, 200),
    )
    .openapi(
      secureRoute({
        access: { scope: "feed:read", publicUnless: "FEED_READS_PRIVATE" },
        method: "get",
        path: "/feed",
        responses: { 200: jsonResponse(who, "Who read") },
      }),
      (c) => c.json({ id: c.var.principal?.id ?? null }, 200),
    );
  const app = createApi().route("/v1/jobs", jobs);
  serviceRoutes(app, {
    name: "demo",
    version: "1.0.0",
    description: "A demo.",
    tags: [],
    securitySchemes: ACCESS_SECURITY_SCHEMES,
  });
  return app;
}

const write = (env: object, headers: Record<string, string> = {}) =>
  demoApp().request("/v1/jobs", { method: "POST", headers }, env);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function keyEnv(scopes: Parameters<typeof createApiKey>[0]["scopes"], extra: object = {}) {
  const { key, entry } = await createApiKey({ name: "ci", scopes, id: "ci" });
  return { key, env: { ENVIRONMENT: "production", API_KEYS: JSON.stringify([entry]), ...extra } };
}

describe("a scoped route", () => {
  it("answers the key's principal with Cache-Control: no-store", async () => {
    const { key, env } = await keyEnv(["jobs:write"]);
    const response = await write(env, bearer(key));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "ci" });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 401 with a bare Bearer challenge when no credentials are sent", async () => {
    const { env } = await keyEnv(["jobs:write"]);
    for (const headers of [{}, { authorization: "Basic dXNlcjpwYXNz" }] as Record<
      string,
      string
    >[]) {
      const response = await write(env, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="localhost"');
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("says the route takes the Bearer scheme when another scheme is sent", async () => {
    const { env } = await keyEnv(["jobs:write"]);
    for (const [authorization, scheme] of [
      ["Basic dXNlcjpwYXNz", "Basic"],
      ["Digest username=x", "Digest"],
      ["basic\tdXNlcjpwYXNz", "Basic"],
      ["Negotiate    YII=", "Negotiate"],
    ]) {
      const response = await write(env, { authorization: authorization as string });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="localhost"');
      const { detail } = (await response.json()) as { detail: string };
      expect(detail).toBe(
        `This route takes Authorization: Bearer <API key>; the Authorization header uses the ${scheme} scheme (see WWW-Authenticate).`,
      );
    }
  });

  it("echoes no part of an Authorization value but a registered scheme's name", async () => {
    const { key, env } = await keyEnv(["jobs:write"]);
    const secret = key.slice("ea_ci_".length); // the id is "ci"; a secret may hold "_" itself
    const unknown = "uses a scheme this worker does not take";
    const notAScheme = "does not start with an authentication scheme";
    for (const [authorization, says] of [
      [key, unknown], // a key sent as the scheme itself: all token characters
      [DEV_API_KEY, unknown],
      [`Token ${key}`, unknown],
      [`ApiKey\t${key}`, unknown],
      ["token", unknown],
      [`"${key}"`, notAScheme],
      [`Bearer:${key}`, notAScheme],
      [`${key}, Bearer x`, notAScheme],
    ]) {
      const response = await write(env, { authorization: authorization as string });
      expect(response.status, authorization).toBe(401);
      const { detail } = (await response.json()) as { detail: string };
      expect(detail, authorization).toContain(says);
      for (const part of [key.slice(0, 12), secret.slice(0, 6), "ApiKey", "Token", "token", '"'])
        expect(detail, authorization).not.toContain(part);
    }
  });

  it("takes Bearer and the token apart by spaces only: a tab is malformed and echoes nothing", async () => {
    const { key, env } = await keyEnv(["jobs:write"]);
    expect((await write(env, { authorization: `Bearer    ${key}` })).status).toBe(200);
    for (const authorization of [
      `Bearer\t${key}`,
      `bearer \t ${key}`,
      `Bearer\t\t${DEV_API_KEY}`,
    ]) {
      const response = await write(env, { authorization });
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      const text = `${response.headers.get("www-authenticate")} ${await response.text()}`;
      for (const part of [key.slice(0, 12), key.slice(-8), "ea_dev", "\t"])
        expect(text, authorization).not.toContain(part);
    }
  });

  it("answers unknown ids, wrong secrets and junk the same 401 invalid_token", async () => {
    const { key, env } = await keyEnv(["jobs:write"]);
    const answers = new Set<string>();
    for (const attempt of [
      `ea_ghost_${key.slice(6)}`,
      `${key.slice(0, -2)}xx`,
      "not-a-key",
      "a.b.c",
    ]) {
      const response = await write(env, bearer(attempt));
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      const { detail } = (await response.json()) as { detail: string };
      answers.add(
        `${response.headers.get("www-authenticate")}|${attempt.startsWith("ea_") ? detail : ""}`,
      );
    }
    // The two API-key failures (unknown id, wrong secret) are indistinguishable.
    expect([...answers].filter((answer) => !answer.endsWith("|"))).toHaveLength(1);
  });

  it("answers 403 naming the missing scope, and admin scopes imply read and write", async () => {
    const reader = await keyEnv(["jobs:read"]);
    const refused = await write(reader.env, bearer(reader.key));
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain(
      'error="insufficient_scope", scope="jobs:write"',
    );
    expect(await refused.json()).toMatchObject({
      scope: "jobs:write",
      type: "https://edge-async.dev/problems/insufficient-scope",
    });
    const admin = await keyEnv(["jobs:admin"]);
    expect((await write(admin.env, bearer(admin.key))).status).toBe(200);
  });

  it("fails closed: 503 not-configured outside development without API_KEYS or an issuer", async () => {
    for (const env of [
      {},
      { ENVIRONMENT: "production" },
      { ENVIRONMENT: "staging", API_KEYS: "" },
    ]) {
      const response = await write(env, bearer(DEV_API_KEY));
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        type: "https://edge-async.dev/problems/not-configured",
        setting: "API_KEYS",
      });
    }
    const broken = await write({ API_KEYS: "[{" }, bearer(DEV_API_KEY));
    expect(broken.status).toBe(503);
  });

  it("accepts the development key only in development without API_KEYS", async () => {
    expect((await write({ ENVIRONMENT: "development" }, bearer(DEV_API_KEY))).status).toBe(200);
    const { env } = await keyEnv(["jobs:write"], { ENVIRONMENT: "development" });
    expect((await write(env, bearer(DEV_API_KEY))).status).toBe(401);
    for (const environment of ["production", "Development", "development "]) {
      expect((await write({ ENVIRONMENT: environment }, bearer(DEV_API_KEY))).status).not.toBe(200);
    }
  });
});

describe("a route public unless a variable says otherwise", () => {
  const read = (env: object, headers: Record<string, string> = {}) =>
    demoApp().request("/v1/jobs/feed", { headers }, env);

  it("is public (and cacheable) by default, private once the variable is true", async () => {
    const open = await read({});
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ id: null });
    expect(open.headers.get("cache-control")).toBeNull();
    expect((await read({ FEED_READS_PRIVATE: "false" })).status).toBe(200);
    expect((await read({ ENVIRONMENT: "development", FEED_READS_PRIVATE: "true" })).status).toBe(
      401,
    );
    const dev = await read(
      { ENVIRONMENT: "development", FEED_READS_PRIVATE: "true" },
      bearer(DEV_API_KEY),
    );
    expect(await dev.json()).toEqual({ id: "dev" });
  });

  it("refuses a sent bearer credential that does not verify, though the route is public", async () => {
    const { key, env } = await keyEnv(["jobs:read"]);
    for (const authorization of [
      `Bearer ${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`,
      `Bearer ea_ghost_${key.slice(6)}`,
      "Bearer a.b.c",
      "Bearer two words",
      "Bearer",
    ]) {
      const response = await read(env, { authorization });
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    // A valid key of any scope reads as anyone does: the route is public, the key is not used.
    const valid = await read(env, bearer(key));
    expect(valid.status).toBe(200);
    expect(await valid.json()).toEqual({ id: null });
  });

  it("reads a Bearer credential set apart by a tab while public: malformed, 401", async () => {
    const { key, env } = await keyEnv(["jobs:read"]);
    const response = await read(env, { authorization: `Bearer\t${key}` });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  });

  it("reads no other scheme and no Access assertion while public", async () => {
    const { env } = await keyEnv(["jobs:read"]);
    const sent: Record<string, string>[] = [
      { authorization: "Basic dXNlcjpwYXNz" },
      { "cf-access-jwt-assertion": "a.b.c" },
    ];
    for (const headers of sent) {
      expect((await read(env, headers)).status, JSON.stringify(headers)).toBe(200);
    }
  });

  it("answers 401 to a bearer credential when the worker accepts none, 503 when its keys do not parse", async () => {
    const none = await read({ ENVIRONMENT: "production" }, bearer(DEV_API_KEY));
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    expect((await read({ ENVIRONMENT: "production" })).status).toBe(200);
    const broken = await read({ ENVIRONMENT: "production", API_KEYS: "[{" }, bearer(DEV_API_KEY));
    expect(broken.status).toBe(503);
  });

  it("answers 503 for a value that is neither true nor false (never opens by mistake)", async () => {
    const response = await read({ FEED_READS_PRIVATE: "yes" });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ setting: "FEED_READS_PRIVATE" });
  });
});

describe("a public route", () => {
  it("reads no credentials: a wrong key still gets the answer anyone gets", async () => {
    const { key, env } = await keyEnv(["jobs:read"]);
    for (const path of ["/", "/openapi.json"]) {
      const response = await demoApp().request(path, { headers: bearer(`${key}x`) }, env);
      expect(response.status, path).toBe(200);
    }
  });
});

describe("the OpenAPI document", () => {
  it("declares each route's security and rule, and defines the schemes", async () => {
    const doc = (await (await demoApp().request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown; "x-access"?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.paths["/v1/jobs"]?.post?.security).toEqual([
      { apiKey: ["jobs:write"] },
      { jwt: ["jobs:write"] },
      { cfAccess: ["jobs:write"] },
    ]);
    expect(doc.paths["/v1/jobs"]?.post?.["x-access"]).toEqual({ scope: "jobs:write" });
    expect(doc.paths["/v1/jobs/feed"]?.get?.security).toEqual([
      {},
      { apiKey: ["feed:read"] },
      { jwt: ["feed:read"] },
      { cfAccess: ["feed:read"] },
    ]);
    for (const path of ["/", "/healthz", "/openapi.json", "/docs"]) {
      expect(doc.paths[path]?.get?.security).toEqual([]);
      expect(doc.paths[path]?.get?.["x-access"]).toBe("public");
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      "apiKey",
      "cfAccess",
      "jwt",
    ]);
  });
});

describe("routesWithoutAccessRule", () => {
  it("finds nothing in an app whose every route states its rule", () => {
    expect(routesWithoutAccessRule(demoApp())).toEqual([]);
  });

  it("catches a plain route, a createRoute without access, and a hand-made x-access that nothing enforces", () => {
    const app = demoApp();
    app.get("/plain", (c) => c.text("open"));
    app.openapi(
      createRoute({
        method: "delete",
        path: "/v1/jobs/{id}",
        responses: { 204: { description: "Gone" } },
      }),
      (c) => c.body(null, 204),
    );
    app.openapi(
      createRoute({
        method: "put",
        path: "/forged",
        "x-access": "public",
        responses: { 204: { description: "Ok" } },
      }),
      (c) => c.body(null, 204),
    );
    app.get("/checked", requireAccess({ scope: "jobs:read" }), (c) => c.text("hidden but checked"));
    expect(routesWithoutAccessRule(app)).toEqual([
      {
        method: "DELETE",
        path: "/v1/jobs/:id",
        reason: "declared without an access rule (use secureRoute)",
      },
      { method: "GET", path: "/plain", reason: "served without a declaration or an access check" },
      {
        method: "PUT",
        path: "/forged",
        reason: "declares an access rule, but no access check runs",
      },
    ]);
  });

  it("sees the check through a mounted sub-app whose routes Hono wraps", () => {
    const sub = createApi().openapi(
      createRoute({ method: "get", path: "/x", responses: { 200: { description: "x" } } }),
      (c) => c.body(null, 200),
    );
    const app = createApi().route("/a", demoApp()).route("/b", sub);
    expect(routesWithoutAccessRule(app).map((route) => `${route.method} ${route.path}`)).toEqual([
      "GET /b/x",
    ]);
  });
});

describe("ownership", () => {
  const caller: Principal = { id: "ci", name: "CI", scopes: ["feed:write"], kind: "api-key" };

  it("lets the creator and an admin overwrite, and refuses another key with 403 naming the field", () => {
    const options = { pointer: "/items/0/externalKey", adminScope: "feed:admin" } as const;
    expect(() => assertMayOverwrite(caller, "ci", options)).not.toThrow();
    expect(() => assertMayOverwrite(caller, undefined, options)).not.toThrow();
    expect(() =>
      assertMayOverwrite({ ...caller, scopes: ["feed:admin"] }, "owner-7f3a", options),
    ).not.toThrow();
    try {
      assertMayOverwrite(caller, "owner-7f3a", options);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        status: 403,
        details: { errors: [{ pointer: "/items/0/externalKey" }] },
      });
      expect(JSON.stringify(error)).not.toContain("owner-7f3a");
    }
  });
});

describe("logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never contain a key, valid or not, across a run of answers", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(
          args
            .map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : String(arg)))
            .join(" "),
        );
      });
    }
    const { key, env } = await keyEnv(["jobs:write"]);
    const wrong = `${key.slice(0, -4)}abcd`;
    const bodies: string[] = [];
    for (const [environment, headers] of [
      [env, bearer(key)],
      [env, bearer(wrong)],
      [{ API_KEYS: `[${JSON.stringify(key)}]` }, bearer(key)],
      [{ API_KEYS: `[${key}` }, bearer(key)],
      [{ ENVIRONMENT: "development" }, bearer(DEV_API_KEY)],
      [{}, bearer(DEV_API_KEY)],
    ] as const) {
      const response = await write(environment, headers);
      bodies.push(await response.text(), JSON.stringify([...response.headers]));
    }
    const secrets = [key, wrong, DEV_API_KEY, key.slice(6), wrong.slice(6)];
    for (const text of [...lines, ...bodies])
      for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
