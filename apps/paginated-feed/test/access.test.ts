import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { DEV_API_KEY, routesWithoutAccessRule } from "@edge-async/http";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import app from "../src/index.ts";
import { BASE, bearer, ingest, json, makeItem, resetItems, TEST_KEYS } from "./helpers.ts";
import { callProtected, keysFor, protectedRoutes } from "./protected-routes.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const routes = protectedRoutes();

beforeEach(resetItems);

/** Sends a request to the app with bindings and vars over the test environment. */
function send(path: string, init: RequestInit = {}, overrides: Partial<Cloudflare.Env> = {}) {
  return app.fetch(
    new Request(new URL(path, BASE), init),
    { ...env, ...overrides },
    createExecutionContext(),
  );
}

const postItems = (items: unknown[], headers: Record<string, string>) =>
  ({
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ items }),
  }) satisfies RequestInit;

describe("the route table", () => {
  it("has an access rule on every route, and the protected ones are the ones the issue names", () => {
    expect(routesWithoutAccessRule(app)).toEqual([]);
    expect(routes.map((route) => `${route.route} ${route.rule.scope}`).sort()).toEqual([
      "DELETE /v1/items/:id feed:write",
      "GET /__bench/cursor-at feed:admin",
      "GET /__bench/export-reads feed:admin",
      "GET /__bench/export-reference feed:admin",
      "GET /__bench/offset-page feed:admin",
      "GET /__bench/rows-read feed:admin",
      "GET /v1/feed.atom feed:read",
      "GET /v1/feed.json feed:read",
      "GET /v1/items feed:read",
      "GET /v1/items/:id feed:read",
      "GET /v1/items/changes feed:read",
      "GET /v1/items/export feed:read",
      "GET /v1/items/search feed:read",
      "POST /v1/items feed:write",
    ]);
  });

  it("declares each protected operation's security in the OpenAPI document", async () => {
    const document = await json<{
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    }>(await send("/openapi.json"));
    for (const route of routes) {
      const [method = "", path = ""] = route.route.split(" ");
      const operation = document.paths[path.replaceAll(/:(\w+)/g, "{$1}")]?.[method.toLowerCase()];
      expect(operation?.security, route.route).toContainEqual({ apiKey: [route.rule.scope] });
      // Reads may be public, so their requirement is optional ({}); the others' is not.
      expect(operation?.security?.some((entry) => Object.keys(entry).length === 0)).toBe(
        route.rule.publicUnless !== undefined,
      );
    }
  });
});

