import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  // Read on the Node side (the runtime has no file system); applied by test/apply-migrations.ts.
  const migrations = await readD1Migrations(join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.jsonc" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, CURSOR_SECRET: "test-cursor-secret" },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
      reporters: process.env.CI
        ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
        : ["default"],
    },
  };
});
