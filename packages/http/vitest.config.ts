import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { quietStructuredLogs } from "@edge-async/testing/vitest";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
    // The request log lines of createWorkerApi (test/observability.test.ts checks them).
    onConsoleLog: quietStructuredLogs,
    projects: [
      {
        plugins: [
          cloudflareTest({
            miniflare: {
              compatibilityDate: "2026-11-01",
              compatibilityFlags: ["nodejs_compat"],
              // test/access-rate-limit.test.ts: miniflare's local rate limiting binding.
              ratelimits: {
                TEST_RATE_LIMITER: { namespace_id: "1001", simple: { limit: 3, period: 10 } },
              },
            },
          }),
        ],
        // Loaded CI machines: time limits only catch hangs (see @edge-async/testing's workerSuite).
        test: { name: "workerd", include: ["test/**/*.test.ts"], testTimeout: 30_000 },
      },
      // workerd always runs in UTC; Node in a zone off UTC (with DST) shows dates do not use it.
      {
        test: {
          name: "node-tz",
          include: ["test/retry-after.test.ts"],
          environment: "node",
          env: { TZ: "America/St_Johns" },
        },
      },
    ],
  },
});
