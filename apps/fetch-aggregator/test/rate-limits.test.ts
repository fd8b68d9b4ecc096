import { env } from "cloudflare:workers";
import { createApiKey } from "@edge-async/http";
import { withinOneWindow } from "@edge-async/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/index.ts";
import { type AggregateAnswer, uniqueHost, uniqueKey, upstreamStats } from "./helpers.ts";

// The limits per API key: calls per minute (REQUEST_LIMITER) and upstream requests per minute
// (SUBREQUEST_LIMITER). SMALL_LIMITER is a real local binding of 3 per 60 s (vitest.config.ts);
// every test has a key of its own, so its counters start at zero, and starts early enough in
// the binding's wall-clock window that its calls all fall in one.
beforeEach(() => withinOneWindow(60));

async function caller(limits: { calls?: number; subrequests?: number }) {
  const { key, entry } = await createApiKey({
    name: "test",
    scopes: ["aggregate"],
    id: `t-${crypto.randomUUID().slice(0, 8)}`,
  });
  const bindings: Record<string, unknown> = {
    ...env,
    ENVIRONMENT: "production",
    API_KEYS: JSON.stringify([entry]),
  };
  if (limits.calls !== undefined) {
    Object.assign(bindings, {
      REQUEST_LIMITER: env.SMALL_LIMITER,
      REQUESTS_PER_KEY_PER_MINUTE: String(limits.calls),
    });
  }
  if (limits.subrequests !== undefined) {
    Object.assign(bindings, {
      SUBREQUEST_LIMITER: env.SMALL_LIMITER,
      MAX_SUBREQUESTS_PER_KEY_PER_MINUTE: String(limits.subrequests),
    });
  }
  const headers = { authorization: `Bearer ${key}` };
  return {
    bindings,
    get: (path: string, own: object = bindings) => app.request(path, { headers }, own),
    call: (requests: object[], own: object = bindings) =>
      app.request(
        "/v1/aggregate",
        {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ requests }),
        },
        own,
      ),
  };
}

const json = (key: string) => ({ url: `http://upstream.test/json/${key}` });

async function expectRateLimited(response: Response, policy: string) {
  expect(response.status).toBe(429);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("retry-after")).toBe("60");
  expect(response.headers.get("ratelimit")).toBe(`"${policy}";r=0;t=60`);
  expect(response.headers.get("ratelimit-policy")).toContain(`"${policy}";q=3;w=60`);
  expect(await response.json()).toMatchObject({
    type: "https://edge-async.dev/problems/rate-limited",
  });
}

describe("calls per key", () => {
  it("allows the configured count with RateLimit-Policy, then answers 429", async () => {
    const first = await caller({ calls: 3 });
    for (let count = 0; count < 3; count++) {
      const allowed = await first.get("/v1/views");
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get("ratelimit-policy")).toBe('"requests";q=3;w=60');
    }
    await expectRateLimited(await first.get("/v1/views"), "requests");
    // Counted per key: another key still has its three.
    expect((await (await caller({ calls: 3 })).get("/v1/views")).status).toBe(200);
  });
});

