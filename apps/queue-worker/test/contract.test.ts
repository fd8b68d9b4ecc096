import { env } from "cloudflare:workers";
import {
  DEV_API_KEY,
  declaredStatuses,
  responseMismatches,
  routeTable,
  specOperations,
} from "@edge-async/http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/index.ts";
import { api, deliver, insertJob } from "./fixtures/jobs.ts";
import { callWith, makeKeys, type TestKeys } from "./fixtures/keys.ts";

// The OpenAPI document is generated from the route declarations; these tests hold the code to
// it: every route is documented, and a real answer of every declared status matches its schema.

const later = { delaySeconds: 3600 };
const simulate = (extra: object = {}) => ({
  type: "simulate",
  payload: { durationMs: 1 },
  ...later,
  ...extra,
});
const post = (path: string, json: unknown) => api(path, { method: "POST", json });
const key = () => `contract-${crypto.randomUUID()}`;

/** An env whose vars are wrong: every /v1 route answers 503 not-configured. */
const misconfigured = { ...env, MAX_ATTEMPTS: "0" };
const withEnv = async (path: string, bindings: object, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${DEV_API_KEY}`);
  return app.request(path, { ...init, headers }, bindings);
};

/** The queue refuses every send, as during an outage. */
function queueDown() {
  vi.spyOn(env.JOBS, "sendBatch").mockRejectedValue(new Error("queue down"));
}

async function enqueued(): Promise<string> {
  const response = await post("/v1/jobs", simulate());
  return ((await response.json()) as { id: string }).id;
}

async function replayOf(path: string, body: unknown): Promise<Response> {
  await post(path, body);
  return post(path, body);
}

async function conflictOn(path: string, wrap: (job: object) => unknown): Promise<Response> {
  const idempotencyKey = key();
  await post(path, wrap(simulate({ idempotencyKey })));
  return post(path, wrap(simulate({ idempotencyKey, payload: { durationMs: 2 } })));
}

const tooLarge = (bytes: number) =>
  JSON.stringify({ type: "simulate", payload: { pad: "x".repeat(bytes) } });
const asText = (path: string) =>
  api(path, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
const oversized = (path: string, bytes: number) =>
  api(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: tooLarge(bytes),
  });
const batch = (job: object) => ({ jobs: [job] });
const everyMinute = {
  name: "contract",
  cron: "* * * * *",
  job: { type: "simulate", payload: { durationMs: 1 } },
};
const aGroup = { failFast: true, jobs: [simulate(), simulate()] };
async function grouped(): Promise<string> {
  const response = await post("/v1/groups", aGroup);
  return ((await response.json()) as { id: string }).id;
}
async function scheduled(): Promise<string> {
  const response = await post("/v1/schedules", everyMinute);
  return ((await response.json()) as { id: string }).id;
}
/** The access, rate and config answers every `/v1/schedules/{id}…` route shares. */
function scheduleIdCases(method: string, suffix: string) {
  const route = `${method} /v1/schedules/:id${suffix}`;
  const path = (id: string) => `/v1/schedules/${id}${suffix}`;
  const call = (id: string, key?: string | null) => api(path(id), { method, key });
  return {
    [`${route} 400`]: () => call("not-a-uuid"),
    [`${route} 401`]: () => call(crypto.randomUUID(), null),
    [`${route} 403`]: async () => {
      const { keys: made, apiKeys } = await keys();
      return callWith({ API_KEYS: apiKeys }, path(crypto.randomUUID()), { method, key: made.feed });
    },
    [`${route} 404`]: () => call(crypto.randomUUID()),
    [`${route} 429`]: () =>
      withEnv(
        path(crypto.randomUUID()),
        { ...env, WRITE_LIMITER: refusing, READ_LIMITER: refusing },
        { method },
      ),
    [`${route} 503`]: () => withEnv(path(crypto.randomUUID()), misconfigured, { method }),
  };
}

/** The access, rate and config answers of a `/v1/jobs/{id}…` route. */
function jobIdCases(method: string, suffix: string) {
  const route = `${method} /v1/jobs/:id${suffix}`;
  const path = (id: string) => `/v1/jobs/${id}${suffix}`;
  const call = (id: string, key?: string | null) => api(path(id), { method, key });
  return {
    [`${route} 400`]: () => call("not-a-uuid"),
    [`${route} 401`]: () => call(crypto.randomUUID(), null),
    [`${route} 403`]: async () => {
      const { keys: made, apiKeys } = await keys();
      return callWith({ API_KEYS: apiKeys }, path(crypto.randomUUID()), { method, key: made.feed });
    },
    [`${route} 404`]: () => call(crypto.randomUUID()),
    [`${route} 429`]: () =>
      withEnv(
        path(crypto.randomUUID()),
        { ...env, WRITE_LIMITER: refusing, READ_LIMITER: refusing },
        { method },
      ),
    [`${route} 503`]: () => withEnv(path(crypto.randomUUID()), misconfigured, { method }),
  };
}

let testKeys: TestKeys | undefined;
/** A key that can read but not write jobs, and one that can do neither, in production. */
async function keys() {
  testKeys ??= await makeKeys({ reader: ["jobs:read"], feed: ["feed:read"] });
  return testKeys;
}

/** A request without credentials (401). */
const anonymous = (path: string, json?: unknown) =>
  api(path, json === undefined ? { key: null } : { method: "POST", json, key: null });

/** A request whose key lacks the route's scope (403): a feed reader's key. */
async function unscoped(path: string, json?: unknown) {
  const { keys: made, apiKeys } = await keys();
  const init = json === undefined ? {} : { method: "POST", json };
  return callWith({ API_KEYS: apiKeys }, path, { ...init, key: made.feed });
}

/** A request past the route class's request rate (429): a limiter that refuses everything. */
const refusing: RateLimit = { limit: async () => ({ success: false }) };
function limited(path: string, json?: unknown) {
  const bindings = { ...env, WRITE_LIMITER: refusing, READ_LIMITER: refusing };
  if (json === undefined) return withEnv(path, bindings);
  return withEnv(path, bindings, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(json),
  });
}

/** One real request per declared (route, status): `METHOD /path status`. */
const cases: Record<string, () => Promise<Response>> = {
  "GET / 200": () => api("/"),
  "GET /healthz 200": () => api("/healthz"),
  "GET /healthz 503": () =>
    withEnv("/healthz", {
      ...env,
      DB: { prepare: () => ({ first: () => Promise.reject(new Error("down")) }) },
    }),
  "GET /openapi.json 200": () => api("/openapi.json"),
  "GET /docs 200": () => api("/docs"),

  "POST /v1/jobs 202": () => post("/v1/jobs", simulate()),
  "POST /v1/jobs 401": () => anonymous("/v1/jobs", simulate()),
  "POST /v1/jobs 403": () => unscoped("/v1/jobs", simulate()),
  "POST /v1/jobs 429": () => limited("/v1/jobs", simulate()),
  "POST /v1/jobs 200": () => replayOf("/v1/jobs", simulate({ idempotencyKey: key() })),
  "POST /v1/jobs 400": () => post("/v1/jobs", { type: "teleport", payload: {} }),
  "POST /v1/jobs 409": () => conflictOn("/v1/jobs", (job) => job),
  "POST /v1/jobs 413": () => oversized("/v1/jobs", 300 * 1024),
  "POST /v1/jobs 415": () => asText("/v1/jobs"),
  "POST /v1/jobs 503": () => {
    queueDown();
    return post("/v1/jobs", simulate());
  },

  "POST /v1/jobs/batch 202": () => post("/v1/jobs/batch", batch(simulate())),
  "POST /v1/jobs/batch 401": () => anonymous("/v1/jobs/batch", batch(simulate())),
  "POST /v1/jobs/batch 403": () => unscoped("/v1/jobs/batch", batch(simulate())),
  "POST /v1/jobs/batch 429": () => limited("/v1/jobs/batch", batch(simulate())),
  "POST /v1/jobs/batch 200": () =>
    replayOf("/v1/jobs/batch", batch(simulate({ idempotencyKey: key() }))),
  "POST /v1/jobs/batch 400": () => post("/v1/jobs/batch", { jobs: [] }),
  "POST /v1/jobs/batch 409": () => conflictOn("/v1/jobs/batch", batch),
  "POST /v1/jobs/batch 413": () => oversized("/v1/jobs/batch", 1100 * 1024),
  "POST /v1/jobs/batch 415": () => asText("/v1/jobs/batch"),
  "POST /v1/jobs/batch 503": () =>
    withEnv("/v1/jobs/batch", misconfigured, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(batch(simulate())),
    }),

  "GET /v1/jobs 200": async () => {
    await enqueued();
    await enqueued();
    return api("/v1/jobs?limit=1");
  },
  "GET /v1/jobs 400": () => api("/v1/jobs?status=sleeping"),
  "GET /v1/jobs 401": () => anonymous("/v1/jobs"),
  "GET /v1/jobs 403": () => unscoped("/v1/jobs"),
  "GET /v1/jobs 429": () => limited("/v1/jobs"),
  "GET /v1/jobs 503": async () => {
    const { keys: made, apiKeys } = await keys();
    return callWith({ API_KEYS: apiKeys }, "/v1/jobs", { key: made.reader });
  },

  "GET /v1/jobs/:id 200": async () => api(`/v1/jobs/${await enqueued()}`),
  "GET /v1/jobs/:id 400": () => api("/v1/jobs/not-a-uuid"),
  "GET /v1/jobs/:id 401": () => anonymous(`/v1/jobs/${crypto.randomUUID()}`),
  "GET /v1/jobs/:id 403": () => unscoped(`/v1/jobs/${crypto.randomUUID()}`),
  "GET /v1/jobs/:id 404": () => api(`/v1/jobs/${crypto.randomUUID()}`),
  "GET /v1/jobs/:id 429": () => limited(`/v1/jobs/${crypto.randomUUID()}`),
  "GET /v1/jobs/:id 503": () => withEnv(`/v1/jobs/${crypto.randomUUID()}`, misconfigured),

  "GET /v1/jobs/:id/runs 200": async () => {
    const id = await enqueued();
    await deliver([id]);
    return api(`/v1/jobs/${id}/runs`);
  },
  "GET /v1/jobs/:id/runs 400": () => api("/v1/jobs/not-a-uuid/runs"),
  "GET /v1/jobs/:id/runs 401": () => anonymous(`/v1/jobs/${crypto.randomUUID()}/runs`),
  "GET /v1/jobs/:id/runs 403": () => unscoped(`/v1/jobs/${crypto.randomUUID()}/runs`),
  "GET /v1/jobs/:id/runs 404": () => api(`/v1/jobs/${crypto.randomUUID()}/runs`),
  "GET /v1/jobs/:id/runs 429": () => limited(`/v1/jobs/${crypto.randomUUID()}/runs`),
  "GET /v1/jobs/:id/runs 503": () => withEnv(`/v1/jobs/${crypto.randomUUID()}/runs`, misconfigured),

  "POST /v1/jobs/:id/cancel 200": async () => post(`/v1/jobs/${await enqueued()}/cancel`, {}),
  "POST /v1/jobs/:id/cancel 202": async () => {
    const id = await insertJob({
      type: "simulate",
      payload: {},
      status: "running",
      attempts: 1,
      runToken: "live",
      leaseExpiresAt: Date.now() + 60_000,
    });
    return post(`/v1/jobs/${id}/cancel`, {});
  },
  "POST /v1/jobs/:id/cancel 400": () => post("/v1/jobs/not-a-uuid/cancel", {}),
  "POST /v1/jobs/:id/cancel 401": () => anonymous(`/v1/jobs/${crypto.randomUUID()}/cancel`, {}),
  "POST /v1/jobs/:id/cancel 403": () => unscoped(`/v1/jobs/${crypto.randomUUID()}/cancel`, {}),
  "POST /v1/jobs/:id/cancel 404": () => post(`/v1/jobs/${crypto.randomUUID()}/cancel`, {}),
  "POST /v1/jobs/:id/cancel 409": async () => {
    const id = await enqueued();
    await post(`/v1/jobs/${id}/cancel`, {});
    return post(`/v1/jobs/${id}/cancel`, {});
  },
  "POST /v1/jobs/:id/cancel 429": () => limited(`/v1/jobs/${crypto.randomUUID()}/cancel`, {}),
  "POST /v1/jobs/:id/cancel 503": () =>
    withEnv(`/v1/jobs/${crypto.randomUUID()}/cancel`, misconfigured, { method: "POST" }),

  "POST /v1/jobs/:id/retry 202": async () => {
    const id = await enqueued();
    await post(`/v1/jobs/${id}/cancel`, {});
    return post(`/v1/jobs/${id}/retry`, {});
  },
  "POST /v1/jobs/:id/retry 400": () => post("/v1/jobs/not-a-uuid/retry", {}),
  "POST /v1/jobs/:id/retry 401": () => anonymous(`/v1/jobs/${crypto.randomUUID()}/retry`, {}),
  "POST /v1/jobs/:id/retry 403": () => unscoped(`/v1/jobs/${crypto.randomUUID()}/retry`, {}),
  "POST /v1/jobs/:id/retry 404": () => post(`/v1/jobs/${crypto.randomUUID()}/retry`, {}),
  "POST /v1/jobs/:id/retry 409": async () => post(`/v1/jobs/${await enqueued()}/retry`, {}),
  "POST /v1/jobs/:id/retry 429": () => limited(`/v1/jobs/${crypto.randomUUID()}/retry`, {}),
  "POST /v1/jobs/:id/retry 503": () =>
    withEnv(`/v1/jobs/${crypto.randomUUID()}/retry`, misconfigured, { method: "POST" }),

  "POST /v1/jobs/retry 200": async () => {
    const id = await enqueued();
    await post(`/v1/jobs/${id}/cancel`, {});
    return post("/v1/jobs/retry", { status: ["cancelled"], limit: 1 });
  },
  "POST /v1/jobs/retry 400": () => post("/v1/jobs/retry", { status: ["succeeded"] }),
  "POST /v1/jobs/retry 401": () => anonymous("/v1/jobs/retry", {}),
  "POST /v1/jobs/retry 403": () => unscoped("/v1/jobs/retry", {}),
  "POST /v1/jobs/retry 413": () => oversized("/v1/jobs/retry", 20 * 1024),
  "POST /v1/jobs/retry 415": () => asText("/v1/jobs/retry"),
  "POST /v1/jobs/retry 429": () => limited("/v1/jobs/retry", {}),
  "POST /v1/jobs/retry 503": () =>
    withEnv("/v1/jobs/retry", misconfigured, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    }),

  "DELETE /v1/jobs/:id 204": async () => {
    const id = await enqueued();
    await post(`/v1/jobs/${id}/cancel`, {});
    return api(`/v1/jobs/${id}`, { method: "DELETE" });
  },
  "DELETE /v1/jobs/:id 409": async () => api(`/v1/jobs/${await enqueued()}`, { method: "DELETE" }),
  ...jobIdCases("DELETE", ""),

  "POST /v1/schedules 201": () => post("/v1/schedules", everyMinute),
  "POST /v1/schedules 400": () => post("/v1/schedules", { ...everyMinute, cron: "61 * * * *" }),
  "POST /v1/schedules 401": () => anonymous("/v1/schedules", everyMinute),
  "POST /v1/schedules 403": () => unscoped("/v1/schedules", everyMinute),
  "POST /v1/schedules 413": () => oversized("/v1/schedules", 300 * 1024),
  "POST /v1/schedules 415": () => asText("/v1/schedules"),
  "POST /v1/schedules 429": () => limited("/v1/schedules", everyMinute),
  "POST /v1/schedules 503": () =>
    withEnv("/v1/schedules", misconfigured, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(everyMinute),
    }),

  "GET /v1/schedules 200": async () => {
    await scheduled();
    await scheduled();
    return api("/v1/schedules?limit=1");
  },
  "GET /v1/schedules 400": () => api("/v1/schedules?limit=0"),
  "GET /v1/schedules 401": () => anonymous("/v1/schedules"),
  "GET /v1/schedules 403": () => unscoped("/v1/schedules"),
  "GET /v1/schedules 429": () => limited("/v1/schedules"),
  "GET /v1/schedules 503": async () => {
    const { keys: made, apiKeys } = await keys();
    return callWith({ API_KEYS: apiKeys }, "/v1/schedules", { key: made.reader });
  },

  "GET /v1/schedules/:id 200": async () => api(`/v1/schedules/${await scheduled()}`),
  ...scheduleIdCases("GET", ""),
  "POST /v1/schedules/:id/pause 200": async () =>
    post(`/v1/schedules/${await scheduled()}/pause`, {}),
  ...scheduleIdCases("POST", "/pause"),
  "POST /v1/schedules/:id/resume 200": async () => {
    const id = await scheduled();
    await post(`/v1/schedules/${id}/pause`, {});
    return post(`/v1/schedules/${id}/resume`, {});
  },
  ...scheduleIdCases("POST", "/resume"),
  "DELETE /v1/schedules/:id 204": async () =>
    api(`/v1/schedules/${await scheduled()}`, { method: "DELETE" }),
  ...scheduleIdCases("DELETE", ""),

  "POST /v1/groups 202": () => post("/v1/groups", aGroup),
  "POST /v1/groups 400": () => post("/v1/groups", { jobs: [simulate({ idempotencyKey: key() })] }),
  "POST /v1/groups 401": () => anonymous("/v1/groups", aGroup),
  "POST /v1/groups 403": () => unscoped("/v1/groups", aGroup),
  "POST /v1/groups 413": () => oversized("/v1/groups", 2100 * 1024),
  "POST /v1/groups 415": () => asText("/v1/groups"),
  "POST /v1/groups 429": () => limited("/v1/groups", aGroup),
  "POST /v1/groups 503": () => {
    queueDown();
    return post("/v1/groups", aGroup);
  },
  "GET /v1/groups/:id 200": async () => api(`/v1/groups/${await grouped()}?limit=1`),
  "GET /v1/groups/:id 400": () => api(`/v1/groups/${crypto.randomUUID()}?limit=0`),
  "GET /v1/groups/:id 401": () => anonymous(`/v1/groups/${crypto.randomUUID()}`),
  "GET /v1/groups/:id 403": () => unscoped(`/v1/groups/${crypto.randomUUID()}`),
  "GET /v1/groups/:id 404": () => api(`/v1/groups/${crypto.randomUUID()}`),
  "GET /v1/groups/:id 429": () => limited(`/v1/groups/${crypto.randomUUID()}`),
  "GET /v1/groups/:id 503": () => withEnv(`/v1/groups/${crypto.randomUUID()}`, misconfigured),

  "GET /v1/stats 200": () => api("/v1/stats"),
  "GET /v1/stats 401": () => anonymous("/v1/stats"),
  "GET /v1/stats 403": () => unscoped("/v1/stats"),
  "GET /v1/stats 429": () => limited("/v1/stats"),
  "GET /v1/stats 503": () => withEnv("/v1/stats", misconfigured),
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the OpenAPI document", () => {
  it("lists exactly the routes the router serves", async () => {
    const document = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, object>;
    };
    // The job id route's router pattern carries a regular expression (see src/routes/jobs.ts);
    // the document names the parameter only.
    const routed = routeTable(app).map((route) => ({
      ...route,
      path: route.path.replace(/\{.*\}$/, ""),
    }));
    expect(specOperations(document)).toEqual(routed);
  });

  it("has a real request for every declared status of every route", () => {
    const declared = [...declaredStatuses(app)].flatMap(([route, statuses]) =>
      statuses.map((status) => `${route} ${status}`),
    );
    expect(Object.keys(cases).sort()).toEqual(declared.sort());
  });
});

describe("every declared answer, produced by the worker", () => {
  it.each(Object.keys(cases))("%s matches its declared schema", async (name) => {
    const [method, path, status] = name.split(" ") as [string, string, string];
    const response = await cases[name]!();
    expect(response.status).toBe(Number(status));
    expect(await responseMismatches(app, { method, path }, response)).toEqual([]);
  });

  it("answers a misconfigured worker with one 503 everywhere, naming the setting", async () => {
    for (const path of ["/v1/jobs", `/v1/jobs/${crypto.randomUUID()}`, "/v1/stats"]) {
      const response = await withEnv(path, misconfigured);
      expect(response.status).toBe(503);
      const problem = (await response.json()) as { type: string; setting: string };
      expect(problem).toMatchObject({
        type: "https://edge-async.dev/problems/not-configured",
        setting: "MAX_ATTEMPTS",
      });
    }
  });
});

describe("a known path asked with another method", () => {
  it.each([
    ["DELETE", "/v1/jobs", "GET, HEAD, POST"],
    ["PUT", `/v1/jobs/${crypto.randomUUID()}`, "DELETE, GET, HEAD"],
    ["PATCH", "/openapi.json", "GET, HEAD"],
    ["POST", "/v1/stats", "GET, HEAD"],
    // Named segments beside /v1/jobs/{id}: theirs, not a job id the id route refuses with 400.
    ["GET", "/v1/jobs/retry", "POST"],
    ["DELETE", "/v1/jobs/retry", "POST"],
    ["GET", "/v1/jobs/batch", "POST"],
    ["DELETE", "/v1/jobs/batch", "POST"],
    // Percent-encoded spellings are routed decoded (as Hono's router decodes them).
    ["GET", "/v1/jobs/%72etry", "POST"],
    ["PUT", "/v1/jobs/%72etry", "POST"],
    ["PUT", "/v1/%6aobs", "GET, HEAD, POST"],
  ])("%s %s answers 405 with Allow: %s", async (method, path, allow) => {
    const response = await api(path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as { status: number }).status).toBe(405);
  });

  it("an unknown path is still 404", async () => {
    const response = await api("/v1/nothing");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
