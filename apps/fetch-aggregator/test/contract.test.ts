import { env } from "cloudflare:workers";
import {
  createApiKey,
  declaredStatuses,
  responseMismatches,
  routeTable,
  specOperations,
} from "@edge-async/http";
import { describe, expect, it } from "vitest";
import { app } from "../src/index.ts";
import { aggregate, gateway, uniqueHost, uniqueKey, withDevKey } from "./helpers.ts";

// The OpenAPI document is generated from the route declarations; these tests hold the code to
// it: every route is documented, and a real answer of every declared status matches its schema.

/** Vars that do not parse: every /v1 route answers 503 not-configured. */
const misconfigured = { ...env, MAX_REQUESTS: "lots" };
/** A view whose template cannot yield a URL: only running it answers 503. */
const brokenView = { ...env, VIEWS: JSON.stringify({ broken: { parts: { a: "{host}/a" } } }) };

const withEnv = async (path: string, bindings: object, init: RequestInit = {}) =>
  app.request(path, withDevKey(init), bindings);

/** Production with one key that lacks the `aggregate` scope (403), and no key at all (401). */
const reader = await createApiKey({ name: "reader", scopes: ["feed:read"], id: "contract-reader" });
const keyed = { ...env, ENVIRONMENT: "production", API_KEYS: JSON.stringify([reader.entry]) };
const asReader = async (path: string, init: RequestInit = {}) =>
  app.request(
    path,
    { ...init, headers: { ...init.headers, authorization: `Bearer ${reader.key}` } },
    keyed,
  );
const anonymous = async (path: string, init: RequestInit = {}) => app.request(path, init, keyed);
/** A rate limiting binding whose limit is spent: each limiter's 429. */
const spent: RateLimit = { limit: async () => ({ success: false }) };
const callsSpent = { ...env, REQUEST_LIMITER: spent };
const subrequestsSpent = { ...env, SUBREQUEST_LIMITER: spent };
const aggregateJson = () => postJson({ requests: [{ url: upstream("json") }] });
const postJson = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const upstream = (route: string) => `http://upstream.test/${route}/${uniqueKey("contract")}`;
const proxy = (url: string) => gateway(`/v1/proxy?url=${encodeURIComponent(url)}`);

/** Opens the breaker of a fresh origin (BREAKER_FAILURE_THRESHOLD is 3), then asks again. */
async function openCircuit(): Promise<Response> {
  const url = `http://${uniqueHost("contract-breaker")}/status/500/${uniqueKey("breaker")}`;
  for (let failures = 0; failures < 3; failures++) await (await proxy(url)).arrayBuffer();
  return proxy(url);
}

type Case = () => Promise<Response>;

/** Real requests for every declared (route, status), `METHOD /path status`: each one's answers. */
const cases: Record<string, Case[]> = {
  "GET / 200": [() => gateway("/")],
  "GET /healthz 200": [() => gateway("/healthz")],
  "GET /openapi.json 200": [() => gateway("/openapi.json")],
  "GET /docs 200": [() => gateway("/docs")],

  "POST /v1/aggregate 200": [
    () => aggregate({ requests: [{ url: upstream("json") }, { url: "http://10.0.0.1/" }] }),
    () =>
      aggregate(
        { requests: [{ url: upstream("json") }, { url: upstream("text") }] },
        { accept: "application/x-ndjson" },
      ),
  ],
  "POST /v1/aggregate 400": [
    () => aggregate({ requests: [] }),
    () => aggregate({ requests: [{ url: upstream("json") }], concurrency: 11 }),
  ],
  "POST /v1/aggregate 413": [
    () => aggregate({ requests: Array.from({ length: 21 }, () => ({ url: upstream("json") })) }),
  ],
  "POST /v1/aggregate 415": [
    () =>
      gateway("/v1/aggregate", {
        method: "POST",
        body: "{}",
        headers: { "content-type": "text/plain" },
      }),
  ],
  "POST /v1/aggregate 401": [() => anonymous("/v1/aggregate", aggregateJson())],
  "POST /v1/aggregate 403": [() => asReader("/v1/aggregate", aggregateJson())],
  "POST /v1/aggregate 429": [
    () => withEnv("/v1/aggregate", callsSpent, aggregateJson()),
    () => withEnv("/v1/aggregate", subrequestsSpent, aggregateJson()),
  ],
  "POST /v1/aggregate 503": [
    () =>
      withEnv("/v1/aggregate", misconfigured, postJson({ requests: [{ url: upstream("json") }] })),
  ],

  "GET /v1/views 200": [() => gateway("/v1/views")],
  "GET /v1/views 401": [() => anonymous("/v1/views")],
  "GET /v1/views 403": [() => asReader("/v1/views")],
  "GET /v1/views 429": [() => withEnv("/v1/views", callsSpent)],
  "GET /v1/views 503": [() => withEnv("/v1/views", misconfigured)],

  "GET /v1/views/:name 200": [
    () => gateway("/v1/views/dashboard?userId=7"),
    () => gateway("/v1/views/dashboard?userId=7", { headers: { accept: "application/x-ndjson" } }),
  ],
  "GET /v1/views/:name 400": [
    () => gateway("/v1/views/dashboard"),
    () => gateway("/v1/views/bad.name!"),
  ],
  "GET /v1/views/:name 401": [() => anonymous("/v1/views/dashboard?userId=7")],
  "GET /v1/views/:name 403": [() => asReader("/v1/views/dashboard?userId=7")],
  "GET /v1/views/:name 404": [() => gateway("/v1/views/nope")],
  "GET /v1/views/:name 429": [
    () => withEnv("/v1/views/dashboard?userId=7", callsSpent),
    () => withEnv("/v1/views/dashboard?userId=7", subrequestsSpent),
  ],
  "GET /v1/views/:name 503": [
    () => withEnv("/v1/views/dashboard?userId=7", misconfigured),
    () => withEnv("/v1/views/broken?host=x", brokenView),
  ],

  "GET /v1/proxy 200": [() => proxy(upstream("json")), () => proxy(upstream("text"))],
  "GET /v1/proxy 400": [() => gateway("/v1/proxy"), () => proxy("/relative")],
  "GET /v1/proxy 401": [() => anonymous(`/v1/proxy?url=${encodeURIComponent(upstream("json"))}`)],
  "GET /v1/proxy 403": [
    () => proxy("http://127.0.0.1:8080/"),
    () => asReader(`/v1/proxy?url=${encodeURIComponent(upstream("json"))}`),
  ],
  "GET /v1/proxy 429": [
    () => withEnv(`/v1/proxy?url=${encodeURIComponent(upstream("json"))}`, callsSpent),
    () => withEnv(`/v1/proxy?url=${encodeURIComponent(upstream("json"))}`, subrequestsSpent),
  ],
  "GET /v1/proxy 502": [() => proxy(`http://${uniqueHost("contract-reset")}/reset/x`)],
  "GET /v1/proxy 503": [
    openCircuit,
    () => withEnv("/v1/proxy?url=http://upstream.test/", misconfigured),
  ],
  "GET /v1/proxy 504": [
    () =>
      withEnv(`/v1/proxy?url=${encodeURIComponent(upstream("slow"))}`, {
        ...env,
        DEFAULT_TIMEOUT_MS: "50",
      }),
  ],
  "GET /v1/proxy default": [() => proxy(`http://upstream.test/status/404/${uniqueKey("gone")}`)],
};

