import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.jsonc" } })],
  test: {
    include: ["test/**/*.test.ts"],
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
  },
});
