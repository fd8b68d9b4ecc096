import { createRoute } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  allowedMethods,
  ConfigError,
  createApi,
  createWorkerApi,
  DOCS_SCRIPT_PATH,
  declaredStatuses,
  jsonInput,
  jsonResponse,
  problemResponses,
  responseMismatches,
  routeTable,
  serviceRoutes,
  specOperations,
  withConfig,
} from "../src/index.ts";

const item = z.object({ name: z.string().min(1), count: z.number().int() });

function demoApp() {
  const items = createApi().openapi(
    createRoute({
      method: "post",
      path: "/{id}",
      middleware: [jsonInput({ maxBytes: 64 })],
      request: {
        params: z.object({ id: z.string().regex(/^\d+$/) }),
        query: z.object({ dryRun: z.enum(["true", "false"]).optional() }),
        body: { required: true, content: { "application/json": { schema: item } } },
      },
      responses: {
        200: jsonResponse(item.extend({ id: z.string() }), "The item"),
        ...problemResponses({ 400: "Bad input", 413: "Too large", 415: "Not JSON" }),
      },
    }),
    (c) => c.json({ ...c.req.valid("json"), id: c.req.valid("param").id }, 200),
  );
  const app = createApi().route("/v1/items", items);
  serviceRoutes(app, {
    name: "demo",
    version: "1.2.3",
    description: "A demo worker.",
    tags: [{ name: "items", description: "Items" }],
  });
  return app;
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  demoApp().request(path, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

describe("routes declared with createRoute", () => {
  it("validates body, path and query in one place and answers the handler's value", async () => {
    const response = await post("/v1/items/7", JSON.stringify({ name: "a", count: 2 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: "a", count: 2, id: "7" });
  });

  it("refuses a body field with a JSON pointer and a path parameter by name", async () => {
    const response = await post("/v1/items/x?dryRun=maybe", JSON.stringify({ name: "", count: 1 }));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors: { parameter?: string }[] };
    // The first validator to fail answers; parameters are checked before the body.
    expect(
      problem.errors.some((error) => error.parameter === "dryRun" || error.parameter === "id"),
    ).toBe(true);
    const bodyOnly = await post("/v1/items/1", JSON.stringify({ name: "", count: 1.5 }));
    const bodyProblem = (await bodyOnly.json()) as { errors: { pointer?: string }[] };
    expect(bodyProblem.errors.map((error) => error.pointer).sort()).toEqual(["/count", "/name"]);
  });

  it("keeps the shared body rules: 415 for another media type, 413 past the limit, 400 for bad JSON", async () => {
    expect((await post("/v1/items/1", "{}", { "content-type": "text/plain" })).status).toBe(415);
    const big = JSON.stringify({ name: "x".repeat(100), count: 1 });
    expect((await post("/v1/items/1", big)).status).toBe(413);
    const bad = await post("/v1/items/1", "{nope");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
  });

  it("answers 405 with Allow for a known path asked with another method, 404 for an unknown path", async () => {
    const app = demoApp();
    const wrongMethod = await app.request("/v1/items/1");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(wrongMethod.headers.get("content-type")).toBe("application/problem+json");
    const unknown = await app.request("/v1/nothing");
    expect(unknown.status).toBe(404);
    expect(allowedMethods(app, "/openapi.json")).toEqual(["GET", "HEAD"]);
  });
});

describe("serviceRoutes", () => {
  it("serves a JSON index with links", async () => {
    const response = await demoApp().request("/");
    expect(await response.json()).toEqual({
      name: "demo",
      version: "1.2.3",
      description: "A demo worker.",
      links: { docs: "/docs", openapi: "/openapi.json", health: "/healthz" },
    });
  });

  it("serves an OpenAPI 3.1 document with every route, tags and the shared Problem component", async () => {
    const doc = (await (await demoApp().request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
      tags: { name: string }[];
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/",
      "/docs",
      "/healthz",
      "/openapi.json",
      "/v1/items/{id}",
    ]);
    expect(doc.components.schemas.Problem).toBeDefined();
    expect(JSON.stringify(doc.paths["/v1/items/{id}"]?.post?.responses["400"])).toContain(
      "#/components/schemas/Problem",
    );
    expect(doc.tags.map((tag) => tag.name)).toEqual(["service", "items"]);
  });

  it("serves a docs page that loads its script from the worker, not a CDN", async () => {
    const html = await (await demoApp().request("/docs")).text();
    expect(html).toContain(DOCS_SCRIPT_PATH);
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/https:\/\/cdn\./);
  });

  it("healthz answers ok", async () => {
    expect(await (await demoApp().request("/healthz")).json()).toEqual({ status: "ok" });
  });
});

describe("withConfig", () => {
  type Bindings = { LIMIT?: string };
  let parses = 0;
  const parse = (env: Bindings) => {
    parses += 1;
    if (env.LIMIT === undefined) throw new ConfigError("LIMIT", "is not set");
    return { limit: Number(env.LIMIT) };
  };
  const app = createApi<{ Bindings: Bindings; Variables: { config: { limit: number } } }>();
  app.use(withConfig(parse));
  app.get("/", (c) => c.json(c.var.config));

  it("parses once per env and hands the config to handlers", async () => {
    const env = { LIMIT: "5" };
    parses = 0;
    expect(await (await app.request("/", {}, env)).json()).toEqual({ limit: 5 });
    await app.request("/", {}, env);
    expect(parses).toBe(1);
  });

  it("answers 503 not-configured naming the setting, and remembers the failure", async () => {
    const env = {};
    parses = 0;
    const response = await app.request("/", {}, env);
    expect(response.status).toBe(503);
    const problem = (await response.json()) as { type: string; detail: string; setting: string };
    expect(problem.type).toBe("https://edge-async.dev/problems/not-configured");
    expect(problem.setting).toBe("LIMIT");
    expect(problem.detail).toBe("LIMIT is not set");
    await app.request("/", {}, env);
    expect(parses).toBe(1);
  });
});

describe("conformance helpers", () => {
  it("the route table and the document list the same operations", async () => {
    const app = demoApp();
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, object>;
    };
    expect(specOperations(doc)).toEqual(routeTable(app));
    expect(routeTable(app).map((route) => `${route.method} ${route.path}`)).toContain(
      "POST /v1/items/:id",
    );
  });

  it("declaredStatuses lists each route's statuses", () => {
    expect(declaredStatuses(demoApp()).get("POST /v1/items/:id")).toEqual([200, 400, 413, 415]);
  });

  it("responseMismatches accepts a conforming answer and names what does not conform", async () => {
    const app = demoApp();
    const route = { method: "POST", path: "/v1/items/:id" };
    const ok = await post("/v1/items/3", JSON.stringify({ name: "a", count: 1 }));
    expect(await responseMismatches(app, route, ok)).toEqual([]);
    const bad = await post("/v1/items/3", "{");
    expect(await responseMismatches(app, route, bad)).toEqual([]);
    const wrongShape = Response.json({ name: 1 }, { status: 200 });
    expect((await responseMismatches(app, route, wrongShape)).join()).toMatch(/\/name/);
    const undeclared = Response.json({}, { status: 418 });
    expect(await responseMismatches(app, route, undeclared)).toEqual([
      "POST /v1/items/:id does not declare status 418",
    ]);
  });
});

