import { createHash } from "node:crypto";
import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type ViteUserConfig } from "vitest/config";

type WorkersOptions = Parameters<typeof cloudflareTest>[0];
type Miniflare = NonNullable<Exclude<WorkersOptions, (...args: never[]) => unknown>["miniflare"]>;

/** What a worker's suite needs beyond the shared setup. */
export interface WorkerSuiteOptions {
  /** The package folder (`import.meta.dirname` of its vitest.config.ts). */
  root: string;
  /** Bindings added to (or overriding) the worker's wrangler.jsonc. */
  bindings?: Record<string, unknown>;
  /** Other miniflare options: service bindings, outbound service, ... */
  miniflare?: Omit<Miniflare, "bindings">;
  /** Migrations folder of the worker's D1 `DB`: read here, applied before every file. */
  d1Migrations?: string;
  /** More setup files, after the D1 one. */
  setupFiles?: string[];
}

/**
 * The one vitest config of every worker's suite: the worker's own wrangler.jsonc inside workerd,
 * its D1 migrated before each file, tests under `test/`, and in CI a JSON report that
 * `pnpm test` adds up.
 */
export async function workerSuite(options: WorkerSuiteOptions): Promise<ViteUserConfig> {
  const migrations =
    options.d1Migrations === undefined
      ? undefined
      : await readD1Migrations(join(options.root, options.d1Migrations));
  return defineConfig({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: join(options.root, "wrangler.jsonc") },
        miniflare: {
          ...options.miniflare,
          bindings: {
            ...(migrations === undefined ? {} : { TEST_MIGRATIONS: migrations }),
            ...options.bindings,
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: [
        ...(migrations === undefined ? [] : ["@edge-async/testing/apply-migrations"]),
        ...(options.setupFiles ?? []),
      ],
      reporters: testReporters(),
      onConsoleLog: quietStructuredLogs,
      // CI runs every package's suite at once on two cores: a fuzz test that takes 2 s alone can
      // take 10 s there. Time limits only catch hangs; speed is measured by `pnpm bench`.
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  });
}

/**
 * Leaves the workers' structured log lines (`{"event":…}`, one per request, job run and upstream
 * call) out of the test report, where thousands would bury it; the observability tests capture
 * `console.log` to check them. Everything else is shown.
 */
export function quietStructuredLogs(log: string, type: "stdout" | "stderr"): false | undefined {
  return type === "stdout" && log.startsWith('{"event":') ? false : undefined;
}

/** The default reporter, plus in CI the JSON report `pnpm test` adds up. */
export function testReporters(): NonNullable<NonNullable<ViteUserConfig["test"]>["reporters"]> {
  return process.env.CI
    ? ["default", ["json", { outputFile: ".test-results/vitest.json" }]]
    : ["default"];
}

/**
 * The `API_KEYS` secret for a suite's fixed test keys (`ea_<id>_<secret>`): each key's SHA-256,
 * never the key itself, as a deployed worker holds them.
 */
export function apiKeysBinding(keys: Record<string, { key: string; scopes: readonly string[] }>) {
  return JSON.stringify(
    Object.entries(keys).map(([name, { key, scopes }]) => ({
      id: key.slice(3, key.indexOf("_", 3)),
      name,
      sha256: createHash("sha256").update(key).digest("hex"),
      scopes,
    })),
  );
}
