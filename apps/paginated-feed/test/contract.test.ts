import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { declaredStatuses, responseMismatches, routeTable, specOperations } from "@edge-async/http";
import { beforeAll, describe, expect, it } from "vitest";
import app from "../src/index.ts";
import { api, BASE, bearer, ingest, makeItem, resetItems } from "./helpers.ts";
import { callProtected, keysFor, protectedRoutes } from "./protected-routes.ts";

// The spec cannot drift from the code: every routed path is documented and every documented path
// is routed, and every status a route declares is answered for real here, by the handler in
// workerd, with a body its declared schema accepts.

const T0 = Date.parse("2026-11-01T00:00:00Z");

// The bench routes need feed:admin: these calls send the admin key.
async function fetchWith(path: string, overrides: Partial<Cloudflare.Env>, init?: RequestInit) {
  return app.fetch(
    new Request(new URL(path, BASE), {
      ...init,
      headers: { ...bearer("admin"), ...init?.headers },
    }),
    { ...env, ...overrides },
    createExecutionContext(),
  );
}

const noSecret = { CURSOR_SECRET: undefined, ENVIRONMENT: "production" };
const bench = { ENABLE_BENCH_ROUTES: "true" };
const brokenDb = {
  DB: {
    prepare: () => ({ first: () => Promise.reject(new Error("D1 unavailable")) }),
  } as unknown as D1Database,
};
const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  api("/v1/items", {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer("writer"), ...headers },
    body,
  });
const etagOf = async (path: string) => (await api(path)).headers.get("etag") ?? "";

let id = 0;
beforeAll(async () => {
  await resetItems();
  const stored = await ingest([makeItem(T0), makeItem(T0 + 1), makeItem(T0 + 2)]);
  id = stored[0]!.id;
});

/** [route as declared, status, a request that gets that status]. */
const cases: [string, number, () => Promise<Response>][] = [
  ["GET /v1/items", 200, () => api("/v1/items?limit=2&topic=rust")],
  [
    "GET /v1/items",
    304,
    async () =>
      api("/v1/items?limit=2", { headers: { "if-none-match": await etagOf("/v1/items?limit=2") } }),
  ],
  ["GET /v1/items", 400, () => api("/v1/items?limit=500&since=2026-11-24")],
  ["GET /v1/items", 503, () => fetchWith("/v1/items", noSecret)],
  ["POST /v1/items", 200, () => post(JSON.stringify({ items: [makeItem(T0)] }))],
  ["POST /v1/items", 400, () => post(JSON.stringify({ items: [{ title: "" }] }))],
  ["POST /v1/items", 413, () => post(`{"items":[{"summary":"${"x".repeat(3 << 20)}"}]}`)],
  ["POST /v1/items", 415, () => post("{}", { "content-type": "text/plain" })],
  ["GET /v1/items/export", 200, () => api("/v1/items/export?topic=rust")],
  ["GET /v1/items/export", 400, () => api("/v1/items/export?since=soon")],
  ["GET /v1/items/search", 200, () => api("/v1/items/search?q=item&limit=1")],
  [
    "GET /v1/items/search",
    304,
    async () =>
      api("/v1/items/search?q=item", {
        headers: { "if-none-match": await etagOf("/v1/items/search?q=item") },
      }),
  ],
  ["GET /v1/items/search", 400, () => api("/v1/items/search?q=%20")],
  ["GET /v1/items/search", 503, () => fetchWith("/v1/items/search?q=item", noSecret)],
  ["GET /v1/feed.json", 200, () => api("/v1/feed.json?limit=2&topic=rust")],
  [
    "GET /v1/feed.json",
    304,
    async () =>
      api("/v1/feed.json", { headers: { "if-none-match": await etagOf("/v1/feed.json") } }),
  ],
  ["GET /v1/feed.json", 400, () => api("/v1/feed.json?limit=0")],
  ["GET /v1/feed.json", 503, () => fetchWith("/v1/feed.json", noSecret)],
  ["GET /v1/feed.atom", 200, () => api("/v1/feed.atom?limit=2&topic=rust")],
  [
    "GET /v1/feed.atom",
    304,
    async () =>
      api("/v1/feed.atom", { headers: { "if-none-match": await etagOf("/v1/feed.atom") } }),
  ],
  ["GET /v1/feed.atom", 400, () => api("/v1/feed.atom?limit=0")],
  ["GET /v1/feed.atom", 503, () => fetchWith("/v1/feed.atom", noSecret)],
  ["GET /v1/items/changes", 200, () => api("/v1/items/changes?limit=2")],
  ["GET /v1/items/changes", 400, () => api("/v1/items/changes?since=not-a-token")],
  ["GET /v1/items/changes", 503, () => fetchWith("/v1/items/changes", noSecret)],
  [
    "DELETE /v1/items/:id",
    204,
    async () => {
      const [mine] = await ingest([makeItem(T0 + 3)]);
      return api(`/v1/items/${mine!.id}`, { method: "DELETE", headers: bearer("writer") });
    },
  ],
  [
    "DELETE /v1/items/:id",
    400,
    () => api("/v1/items/abc", { method: "DELETE", headers: bearer("writer") }),
  ],
  [
    "DELETE /v1/items/:id",
    404,
    () => api("/v1/items/999999999", { method: "DELETE", headers: bearer("writer") }),
  ],
  ["GET /v1/items/:id", 200, () => api(`/v1/items/${id}`)],
  [
    "GET /v1/items/:id",
    304,
    async () =>
      api(`/v1/items/${id}`, { headers: { "if-none-match": await etagOf(`/v1/items/${id}`) } }),
  ],
  ["GET /v1/items/:id", 400, () => api("/v1/items/abc")],
  ["GET /v1/items/:id", 404, () => api("/v1/items/999999999")],
  ["GET /__bench/offset-page", 200, () => fetchWith("/__bench/offset-page?offset=1", bench)],
  ["GET /__bench/offset-page", 400, () => fetchWith("/__bench/offset-page", bench)],
  ["GET /__bench/offset-page", 404, () => fetchWith("/__bench/offset-page?offset=0", {})],
  ["GET /__bench/cursor-at", 200, () => fetchWith("/__bench/cursor-at?offset=2", bench)],
  ["GET /__bench/cursor-at", 400, () => fetchWith("/__bench/cursor-at?offset=-1", bench)],
  ["GET /__bench/cursor-at", 404, () => fetchWith("/__bench/cursor-at?offset=99", bench)],
  [
    "GET /__bench/cursor-at",
    503,
    () => fetchWith("/__bench/cursor-at?offset=1", { ...bench, ...noSecret }),
  ],
  ["GET /__bench/rows-read", 200, () => fetchWith("/__bench/rows-read?offset=2", bench)],
  ["GET /__bench/rows-read", 400, () => fetchWith("/__bench/rows-read?offset=x", bench)],
  ["GET /__bench/rows-read", 404, () => fetchWith("/__bench/rows-read?offset=1", {})],
  ["GET /__bench/export-reads", 200, () => fetchWith("/__bench/export-reads", bench)],
  ["GET /__bench/export-reads", 404, () => fetchWith("/__bench/export-reads", {})],
  ["GET /__bench/export-reference", 200, () => fetchWith("/__bench/export-reference", bench)],
  ["GET /__bench/export-reference", 404, () => fetchWith("/__bench/export-reference", {})],
  ["GET /", 200, () => api("/")],
  ["GET /healthz", 200, () => api("/healthz")],
  ["GET /healthz", 503, () => fetchWith("/healthz", brokenDb)],
  ["GET /openapi.json", 200, () => api("/openapi.json")],
  ["GET /docs", 200, () => api("/docs")],
  ...accessCases(),
];

