import { env } from "cloudflare:workers";
import {
  DEV_API_KEY,
  expandScopes,
  routesWithoutAccessRule,
  routeTable,
  SCOPES,
  type Scope,
  securityRequirement,
} from "@edge-async/http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/index.ts";
import { api, deliver } from "./fixtures/jobs.ts";
import { callWith, makeKeys } from "./fixtures/keys.ts";

// Every route the worker declares, read from its own OpenAPI document: the tests below walk this
// list, so a route added later is checked without anyone listing it here.
interface Operation {
  method: string;
  path: string;
  access: "public" | { scope: Scope };
  security: unknown;
  example: unknown;
}

async function operations(): Promise<Operation[]> {
  const doc = (await (await api("/openapi.json")).json()) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  return Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => {
      const body = op.requestBody as
        | { content: Record<string, { examples?: Record<string, { value: unknown }> }> }
        | undefined;
      const examples = body?.content["application/json"]?.examples ?? {};
      return {
        method: method.toUpperCase(),
        path,
        access: op["x-access"] as Operation["access"],
        security: op.security,
        example: Object.values(examples)[0]?.value,
      };
    }),
  );
}

/** A request for `op`: a fresh UUID for each path parameter, the route's first example as body. */
function requestOf(op: Operation, key?: string) {
  const path = op.path.replaceAll(/\{[^}]+\}/g, () => crypto.randomUUID());
  const init = op.example === undefined ? {} : { json: op.example };
  return { path, init: { method: op.method, ...init, ...(key === undefined ? {} : { key }) } };
}

// One key per scope, so each route meets keys with and without the scope it needs.
const keyIds = Object.fromEntries(SCOPES.map((scope) => [scope.replace(":", "-"), [scope]]));
const production = {
  CURSOR_SECRET: "a-test-cursor-secret-of-32-chars",
  // The examples fetch the demo upstream on 127.0.0.1.
  ALLOW_PRIVATE_NETWORKS: "true",
};

afterEach(() => vi.restoreAllMocks());

describe("every protected route (walked from the declarations)", () => {
  it("answers 401 with a Bearer challenge without a key, 403 for a key without its scope, and runs for one with it", async () => {
    const { keys, apiKeys } = await makeKeys(keyIds as Record<string, Scope[]>);
    const bindings = { ...production, API_KEYS: apiKeys };
    const guarded = (await operations()).filter((op) => op.access !== "public");
    // Every /v1 route is protected (the next test proves the list is every routed operation).
    expect(guarded.length).toBeGreaterThan(0);
    expect(guarded.every((op) => op.path.startsWith("/v1/"))).toBe(true);
    for (const op of guarded) {
      const { scope } = op.access as { scope: Scope };
      const anonymous = requestOf(op);
      const refused = await callWith(bindings, anonymous.path, anonymous.init);
      expect(refused.status, `${op.method} ${op.path}`).toBe(401);
      expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer realm="/);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      for (const [id, granted] of Object.entries(keyIds)) {
        const request = requestOf(op, keys[id]);
        const response = await callWith(bindings, request.path, request.init);
        const allowed = expandScopes(granted as Scope[]).includes(scope);
        const what = `${op.method} ${op.path} with ${granted}`;
        if (allowed) expect([401, 403], what).not.toContain(response.status);
        else {
          expect(response.status, what).toBe(403);
          expect(await response.json()).toMatchObject({ scope });
        }
        if (allowed) expect(response.status, what).toBeLessThan(500);
      }
    }
  });

  it("declares its rule and security in the OpenAPI document, and nothing routed lacks a rule", async () => {
    expect(routesWithoutAccessRule(app)).toEqual([]);
    const ops = await operations();
    expect(
      ops.map((op) => `${op.method} ${op.path.replaceAll(/\{([^}]+)\}/g, ":$1")}`).sort(),
    ).toEqual(
      routeTable(app)
        // The job id route's pattern carries a regular expression (see src/routes/jobs.ts).
        .map((route) => `${route.method} ${route.path.replace(/\{.*\}$/, "")}`)
        .sort(),
    );
    for (const op of ops) expect(op.security).toEqual(securityRequirement(op.access));
    const open = ops.filter((op) => op.access === "public").map((op) => op.path);
    expect(open.sort()).toEqual(["/", "/docs", "/healthz", "/openapi.json"]);
  });

  it("fails closed: in production without API_KEYS every protected route answers 503 not-configured, the public ones still answer", async () => {
    for (const op of (await operations()).filter((o) => o.access !== "public")) {
      const request = requestOf(op, DEV_API_KEY);
      const response = await callWith(production, request.path, request.init);
      expect(response.status, `${op.method} ${op.path}`).toBe(503);
      expect(await response.json()).toMatchObject({
        type: "https://edge-async.dev/problems/not-configured",
        setting: "API_KEYS",
      });
    }
    for (const path of ["/healthz", "/", "/openapi.json", "/docs"]) {
      expect((await callWith(production, path)).status, path).toBe(200);
    }
  });
});