describe("conformance with a status range, default and media ranges", () => {
  it("the most specific declared entry judges an answer passed through", async () => {
    const any = { "*/*": { schema: z.unknown() } };
    const app = createApi().openapi(
      createRoute({
        method: "get",
        path: "/pass",
        responses: {
          200: { description: "ok", content: any },
          ...problemResponses({ 403: "no" }),
          default: { description: "other", content: any },
        },
      }),
      (c) => c.text("x", 200),
    );
    const route = { method: "GET", path: "/pass" };
    expect(declaredStatuses(app).get("GET /pass")).toEqual([200, 403, "default"]);
    expect(await responseMismatches(app, route, new Response("<p>", { status: 418 }))).toEqual([]);
    expect(await responseMismatches(app, route, Response.json([1], { status: 200 }))).toEqual([]);
    const notProblem = Response.json(
      { type: 1 },
      { status: 403, headers: { "content-type": "application/problem+json" } },
    );
    expect((await responseMismatches(app, route, notProblem)).join()).toMatch(/\/type/);
  });
});

describe("strict percent-decoding in declared routes", () => {
  it("a query value or path parameter that is not UTF-8 is refused naming it", async () => {
    const query = await post("/v1/items/1?dryRun=%FF", JSON.stringify({ name: "a", count: 1 }));
    expect(query.status).toBe(400);
    const queryProblem = (await query.json()) as { errors: { parameter?: string }[] };
    expect(queryProblem.errors.map((error) => error.parameter)).toEqual(["dryRun"]);
    const path = await post("/v1/items/%ED%A0%80", JSON.stringify({ name: "a", count: 1 }));
    expect(path.status).toBe(400);
    const pathProblem = (await path.json()) as { errors: { parameter?: string }[] };
    expect(pathProblem.errors.map((error) => error.parameter)).toEqual(["id"]);
  });
});

