import { defineConfig } from "drizzle-kit";

// Only `drizzle-kit generate` runs against this config; wrangler applies the SQL it writes
// (`wrangler d1 migrations apply DB --local`), and the tests apply it with applyD1Migrations.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