describe("answers", () => {
  it("carry nosniff everywhere, a CSP on HTML and no-store when authenticated", async () => {
    const answers = [
      await api("/v1/stats"),
      await api("/v1/stats", { key: null }),
      await api("/v1/nothing"),
      await api("/healthz"),
    ];
    for (const answer of answers) {
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(answers[0]?.headers.get("cache-control")).toBe("no-store");
    const docs = await api("/docs");
    expect(docs.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });
});

describe("CORS", () => {
  const listed = "https://app.example";
  const corsEnv = { ...env, CORS_ORIGINS: listed };
  const ask = (origin: string, init: RequestInit = {}) =>
    app.request(
      "/v1/stats",
      { ...init, headers: { origin, authorization: `Bearer ${DEV_API_KEY}`, ...init.headers } },
      corsEnv,
    );

  it("lets a listed origin read answers and refuses others (no CORS headers at all)", async () => {
    const allowed = await ask(listed);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(listed);
    expect(allowed.headers.get("vary")).toContain("Origin");
    const refused = await ask("https://evil.example");
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    // Closed by default: the worker's own CORS_ORIGINS is empty.
    const closed = await api("/v1/stats", { headers: { origin: listed } });
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight from a listed origin with the methods and headers, and one from elsewhere with none", async () => {
    const preflight = (origin: string) =>
      app.request(
        "/v1/jobs",
        {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
          },
        },
        corsEnv,
      );
    const allowed = await preflight(listed);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(listed);
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("authorization");
    const refused = await preflight("https://evil.example");
    expect(refused.status).toBe(204);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("logs", () => {
  it("never hold a key, across answers, failures and a consumer run", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(
          args
            .map((arg) =>
              arg instanceof Error ? `${arg.message} ${arg.stack}` : JSON.stringify(arg),
            )
            .join(" "),
        );
      });
    }
    const { keys, apiKeys } = await makeKeys({ writer: ["jobs:write", "jobs:read"] });
    const key = keys.writer as string;
    const wrong = `${key.slice(0, -4)}abcd`;
    const job = { type: "simulate", payload: { durationMs: 1, failureRate: 1 } };
    const bodies: string[] = [];
    const record = async (response: Response) => {
      bodies.push(await response.text(), JSON.stringify([...response.headers]));
    };
    const bindings = { API_KEYS: apiKeys };
    const created = await callWith(bindings, "/v1/jobs", { method: "POST", json: job, key });
    const { id } = (await created.clone().json()) as { id: string };
    await record(created);
    await record(await callWith(bindings, `/v1/jobs/${id}`, { key }));
    await record(await callWith(bindings, "/v1/jobs", { method: "POST", json: job, key: wrong }));
    await record(await callWith({ API_KEYS: `[${JSON.stringify(key)}]` }, "/v1/stats", { key }));
    await record(await callWith({ API_KEYS: `[${key}` }, "/v1/stats", { key }));
    vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
    await record(await callWith(bindings, "/v1/jobs", { method: "POST", json: job, key }));
    await record(await api("/v1/jobs", { method: "POST", json: job }));
    await deliver([id]);
    expect(lines.length).toBeGreaterThan(0);
    // The secret follows the id's underscore; it may hold underscores of its own (base64url).
    const secret = key.slice(key.indexOf("_", "ea_".length) + 1);
    expect(secret.length).toBeGreaterThanOrEqual(43);
    const secrets = [key, wrong, DEV_API_KEY, secret];
    for (const text of [...lines, ...bodies]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
