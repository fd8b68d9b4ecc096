import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const include = ["test/**/*.test.ts"];
// The 100,000-waiter leak tests take seconds on a loaded 2-core machine; a time limit here only
// catches a hang, never a speed goal (those live in `pnpm bench`).
const testTimeout = 60_000;

// One suite, two runtimes: Node, and workerd through the Workers Vitest integration.
export default defineConfig({
  test: {
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
    projects: [
      // --expose-gc lets the leak tests compare heap sizes after a full collection.
      {
        test: {
          name: "node",
          include,
          testTimeout,
          environment: "node",
          execArgv: ["--expose-gc"],
        },
      },
      {
        plugins: [
          cloudflareTest({
            miniflare: { compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"] },
          }),
        ],
        test: { name: "workerd", include, testTimeout },
      },
    ],
  },
});