/**
 * 401, 403, 429 and 503 of every protected route (reads made private): no key, a key without
 * the scope, a limiter that refuses, and no API_KEYS outside development.
 */
function accessCases(): [string, number, () => Promise<Response>][] {
  const refusing: RateLimit = { limit: async () => ({ success: false }) };
  return protectedRoutes().flatMap((route) => {
    const { granted, refused } = keysFor(route.rule.scope);
    return [
      [route.route, 401, () => callProtected(route)],
      [route.route, 403, () => callProtected(route, { key: refused })],
      [
        route.route,
        429,
        () =>
          callProtected(route, {
            key: granted,
            env: { READ_LIMITER: refusing, WRITE_LIMITER: refusing },
          }),
      ],
      [
        route.route,
        503,
        () => callProtected(route, { key: granted, env: { API_KEYS: undefined } }),
      ],
    ] satisfies [string, number, () => Promise<Response>][];
  });
}

describe("the OpenAPI document and the router", () => {
  it("list the same operations", async () => {
    const document = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, object>;
    };
    // The item route's router pattern carries a regular expression (see src/routes/items.ts);
    // the document names the parameter only.
    const routed = routeTable(app).map((route) => ({
      ...route,
      path: route.path.replace(/\{.*\}$/, ""),
    }));
    expect(routed).toEqual(specOperations(document));
    expect(routed.length).toBeGreaterThanOrEqual(11);
  });

  it("every operation has a summary and a tag", async () => {
    const document = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { summary?: string; tags?: string[] }>>;
    };
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.summary, `${method} ${path}`).toMatch(/\S/);
        expect(operation.tags?.length, `${method} ${path}`).toBe(1);
      }
    }
  });
});

describe("every declared answer, for real", () => {
  it("the cases below cover every route and status the routes declare", () => {
    const declared = [...declaredStatuses(app)].flatMap(([route, statuses]) =>
      statuses.map((status) => `${route} ${status}`),
    );
    const covered = cases.map(([route, status]) => `${route} ${status}`);
    expect([...new Set(covered)].sort()).toEqual(declared.sort());
  });

  it.each(cases)("%s answers %i as declared", async (route, status, send) => {
    const response = await send();
    const [method = "", path = ""] = route.split(" ");
    expect(response.status).toBe(status);
    expect(await responseMismatches(app, { method, path }, response)).toEqual([]);
    await response.body?.cancel();
  });
});

describe("a known path asked with another method", () => {
  it.each([
    ["PUT", "/v1/items", "GET, HEAD, POST"],
    ["PATCH", "/v1/items/1", "DELETE, GET, HEAD"],
    ["POST", "/v1/items/changes", "GET, HEAD"],
    ["DELETE", "/v1/items/export", "GET, HEAD"],
    ["POST", "/v1/items/export", "GET, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
  ])("%s %s answers 405 with Allow: %s", async (method, path, allow) => {
    const response = await api(path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ status: 405, title: "Method Not Allowed" });
  });
});
