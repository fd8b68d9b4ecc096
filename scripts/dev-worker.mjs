#!/usr/bin/env node
// One worker's `pnpm dev`: optionally applies the local D1 migrations (quietly, one line), names
// the development key when run on its own, then runs `wrangler <args>` until Ctrl-C, which ends
// it with status 0 (an interrupted dev server is not a failed command, so pnpm prints no
// ELIFECYCLE). Wrangler runs offline-quiet: no metrics, no Request.cf download (a stack trace
// when offline). The command after `--` is wrangler's arguments, or any command when it does not
// start with a wrangler subcommand (a wrapper that runs wrangler itself, with this environment).
//
//   node ../../scripts/dev-worker.mjs <name> [--migrate] [--key] [--after URL] -- dev [args...]
//   node ../../scripts/dev-worker.mjs <name> -- node scripts/wrapper.ts wrangler dev ...
//
// --after URL (repeatable) waits until URL/healthz answers: a worker whose service bindings
// target others starts once they are registered, so it prints its bindings once, connected.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** The environment every wrangler of `pnpm dev` runs in. */
export function devEnv(extra = {}) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    // The banner's update notice would ask to move off the version the workspace pins.
    WRANGLER_HIDE_BANNER: "true",
    ...extra,
  };
}

/** True under the root `pnpm dev`, which prints the URLs and the key once for every worker. */
export const underRootDev = process.env.EDGE_ASYNC_DEV_SUMMARY === "1";

/** wrangler's CLI entry as installed for the package in `cwd`. */
export function wranglerBin(cwd) {
  const require = createRequire(join(cwd, "package.json"));
  return join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/** The development key, from @edge-async/http as the package in `cwd` resolves it. */
export async function devApiKey(cwd) {
  const require = createRequire(join(cwd, "package.json"));
  const http = await import(pathToFileURL(require.resolve("@edge-async/http")).href);
  return http.DEV_API_KEY;
}

function capture(args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin(cwd), ...args], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(output))));
  });
}

/**
 * Applies the local D1 migrations of binding `DB` without wrangler's confirmation prompt and its
 * non-interactive fallback notice, and says in one line what it did.
 */
export async function migrateLocal(name, cwd) {
  // CI=1: wrangler skips the confirmation; its output is summarised, not shown.
  const output = await capture(
    ["d1", "migrations", "apply", "DB", "--local"],
    cwd,
    devEnv({ CI: "1", WRANGLER_LOG: "log" }),
  ).catch((error) => {
    console.error(`[${name}] applying the local D1 migrations failed:\n${error.message}`);
    process.exit(1);
  });
  const applied = [...new Set(output.match(/\d{4}_[\w-]+\.sql/g) ?? [])];
  console.log(
    applied.length === 0
      ? `[${name}] local D1 is up to date`
      : `[${name}] local D1: applied ${applied.length} migration(s): ${applied.join(", ")}`,
  );
}

/**
 * Runs `wrangler <args>` (or, when `args[0]` is not `dev`, the command `args`) in `cwd` with the
 * terminal; exits with its status, or 0 after Ctrl-C or SIGTERM.
 */
export function runWrangler(args, cwd) {
  const [command, ...rest] =
    args[0] === "dev" ? [process.execPath, wranglerBin(cwd), ...args] : args;
  const child = spawn(command, rest, { cwd, env: devEnv(), stdio: "inherit" });
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      stopping = true;
      child.kill(signal);
    });
  }
  child.on("exit", (code) => process.exit(stopping ? 0 : (code ?? 1)));
}

/** Resolves once `url`/healthz answers 200 (one request at a time; wrangler holds it until ready). */
export async function waitHealthy(url) {
  for (;;) {
    const ok = await fetch(new URL("/healthz", url)).then(
      async (response) => {
        await response.body?.cancel();
        return response.status === 200;
      },
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

if (import.meta.main) {
  const separator = process.argv.indexOf("--");
  const own = process.argv.slice(2, separator === -1 ? undefined : separator);
  const args = separator === -1 ? ["dev"] : process.argv.slice(separator + 1);
  const [name = "worker"] = own;
  const cwd = process.cwd();
  if (own.includes("--migrate")) await migrateLocal(name, cwd);
  // Every `--after URL` given: a worker bound to several others waits for all of them.
  const afters = own.flatMap((flag, at) => (flag === "--after" ? [own[at + 1]] : []));
  await Promise.all(afters.map((url) => waitHealthy(url)));
  if (own.includes("--key") && !underRootDev) {
    console.log(`[${name}] development key: Authorization: Bearer ${await devApiKey(cwd)}`);
  }
  runWrangler(args, cwd);
}