/**
 * Declared by serviceRoutes for a worker whose health depends on something; this one stores
 * nothing and calls only the upstreams its callers name, so /healthz has nothing to probe.
 */
const neverAnswered = ["GET /healthz 503"];

describe("the OpenAPI document", () => {
  it("lists exactly the routes the router serves", async () => {
    const document = (await (await gateway("/openapi.json")).json()) as {
      paths: Record<string, object>;
    };
    expect(specOperations(document)).toEqual(routeTable(app));
  });

  it("has a real request for every declared status of every route", () => {
    const declared = [...declaredStatuses(app)].flatMap(([route, statuses]) =>
      statuses.map((status) => `${route} ${status}`),
    );
    expect([...Object.keys(cases), ...neverAnswered].sort()).toEqual(declared.sort());
  });

  it("gives every operation a summary and a tag", async () => {
    const document = (await (await gateway("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { summary?: string; tags?: string[] }>>;
    };
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) {
        expect(operation.summary).toBeTruthy();
        expect(operation.tags?.length).toBeGreaterThan(0);
      }
    }
  });
});

describe("every declared answer, produced by the worker", () => {
  it.each(Object.keys(cases))("%s matches its declared schema", async (name) => {
    const [method, path, status] = name.split(" ") as [string, string, string];
    for (const send of cases[name] ?? []) {
      const response = await send();
      if (status === "default") expect(response.status).not.toBe(200);
      else expect(response.status).toBe(Number(status));
      expect(await responseMismatches(app, { method, path }, response)).toEqual([]);
    }
  });

  it("answers a misconfigured worker with one 503 on every /v1 route, naming the var", async () => {
    for (const [path, init] of [
      ["/v1/aggregate", postJson({ requests: [{ url: "http://upstream.test/" }] })],
      ["/v1/views", {}],
      ["/v1/views/dashboard?userId=1", {}],
      ["/v1/proxy?url=http://upstream.test/", {}],
    ] as const) {
      const response = await withEnv(path, misconfigured, init);
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({
        type: "https://edge-async.dev/problems/not-configured",
        setting: "MAX_REQUESTS",
      });
    }
    const broken = await withEnv("/v1/views/broken?host=x", brokenView);
    expect(await broken.json()).toMatchObject({
      status: 503,
      type: "https://edge-async.dev/problems/not-configured",
      setting: "VIEWS",
    });
  });
});

describe("a known path asked with another method", () => {
  it.each([
    ["GET", "/v1/aggregate", "POST"],
    ["PUT", "/v1/views", "GET, HEAD"],
    ["DELETE", "/v1/views/dashboard", "GET, HEAD"],
    ["POST", "/v1/proxy", "GET, HEAD"],
    ["PATCH", "/openapi.json", "GET, HEAD"],
  ])("%s %s answers 405 with Allow: %s", async (method, path, allow) => {
    const response = await gateway(path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { status: number }).status).toBe(405);
  });

  it("an unknown path is still 404", async () => {
    const response = await gateway("/v1/nothing");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
