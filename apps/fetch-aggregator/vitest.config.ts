import { workerSuite } from "@edge-async/testing/vitest";
import { unstable_readConfig } from "wrangler";
import { handleUpstream } from "./test/upstream/handler.ts";

// The RateLimit-Policy header repeats each rate limiting binding's limit from a var: refuse a
// wrangler.jsonc (top level or env.dev) where the two say different things.
for (const environment of [undefined, "dev"]) {
  const config = unstable_readConfig(
    { config: "./wrangler.jsonc", env: environment },
    { hideWarnings: true },
  );
  for (const [binding, variable] of [
    ["REQUEST_LIMITER", "REQUESTS_PER_KEY_PER_MINUTE"],
    ["SUBREQUEST_LIMITER", "MAX_SUBREQUESTS_PER_KEY_PER_MINUTE"],
  ] as const) {
    const limiters = config.ratelimits as {
      name: string;
      simple: { limit: number; period: number };
    }[];
    const limiter = limiters.find((entry) => entry.name === binding)?.simple;
    const stated = Number(config.vars[variable]);
    if (limiter?.period !== 60 || limiter.limit !== stated) {
      throw new Error(
        `wrangler.jsonc${environment === undefined ? "" : ` env.${environment}`}: ${variable} (${stated}) must repeat the limit of ${binding} (${limiter?.limit} per ${limiter?.period} s; 60 s expected)`,
      );
    }
  }
}

// The suites send thousands of calls under the development key within a minute: the limits are
// raised here (the vars state the raised numbers), and test/access.test.ts proves each one with a
// small limit of its own.
const TEST_LIMIT = 1_000_000;

/** Vars for the tests: wrangler.jsonc's, with limits small enough to hit and an allowlist of *.test. */
const testVars = {
  // The development key is accepted; test/access.test.ts runs production with keys of its own.
  ENVIRONMENT: "development",
  REQUESTS_PER_KEY_PER_MINUTE: String(TEST_LIMIT),
  MAX_SUBREQUESTS_PER_KEY_PER_MINUTE: String(TEST_LIMIT),
  ALLOWED_HOSTS: ["*.test", "upstream.test"],
  ALLOW_PRIVATE_NETWORKS: "false",
  MAX_REQUESTS: "20",
  MAX_CONCURRENCY: "10",
  MAX_BODY_BYTES: String(64 * 1024),
  MAX_REQUEST_BYTES: String(64 * 1024),
  RETRY_BASE_DELAY_MS: "10",
  RETRY_MAX_DELAY_MS: "2500",
  BREAKER_FAILURE_THRESHOLD: "3",
  BREAKER_RESET_MS: "300",
  DEFAULT_TIMEOUT_MS: "2000",
  DEFAULT_DEADLINE_MS: "5000",
  VIEWS: JSON.stringify({
    dashboard: {
      parts: {
        user: "http://upstream.test/json/user-{userId}",
        orders: "http://upstream.test/json/orders-{userId}?limit=3",
        // Its own host: its failures open only its own breaker.
        recommendations: "http://recs.test/status/503/recs-{userId}",
      },
      deadlineMs: 2000,
    },
  }),
};

export default workerSuite({
  root: import.meta.dirname,
  bindings: testVars,
  miniflare: {
    ratelimits: {
      REQUEST_LIMITER: { namespace_id: "4101", simple: { limit: TEST_LIMIT, period: 60 } },
      SUBREQUEST_LIMITER: { namespace_id: "4102", simple: { limit: TEST_LIMIT, period: 60 } },
      // test/access.test.ts: 3 per 60 s, to see a real binding's 429.
      SMALL_LIMITER: { namespace_id: "4199", simple: { limit: 3, period: 60 } },
    },
    outboundService: { node: handleUpstream },
  },
});