describe.each(routes)("$route (needs $rule.scope)", (route) => {
  const { granted, refused } = keysFor(route.rule.scope);

  it("answers 401 with a Bearer challenge without a key, and for an unknown one", async () => {
    const unknown = { authorization: "Bearer ea_ghost_AAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
    for (const headers of [{}, unknown] as Record<string, string>[]) {
      const response = await callProtected(route, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="feed\.test"/);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it(`answers 403 naming the scope to a key without it (${refused})`, async () => {
    const response = await callProtected(route, { key: refused });
    expect(response.status).toBe(403);
    expect(await json(response)).toMatchObject({ status: 403, scope: route.rule.scope });
  });

  it(`lets a key with the scope through (${granted}), answered no-store`, async () => {
    const response = await callProtected(route, { key: granted });
    expect([401, 403]).not.toContain(response.status);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("cache-control")).toBe("no-store");
    await response.body?.cancel();
  });
});

describe("keys", () => {
  it("answers an unknown key id and a known id with a wrong secret alike", async () => {
    const route = routes.find((entry) => entry.method === "POST")!;
    const known = TEST_KEYS.writer.key;
    const answers = await Promise.all(
      [`ea_nobody_${known.slice(10)}`, `${known.slice(0, -4)}zzzz`].map(async (key) => {
        const response = await callProtected(route, {
          headers: { authorization: `Bearer ${key}` },
        });
        return `${response.status} ${response.headers.get("www-authenticate")} ${await response.text()}`;
      }),
    );
    expect(answers[0]).toMatch(/^401 /);
    expect(answers[1]).toBe(answers[0]);
  });

  it("accepts the development key only in development without API_KEYS", async () => {
    const item = () => postItems([makeItem(T0)], { authorization: `Bearer ${DEV_API_KEY}` });
    expect((await send("/v1/items", item())).status).toBe(401);
    const dev = { ENVIRONMENT: "development", API_KEYS: undefined };
    expect((await send("/v1/items", item(), dev)).status).toBe(200);
  });
});

describe("public and private reads", () => {
  it("are public by default: no key needed, and the pages stay cacheable (revalidated)", async () => {
    const [stored] = await ingest([makeItem(T0)]);
    for (const path of ["/v1/items", `/v1/items/${stored!.id}`]) {
      const response = await send(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control"), path).toBe("private, no-cache");
    }
    const exported = await send("/v1/items/export");
    expect(exported.status).toBe(200);
    expect(await exported.text()).toContain(stored!.externalKey);
  });

  it('need feed:read once FEED_READS_PRIVATE is "true"', async () => {
    await ingest([makeItem(T0)]);
    const closed = { FEED_READS_PRIVATE: "true" };
    expect((await send("/v1/items", {}, closed)).status).toBe(401);
    const read = await send("/v1/items", { headers: bearer("reader") }, closed);
    expect(read.status).toBe(200);
    expect((await json<{ items: unknown[] }>(read)).items).toHaveLength(1);
  });
});

describe("fail closed", () => {
  it("answers protected routes 503 not-configured in production without API_KEYS; /healthz and public reads still serve", async () => {
    const bare = { API_KEYS: undefined };
    const ingestResponse = await send(
      "/v1/items",
      postItems([makeItem(T0)], bearer("writer")),
      bare,
    );
    expect(ingestResponse.status).toBe(503);
    expect(await json(ingestResponse)).toMatchObject({
      type: "https://edge-async.dev/problems/not-configured",
      setting: "API_KEYS",
    });
    expect((await send("/healthz", {}, bare)).status).toBe(200);
    expect((await send("/v1/items", {}, bare)).status).toBe(200);
    const privately = { ...bare, FEED_READS_PRIVATE: "true" };
    expect((await send("/v1/items", { headers: bearer("reader") }, privately)).status).toBe(503);
  });

  it("answers 503 naming a limit var that is not a whole number", async () => {
    const response = await send("/v1/items", {}, { READ_REQUESTS_PER_MINUTE: "lots" });
    expect(response.status).toBe(503);
    expect(await json(response)).toMatchObject({ setting: "READ_REQUESTS_PER_MINUTE" });
  });
});

describe("security headers and CORS", () => {
  const ORIGIN = "https://app.example.com";
  const listed = { CORS_ORIGINS: `${ORIGIN} https://other.example.com` };

  it("send nosniff on every answer, and a strict CSP on the docs page", async () => {
    for (const path of ["/", "/healthz", "/v1/items", "/v1/items/abc", "/nowhere"]) {
      expect((await send(path)).headers.get("x-content-type-options"), path).toBe("nosniff");
    }
    const docs = await send("/docs");
    expect(docs.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
  });

  it("let a listed origin read answers and refuse every other (none listed by default)", async () => {
    const allowed = await send("/v1/items", { headers: { origin: ORIGIN } }, listed);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const refused = await send(
      "/v1/items",
      { headers: { origin: "https://evil.example" } },
      listed,
    );
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    const closed = await send("/v1/items", { headers: { origin: ORIGIN } });
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answer a listed origin's preflight for the ingest with its method and headers", async () => {
    const headers = {
      origin: ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    };
    const response = await send("/v1/items", { method: "OPTIONS", headers }, listed);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
  });
});

describe("logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never hold a key, valid or not, across a run of answers and errors", async () => {
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
    const keys = Object.values(TEST_KEYS).map((entry) => entry.key);
    const wrong = `${TEST_KEYS.writer.key.slice(0, -4)}zzzz`;
    const failing = {
      prepare: () => {
        throw new Error("D1 unavailable");
      },
    } as unknown as D1Database;
    const answers: Response[] = [];
    for (const key of [...keys, wrong, DEV_API_KEY]) {
      const headers = { authorization: `Bearer ${key}` };
      answers.push(await send("/v1/items", postItems([makeItem(T0)], headers)));
      answers.push(await send("/v1/items", postItems([makeItem(T0)], headers), { DB: failing }));
      answers.push(await send("/v1/items", { headers }, { FEED_READS_PRIVATE: "true" }));
      answers.push(
        await send("/v1/items", { headers }, { API_KEYS: "[{", FEED_READS_PRIVATE: "true" }),
      );
    }
    // The failing database made 500s that were logged: the check below has lines to look at.
    expect(answers.some((answer) => answer.status === 500)).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    const texts = [...lines];
    for (const answer of answers)
      texts.push(await answer.text(), JSON.stringify([...answer.headers]));
    const secrets = [...keys, wrong, DEV_API_KEY].flatMap((key) => [
      key,
      key.slice(key.indexOf("_", 3) + 1),
    ]);
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