describe("upstream requests per key", () => {
  it("refuses a call that does not fit before any upstream is contacted; counted ones stay spent", async () => {
    const { call } = await caller({ subrequests: 3 });
    const keys = Array.from({ length: 5 }, () => uniqueKey("budget"));
    const fits = await call([json(keys[0] as string), json(keys[1] as string)]);
    expect(fits.status).toBe(200);
    expect(fits.headers.get("ratelimit-policy")).toContain('"subrequests";q=3;w=60');
    // Two more do not fit in the one left: refused, and the one counted for it is gone.
    await expectRateLimited(
      await call([json(keys[2] as string), json(keys[3] as string)]),
      "subrequests",
    );
    await expectRateLimited(await call([json(keys[4] as string)]), "subrequests");
    const hits = await Promise.all(keys.map(async (key) => (await upstreamStats(key)).hits));
    expect(hits).toEqual([1, 1, 0, 0, 0]);
  });

  it("counts identical GETs once and refused targets not at all", async () => {
    const { call } = await caller({ subrequests: 3 });
    const same = json(uniqueKey("coalesced"));
    const first = await call([same, same, { url: "http://10.0.0.1/" }]);
    expect(first.status).toBe(200);
    expect(((await first.json()) as AggregateAnswer).summary.succeeded).toBe(2);
    // One counted so far: two more fit, a fourth does not.
    expect((await call([json(uniqueKey("b")), json(uniqueKey("c"))])).status).toBe(200);
    await expectRateLimited(await call([json(uniqueKey("d"))]), "subrequests");
  });

  it("counts retries: a retry the key cannot pay for is not made", async () => {
    const { call, bindings } = await caller({ subrequests: 3 });
    const key = uniqueKey("retry-budget");
    const flaky = `http://${uniqueHost("retry-budget")}/flaky/${key}?failures=10&status=503`;
    // A breaker that stays closed, so only the key's budget can stop the retries.
    const own = { ...bindings, BREAKER_FAILURE_THRESHOLD: "100" };
    const response = await call([{ url: flaky, retries: 5 }], own);
    const { results } = (await response.json()) as AggregateAnswer;
    // The first attempt and two retries: the key's three, not the six asked for.
    expect(results[0]).toMatchObject({ ok: false, status: 503, attempts: 3 });
    expect((await upstreamStats(key)).hits).toBe(3);
  });

  it("counts one per proxied GET and per part of a view", async () => {
    const { get } = await caller({ subrequests: 3 });
    const key = uniqueKey("proxy-budget");
    const proxied = `/v1/proxy?url=${encodeURIComponent(`http://upstream.test/json/${key}`)}`;
    expect((await get(proxied)).status).toBe(200);
    // The dashboard view has three parts and two are left: refused, and those two are spent.
    await expectRateLimited(await get("/v1/views/dashboard?userId=7"), "subrequests");
    await expectRateLimited(await get(proxied), "subrequests");
    expect((await upstreamStats(key)).hits).toBe(1);
  });

  it("refuses what could never fit in a minute: 413 for a call, 503 naming the var for a view", async () => {
    const { call, get } = await caller({ subrequests: 2 });
    const tooMany = await call([json(uniqueKey("a")), json(uniqueKey("b")), json(uniqueKey("c"))]);
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toMatchObject({ errors: [{ pointer: "/requests" }] });
    const view = await get("/v1/views/dashboard?userId=7");
    expect(view.status).toBe(503);
    expect(await view.json()).toMatchObject({ setting: "MAX_SUBREQUESTS_PER_KEY_PER_MINUTE" });
  });
});

/** A fixed-window counter like Cloudflare's, on a clock the test moves, its windows offset at random. */
function fakeLimiter(limit: number) {
  let now = 1_000_000 + Math.floor(Math.random() * 60_000);
  const offset = Math.floor(Math.random() * 60_000);
  const counts = new Map<string, number>();
  const binding: RateLimit = {
    async limit({ key }) {
      const window = `${key}@${Math.floor((now + offset) / 60_000)}`;
      const count = counts.get(window) ?? 0;
      if (count >= limit) return { success: false };
      counts.set(window, count + 1);
      return { success: true };
    },
  };
  return { binding, advance: (seconds: number) => (now += seconds * 1000) };
}

describe("Retry-After", () => {
  it.each([
    ["requests", { calls: 3, subrequests: 1_000 }],
    ["subrequests", { calls: 1_000, subrequests: 5 }],
  ] as const)(
    "of %s is honest: a retry after it is served, whatever the window's alignment",
    async (policy, limits) => {
      for (let trial = 0; trial < 10; trial++) {
        const calls = fakeLimiter(limits.calls);
        const subrequests = fakeLimiter(limits.subrequests);
        const advance = (seconds: number) => {
          calls.advance(seconds);
          subrequests.advance(seconds);
        };
        const { call, bindings } = await caller({});
        const own = {
          ...bindings,
          REQUEST_LIMITER: calls.binding,
          REQUESTS_PER_KEY_PER_MINUTE: String(limits.calls),
          SUBREQUEST_LIMITER: subrequests.binding,
          MAX_SUBREQUESTS_PER_KEY_PER_MINUTE: String(limits.subrequests),
        };
        let refused: Response | undefined;
        for (let attempt = 0; attempt < 12 && refused === undefined; attempt++) {
          const response = await call([json(uniqueKey("ra")), json(uniqueKey("rb"))], own);
          if (response.status === 429) refused = response;
          else advance(Math.random() * 3);
        }
        expect(refused?.headers.get("ratelimit")).toBe(`"${policy}";r=0;t=60`);
        advance(Number(refused?.headers.get("retry-after")));
        expect((await call([json(uniqueKey("rc")), json(uniqueKey("rd"))], own)).status).toBe(200);
      }
    },
  );
});
