import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { handleUpstream } from "./test/upstream/handler.ts";

/** Vars for the tests: wrangler.jsonc's, with limits small enough to hit and an allowlist of *.test. */
const testVars = {
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

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: testVars,
        outboundService: { node: handleUpstream },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
  },
});