describe("createWorkerApi", () => {
  type App = { Bindings: { LIMIT?: string }; Variables: { config: { limit: number } } };
  const app = createWorkerApi<App>((env) => {
    if (env.LIMIT === undefined) throw new ConfigError("LIMIT", "is not set");
    return { limit: Number(env.LIMIT) };
  });
  app.get("/v1/limit", (c) => c.json(c.var.config));
  app.get("/free", (c) => c.json({ ok: true }));

  it("hands the config to /v1 routes, with the security headers on every answer", async () => {
    const response = await app.request("/v1/limit", {}, { LIMIT: "3" });
    expect(await response.json()).toEqual({ limit: 3 });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("answers 503 not-configured on /v1 only, and the headers ride on errors too", async () => {
    const refused = await app.request("/v1/limit", {}, {});
    expect(refused.status).toBe(503);
    expect(refused.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await app.request("/free", {}, {})).status).toBe(200);
    const missing = await app.request("/nowhere", {}, {});
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("unknown parameters", () => {
  it("are each named, not reported as the whole query", async () => {
    const app = createApi().openapi(
      createRoute({
        method: "get",
        path: "/things",
        request: { query: z.strictObject({ limit: z.string().optional() }) },
        responses: { 200: jsonResponse(z.object({}), "ok"), ...problemResponses({ 400: "Bad" }) },
      }),
      (c) => c.json({}, 200),
    );
    const response = await app.request("/things?cursor=x&limit=1&__proto__=1");
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { parameter: string }[] };
    expect(problem.errors.map((error) => error.parameter).sort()).toEqual(["__proto__", "cursor"]);
  });
});

describe("a query parameter given more than once", () => {
  const app = createApi().openapi(
    createRoute({
      method: "get",
      path: "/things",
      request: {
        query: z.strictObject({
          limit: z.coerce.number().int().optional(),
          count: z.literal("estimate").optional(),
          q: z.string().optional(),
          joined: z.coerce.string().optional(),
          tag: z.union([z.string(), z.array(z.string())]).optional(),
        }),
      },
      responses: { 200: jsonResponse(z.object({}), "ok"), ...problemResponses({ 400: "Bad" }) },
    }),
    (c) => c.json({ tag: c.req.valid("query").tag ?? null }, 200),
  );

  it("is refused naming it and saying so, whatever its schema would have said", async () => {
    for (const name of ["limit", "count", "q", "joined"]) {
      const value = name === "count" ? "estimate" : "1";
      const response = await app.request(`/things?${name}=${value}&${name}=${value}`);
      expect(response.status).toBe(400);
      const problem = (await response.json()) as {
        errors: { parameter: string; detail: string }[];
      };
      expect(problem.errors).toEqual([
        { parameter: name, detail: "was given more than once; give it once" },
      ]);
    }
  });

  it("is still refused beside another parameter's own problem", async () => {
    const response = await app.request("/things?limit=1&limit=2&count=exact");
    const problem = (await response.json()) as { errors: { parameter: string; detail: string }[] };
    expect(problem.errors.map((error) => error.parameter).sort()).toEqual(["count", "limit"]);
    expect(problem.errors.find((error) => error.parameter === "limit")?.detail).toMatch(
      /more than once/,
    );
  });

  it("is accepted where the route's schema takes a list", async () => {
    const response = await app.request("/things?tag=a&tag=b");
    expect(await response.json()).toEqual({ tag: ["a", "b"] });
  });
});
