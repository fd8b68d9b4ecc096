#!/usr/bin/env node
// `pnpm test`: typecheck, lint and every test suite through turbo, then one line that counts
// every test run across the workspace. Each vitest run writes a JSON report under .test-results/;
// so do other runners (async-utils' Deno, Bun and package tests), in the same shape.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const workspaces = ["apps", "packages"].flatMap((dir) =>
  readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, dir, entry.name)),
);
const reportsOf = (pkg) => {
  const dir = join(pkg, ".test-results");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => join(dir, name));
};
for (const pkg of workspaces) rmSync(join(pkg, ".test-results"), { recursive: true, force: true });

const turbo = spawnSync(
  "turbo",
  [
    "run",
    "typecheck",
    "lint",
    "lint:root",
    "test",
    "--concurrency=2",
    "--continue",
    ...process.argv.slice(2),
  ],
  {
    stdio: "inherit",
    env: { ...process.env, CI: process.env.CI ?? "true", TURBO_TELEMETRY_DISABLED: "1" },
  },
);

let passed = 0;
let failed = 0;
for (const file of workspaces.flatMap(reportsOf)) {
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A suite that failed to load counts as a failure even though none of its tests ran.
  failed += report.testResults.filter(
    (file) => file.status === "failed" && file.assertionResults.length === 0,
  ).length;
}
const status = turbo.status ?? 1;
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status);
