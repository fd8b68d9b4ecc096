import { createHash } from "node:crypto";
import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";
import { TEST_KEYS } from "./test/keys.ts";

// The limits' vars repeat the bindings' numbers for the RateLimit-Policy header: refuse to run
// when wrangler.jsonc lets them drift apart.
const wrangler = unstable_readConfig({ config: join(import.meta.dirname, "wrangler.jsonc") });
for (const [binding, variable] of [
  ["READ_LIMITER", "READ_REQUESTS_PER_MINUTE"],
  ["WRITE_LIMITER", "WRITE_REQUESTS_PER_MINUTE"],
] as const) {
  const limiter = wrangler.ratelimits.find((entry: { name: string }) => entry.name === binding);
  if (limiter?.simple.period !== 60 || String(limiter.simple.limit) !== wrangler.vars[variable]) {
    throw new Error(`wrangler.jsonc: ${variable} must repeat ${binding}'s limit, per 60 s`);
  }
}

// The suites send thousands of requests from one (absent) client address: the real limits would
// refuse them. test/access.test.ts swaps in the small limiters below to prove the limits hold.
const UNLIMITED = 1_000_000;
const API_KEYS = Object.entries(TEST_KEYS).map(([name, { key, scopes }]) => ({
  id: key.slice(3, key.indexOf("_", 3)),
  name,
  sha256: createHash("sha256").update(key).digest("hex"),
  scopes,
}));

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          // Read on the Node side (the runtime has no file system); test/apply-migrations.ts applies them.
          TEST_MIGRATIONS: await readD1Migrations(join(import.meta.dirname, "migrations")),
          CURSOR_SECRET: "test-cursor-secret",
          API_KEYS: JSON.stringify(API_KEYS),
          READ_REQUESTS_PER_MINUTE: String(UNLIMITED),
          WRITE_REQUESTS_PER_MINUTE: String(UNLIMITED),
        },
        ratelimits: {
          READ_LIMITER: { namespace_id: "2101", simple: { limit: UNLIMITED, period: 60 } },
          WRITE_LIMITER: { namespace_id: "2102", simple: { limit: UNLIMITED, period: 60 } },
          TEST_READ_LIMITER: { namespace_id: "2191", simple: { limit: 5, period: 60 } },
          TEST_WRITE_LIMITER: { namespace_id: "2192", simple: { limit: 3, period: 60 } },
        },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
      : ["default"],
  },
});
