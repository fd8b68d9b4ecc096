import { defineConfig } from "vitest/config";

// Under Node: one system of real `wrangler dev` processes (src/stack.ts), started once by the
// global setup for every file, which run one at a time and talk to it over HTTP.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    fileParallelism: false,
    hookTimeout: 180_000,
    testTimeout: 60_000,
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
  },
});
