import { readFileSync } from "node:fs";
import { workerSuite } from "@edge-async/testing/vitest";
import { feedService, upstream } from "./test/outbound/upstream.ts";

// MAX_ATTEMPTS (what the API reports and the consumer uses to spot the last try) must agree with
// the queue's max_retries (what actually dead-letters): refuse to test a config where they drift.
const wranglerConfig = readFileSync(new URL("./wrangler.jsonc", import.meta.url), {
  encoding: "utf8",
});
const maxRetries = Number(/"max_retries":\s*(\d+)/.exec(wranglerConfig)?.[1]);
const maxAttempts = Number(/"MAX_ATTEMPTS":\s*"(\d+)"/.exec(wranglerConfig)?.[1]);
if (maxAttempts !== maxRetries + 1) {
  throw new Error(
    `wrangler.jsonc: MAX_ATTEMPTS (${maxAttempts}) must be max_retries + 1 (${maxRetries + 1})`,
  );
}

// The RateLimit-Policy header repeats each rate limiting binding's limit from a var: refuse a
// config where the two say different things.
for (const [binding, variable] of [
  ["WRITE_LIMITER", "WRITE_REQUESTS_PER_MINUTE"],
  ["READ_LIMITER", "READ_REQUESTS_PER_MINUTE"],
]) {
  const limit = new RegExp(
    `"name":\\s*"${binding}"[^}]*"limit":\\s*(\\d+),\\s*"period":\\s*60`,
  ).exec(wranglerConfig)?.[1];
  const stated = new RegExp(`"${variable}":\\s*"(\\d+)"`).exec(wranglerConfig)?.[1];
  if (limit === undefined || limit !== stated) {
    throw new Error(
      `wrangler.jsonc: ${variable} (${stated}) must repeat the limit of ${binding} (${limit}, per 60 s)`,
    );
  }
}

// The suites send thousands of requests and jobs under the development key in a few minutes: the
// limits and caps are raised here (the test env states the raised numbers), and test/access.test.ts
// proves each one with a small limit of its own.
const TEST_LIMIT = 1_000_000;

export default workerSuite({
  root: import.meta.dirname,
  d1Migrations: "migrations",
  bindings: {
    ENVIRONMENT: "development",
    // The suites stand for a deployment that lists its hosts; the closed default (no host
    // at all) is tested on its own.
    ALLOWED_HOSTS: "*",
    MAX_JOBS_PER_KEY_PER_MINUTE: String(TEST_LIMIT),
    MAX_QUEUED_JOBS_PER_KEY: String(TEST_LIMIT),
    WRITE_REQUESTS_PER_MINUTE: String(TEST_LIMIT),
    READ_REQUESTS_PER_MINUTE: String(TEST_LIMIT),
    // The real local queue retries at once, so the end-to-end run ends in seconds; tests of
    // the backoff pass their own delays.
    RETRY_BASE_DELAY_SECONDS: "0",
    RETRY_MAX_DELAY_SECONDS: "0",
  },
  miniflare: {
    ratelimits: {
      WRITE_LIMITER: { namespace_id: "3101", simple: { limit: TEST_LIMIT, period: 60 } },
      READ_LIMITER: { namespace_id: "3102", simple: { limit: TEST_LIMIT, period: 60 } },
      // test/access.test.ts: 3 requests per 60 s, to see the 429 of a real binding.
      SMALL_LIMITER: { namespace_id: "3199", simple: { limit: 3, period: 60 } },
    },
    serviceBindings: { FEED: feedService },
    outboundService: upstream,
  },
});
