import { defineConfig } from "vitest/config";

// Under Node: the suites start real `wrangler dev` processes (see src/stack.ts) and talk to them
// over HTTP, so they run one file at a time with generous hook timeouts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    hookTimeout: 180_000,
    testTimeout: 60_000,
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
  },
});
