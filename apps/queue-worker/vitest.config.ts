import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
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

const migrations = await readD1Migrations(join(import.meta.dirname, "migrations"));

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          ENVIRONMENT: "development",
          // The real local queue retries at once, so the end-to-end run ends in seconds; tests of
          // the backoff pass their own delays.
          RETRY_BASE_DELAY_SECONDS: "0",
          RETRY_MAX_DELAY_SECONDS: "0",
        },
        serviceBindings: { FEED: feedService },
        outboundService: upstream,
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
  },
});
