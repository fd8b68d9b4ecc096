import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The package folder (where wrangler.jsonc lives). */
export const packageDir = join(import.meta.dirname, "..");

const require = createRequire(import.meta.url);
/** wrangler's CLI entry, run with this same Node (no shell, no PATH lookups). */
export const wranglerBin = join(
  dirname(require.resolve("wrangler/package.json")),
  "bin",
  "wrangler.js",
);

export interface RunOptions {
  /** Show wrangler's output as it runs instead of capturing it. */
  inherit?: boolean;
}

/**
 * Runs `wrangler <args>` in the package folder; resolves with its stdout, rejects with its output
 * when it exits non-zero.
 */
export function wrangler(args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args], {
      cwd: packageDir,
      // Output is captured; `--json` answers go through wrangler's "log" level, so a caller's
      // quieter WRANGLER_LOG would empty them.
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", WRANGLER_LOG: "log" },
      stdio: options.inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`wrangler ${args.join(" ")} exited ${code}\n${stdout}\n${stderr}`));
    });
  });
}

/** `--persist-to <dir>` when a bench-only (or other) state folder is wanted, else nothing. */
export function persistArgs(persistTo: string | undefined): string[] {
  return persistTo === undefined ? [] : ["--persist-to", persistTo];
}

/** Applies the migrations to the local D1 database. */
export async function migrateLocal(persistTo?: string): Promise<void> {
  await wrangler(["d1", "migrations", "apply", "DB", "--local", ...persistArgs(persistTo)]);
}

/** How many items the local D1 database holds. */
export async function countLocalItems(persistTo?: string): Promise<number> {
  const out = await wrangler([
    "d1",
    "execute",
    "DB",
    "--local",
    "--json",
    "--command",
    "SELECT count(*) AS n FROM items",
    ...persistArgs(persistTo),
  ]);
  const parsed = JSON.parse(out) as { results: { n: number }[] }[];
  return parsed[0]?.results[0]?.n ?? 0;
}
