import { env } from "cloudflare:workers";
import { withinOneWindow } from "@edge-async/testing";
import { describe, expect, it, vi } from "vitest";
import * as z from "zod";
import {
  createApi,
  DEV_API_KEY,
  jsonResponse,
  type RateLimitPolicy,
  rateLimit,
  rateLimitPolicyHeader,
  secureRoute,
} from "../src/index.ts";

type Bindings = { LIMITER?: RateLimit; ENVIRONMENT?: string };

/** A fixed-window counter like Cloudflare's, on a clock the test moves, its windows offset at random. */
function fakeBinding(limit: number, periodSeconds: number) {
  let now = 1_000_000 + Math.floor(Math.random() * 60_000);
  const offset = Math.floor(Math.random() * periodSeconds * 1000);
  const counts = new Map<string, number>();
  const keys: string[] = [];
  const binding: RateLimit = {
    async limit({ key }) {
      keys.push(key);
      const window = `${key}@${Math.floor((now + offset) / (periodSeconds * 1000))}`;
      const count = counts.get(window) ?? 0;
      if (count >= limit) return { success: false };
      counts.set(window, count + 1);
      return { success: true };
    },
  };
  return { binding, keys, advance: (seconds: number) => (now += seconds * 1000) };
}

function limitedApp(policy: RateLimitPolicy) {
  const limiter = rateLimit<{ Bindings: Bindings }>({
    binding: (bindings) => bindings.LIMITER,
    policy,
  });
  return createApi<{ Bindings: Bindings }>().openapi(
    secureRoute({
      access: { scope: "jobs:write" },
      middleware: [limiter],
      method: "post",
      path: "/v1/jobs",
      responses: { 202: jsonResponse(z.object({ ok: z.boolean() }), "Queued") },
    }),
    (c) => c.json({ ok: true }, 202),
  );
}

const post = (app: ReturnType<typeof limitedApp>, bindings: Bindings, ip = "203.0.113.7") =>
  app.request(
    "/v1/jobs",
    { method: "POST", headers: { authorization: `Bearer ${DEV_API_KEY}`, "cf-connecting-ip": ip } },
    { ENVIRONMENT: "development", ...bindings },
  );

describe("rateLimit", () => {
  const policy: RateLimitPolicy = { name: "writes", limit: 3, periodSeconds: 10 };

  it("allows the configured count with RateLimit-Policy, then answers 429 with Retry-After and RateLimit", async () => {
    const fake = fakeBinding(3, 10);
    const app = limitedApp(policy);
    for (let call = 0; call < 3; call += 1) {
      const allowed = await post(app, { LIMITER: fake.binding });
      expect(allowed.status).toBe(202);
      expect(allowed.headers.get("ratelimit-policy")).toBe('"writes";q=3;w=10');
      expect(allowed.headers.get("ratelimit")).toBeNull();
    }
    const refused = await post(app, { LIMITER: fake.binding });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(refused.headers.get("ratelimit-policy")).toBe('"writes";q=3;w=10');
    expect(refused.headers.get("ratelimit")).toBe('"writes";r=0;t=10');
    expect(await refused.json()).toMatchObject({
      status: 429,
      type: "https://edge-async.dev/problems/rate-limited",
    });
    // Counted per principal (the development key's id), not per address.
    expect(new Set(fake.keys)).toEqual(new Set(["writes:principal:dev"]));
  });

  it("tells an honest Retry-After: a retry after it succeeds, whatever the window's alignment", async () => {
    for (let trial = 0; trial < 20; trial += 1) {
      const fake = fakeBinding(3, 10);
      const app = limitedApp(policy);
      let refused: Response | undefined;
      for (let call = 0; call < 10 && refused === undefined; call += 1) {
        const response = await post(app, { LIMITER: fake.binding });
        if (response.status === 429) refused = response;
        else fake.advance(Math.random() * 2);
      }
      expect(refused?.status).toBe(429);
      fake.advance(Number(refused?.headers.get("retry-after")));
      expect((await post(app, { LIMITER: fake.binding })).status).toBe(202);
    }
  });

  it("answers 503 not-configured when the binding is missing, and lets requests through when it fails", async () => {
    const app = limitedApp(policy);
    const missing = await post(app, {});
    expect(missing.status).toBe(503);
    expect(await missing.json()).toMatchObject({
      type: "https://edge-async.dev/problems/not-configured",
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const failing: RateLimit = { limit: async () => Promise.reject(new Error("limiter down")) };
    expect((await post(app, { LIMITER: failing })).status).toBe(202);
    expect(error).toHaveBeenCalledWith(
      "rate limiter failed; request let through",
      "writes",
      "Error",
    );
    error.mockRestore();
  });

  it("keys public requests by client address", async () => {
    const fake = fakeBinding(1, 60);
    const app = createApi<{ Bindings: Bindings }>().openapi(
      secureRoute({
        access: "public",
        middleware: [
          rateLimit<{ Bindings: Bindings }>({
            binding: (b) => b.LIMITER,
            policy: { name: "reads", limit: 1, periodSeconds: 60 },
          }),
        ],
        method: "get",
        path: "/v1/items",
        responses: { 200: { description: "Items" } },
      }),
      (c) => c.body(null, 200),
    );
    const get = (ip: string) =>
      app.request("/v1/items", { headers: { "cf-connecting-ip": ip } }, { LIMITER: fake.binding });
    expect((await get("198.51.100.1")).status).toBe(200);
    expect((await get("198.51.100.1")).status).toBe(429);
    expect((await get("198.51.100.2")).status).toBe(200);
    expect(fake.keys).toEqual([
      "reads:ip:198.51.100.1",
      "reads:ip:198.51.100.1",
      "reads:ip:198.51.100.2",
    ]);
  });

  it("formats RateLimit-Policy as a structured-field list item", () => {
    expect(rateLimitPolicyHeader({ name: "fan-out", limit: 600, periodSeconds: 60 })).toBe(
      '"fan-out";q=600;w=60',
    );
  });
});

describe("miniflare's local rate limiting binding", () => {
  it("refuses past its configured limit (3 per 10 s), and a retry after Retry-After succeeds", async () => {
    const binding = (env as unknown as { TEST_RATE_LIMITER: RateLimit }).TEST_RATE_LIMITER;
    // A key of its own, so other runs against the same local binding do not count here.
    const key = `run-${crypto.randomUUID()}`;
    const limiter = rateLimit<{ Bindings: Bindings }>({
      binding: (bindings) => bindings.LIMITER,
      policy: { name: "local", limit: 3, periodSeconds: 10 },
      key: () => key,
    });
    const app = createApi<{ Bindings: Bindings }>().post("/", limiter, (c) => c.body(null, 204));
    const call = () => app.request("/", { method: "POST" }, { LIMITER: binding });
    await withinOneWindow(10, 4_000);
    for (let count = 0; count < 3; count += 1) expect((await call()).status).toBe(204);
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit")).toBe('"local";r=0;t=10');
    const wait = Number(refused.headers.get("retry-after"));
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    expect((await call()).status).toBe(204);
  }, 30_000);
});
