import { join } from "node:path";
import { apiKeysBinding, workerSuite } from "@edge-async/testing/vitest";
import { unstable_readConfig } from "wrangler";
import { TEST_KEYS } from "./test/keys.ts";

// The limits' vars repeat the bindings' numbers for the RateLimit-Policy header: refuse to run
// when wrangler.jsonc lets them drift apart.
const wrangler = unstable_readConfig({ config: join(import.meta.dirname, "wrangler.jsonc") });
for (const [binding, variable] of [
  ["READ_LIMITER", "READ_REQUESTS_PER_MINUTE"],
  ["WRITE_LIMITER", "WRITE_REQUESTS_PER_MINUTE"],
] as const) {
  const limiter = wrangler.ratelimits.find((entry: { name: string }) => entry.name === binding);
  if (limiter?.simple.period !== 60 || String(limiter.simple.limit) !== wrangler.vars[variable]) {
    throw new Error(`wrangler.jsonc: ${variable} must repeat ${binding}'s limit, per 60 s`);
  }
}

// The suites send thousands of requests from one (absent) client address: the real limits would
// refuse them. test/access.test.ts swaps in the small limiters below to prove the limits hold.
const UNLIMITED = 1_000_000;

export default workerSuite({
  root: import.meta.dirname,
  d1Migrations: "migrations",
  bindings: {
    CURSOR_SECRET: "test-cursor-secret",
    API_KEYS: apiKeysBinding(TEST_KEYS),
    READ_REQUESTS_PER_MINUTE: String(UNLIMITED),
    WRITE_REQUESTS_PER_MINUTE: String(UNLIMITED),
  },
  miniflare: {
    ratelimits: {
      READ_LIMITER: { namespace_id: "2101", simple: { limit: UNLIMITED, period: 60 } },
      WRITE_LIMITER: { namespace_id: "2102", simple: { limit: UNLIMITED, period: 60 } },
      TEST_READ_LIMITER: { namespace_id: "2191", simple: { limit: 5, period: 60 } },
      TEST_WRITE_LIMITER: { namespace_id: "2192", simple: { limit: 3, period: 60 } },
    },
  },
});
