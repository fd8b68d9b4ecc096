import { defineConfig } from "vitest/config";

// Every package's suite from the root: `pnpm exec vitest run` (or `vitest --project <name>`).
// `pnpm test` runs the same suites through turbo, one package at a time per core.
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "apps/*/vitest.config.ts"],
  },
});
