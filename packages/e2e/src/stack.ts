/**
 * Starts every worker the way `pnpm dev` does (`wrangler dev`, development settings, local D1
 * migrated, local queues, service bindings through wrangler's dev registry) but on free ports,
 * with its own HOME (so its dev registry never meets a running `pnpm dev`) and its own state
 * folder, and stops everything it started.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

/** The workers of the system, in the order they start. */
export const WORKERS = [
  "demo-upstream",
  "paginated-feed",
  "queue-worker",
  "fetch-aggregator",
  "console",
] as const;
export type WorkerName = (typeof WORKERS)[number];

/** A running system: each worker's base URL, and how to stop it all. */
export interface Stack {
  urls: Record<WorkerName, string>;
  /** Everything the workers printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

export const repoRoot = join(import.meta.dirname, "..", "..", "..");
const require = createRequire(import.meta.url);
const wranglerBin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const run = promisify(execFile);

const D1_WORKERS = new Set<WorkerName>(["paginated-feed", "queue-worker"]);
const DOCS_WORKERS = new Set<WorkerName>(["paginated-feed", "queue-worker", "fetch-aggregator"]);
/** How many items `pnpm dev` seeds into an empty feed (apps/paginated-feed/scripts/dev.ts). */
const DEV_SEED_COUNT = 10_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** What `pnpm dev` passes each worker, with the demo upstream's fixed port replaced by its own. */
function devArgs(name: WorkerName, ports: Record<WorkerName, number>): string[] {
  const upstream = `127.0.0.1:${ports["demo-upstream"]}`;
  switch (name) {
    case "paginated-feed":
      return ["--var", "ENVIRONMENT:development"];
    case "console":
      return ["--env", "dev"];
    case "queue-worker":
      return [
        "--var",
        "ENVIRONMENT:development",
        "--var",
        "ALLOW_PRIVATE_NETWORKS:true",
        "--var",
        `ALLOWED_HOSTS:${upstream},localhost:${ports["demo-upstream"]}`,
      ];
    case "fetch-aggregator":
      return [
        "--env",
        "dev",
        "--var",
        `ALLOWED_HOSTS:${JSON.stringify([upstream, `localhost:${ports["demo-upstream"]}`])}`,
        "--var",
        `VIEWS:${JSON.stringify(demoViews(upstream))}`,
      ];
    default:
      return [];
  }
}

/** The dev environment's views of fetch-aggregator, pointed at this stack's demo upstream. */
function demoViews(upstream: string) {
  return {
    dashboard: {
      description: "A user, their recent orders and their recommendations.",
      parts: {
        user: `http://${upstream}/users/{userId}`,
        orders: `http://${upstream}/users/{userId}/orders?limit=3&delay=150`,
        recommendations: `http://${upstream}/users/{userId}/recommendations?delay=300`,
      },
      deadlineMs: 2000,
      cacheTtlSeconds: 10,
    },
    order: {
      description: "An order with its buyer.",
      parts: {
        order: `http://${upstream}/orders/{orderId}`,
        buyer: `http://${upstream}/users/{userId}`,
      },
    },
  };
}

async function waitHealthy(
  url: string,
  child: ChildProcess,
  printed: () => string,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    signal.throwIfAborted();
    if (child.exitCode !== null) throw new Error(`${url}: wrangler exited ${child.exitCode}`);
    // wrangler dev keeps running (and waits for a file change) after a failed build.
    if (printed().includes("Build failed")) throw new Error(`${url}: the worker did not build`);
    try {
      const response = await fetch(new URL("/healthz", url), { signal });
      if (response.status === 200) return;
      await response.body?.cancel();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      void error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Starts the workers named in `workers` (all by default). Rejects, after stopping what it
 * started, when one is not healthy within `timeoutMs` or `signal` aborts.
 */
export async function startStack(
  options: { workers?: readonly WorkerName[]; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Stack> {
  const workers = options.workers ?? WORKERS;
  const root = mkdtempSync(join(tmpdir(), "edge-async-e2e-"));
  const home = join(root, "home");
  mkdirSync(home);
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    WRANGLER_SEND_METRICS: "false",
    // miniflare would fetch Request.cf's data from workers.cloudflare.com: offline, a stack trace.
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG: "warn",
    CI: "1",
  };
  const ports = Object.fromEntries(
    await Promise.all(WORKERS.map(async (name) => [name, await freePort()] as const)),
  ) as Record<WorkerName, number>;
  const urls = Object.fromEntries(
    WORKERS.map((name) => [name, `http://127.0.0.1:${ports[name]}`]),
  ) as Record<WorkerName, string>;
  const children: ChildProcess[] = [];
  let output = "";
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(root, { recursive: true, force: true });
  };
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs ?? 120_000),
    ...(options.signal ? [options.signal] : []),
  ]);
  try {
    await Promise.all(
      workers.map(async (name) => {
        const cwd = join(repoRoot, "apps", name);
        const persist = join(root, "state", name);
        if (DOCS_WORKERS.has(name)) {
          await run(
            process.execPath,
            [join(repoRoot, "packages/http/scripts/docs-assets.ts"), "public"],
            { cwd },
          );
        }
        if (name === "console") {
          // Its htmx, uPlot and own script, copied into public/ as its dev script does.
          await run(process.execPath, ["scripts/assets.ts"], { cwd });
        }
        if (D1_WORKERS.has(name)) {
          await run(
            process.execPath,
            [wranglerBin, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist],
            { cwd, env, signal },
          );
        }
        if (name === "paginated-feed") {
          // As `pnpm dev` seeds an empty feed: the READMEs' examples show that data.
          await run(
            process.execPath,
            ["scripts/seed.ts", "--count", String(DEV_SEED_COUNT), "--persist-to", persist],
            { cwd, env, signal },
          );
        }
        const inspector = await freePort();
        const child = spawn(
          process.execPath,
          [
            wranglerBin,
            "dev",
            "--ip",
            "127.0.0.1",
            "--port",
            String(ports[name]),
            "--inspector-port",
            String(inspector),
            "--persist-to",
            persist,
            "--show-interactive-dev-session=false",
            ...devArgs(name, ports),
          ],
          { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
        );
        children.push(child);
        let printed = "";
        const collect = (chunk: Buffer) => {
          printed += chunk.toString();
          output += `[${name}] ${chunk.toString()}`;
        };
        child.stdout?.on("data", collect);
        child.stderr?.on("data", collect);
        await waitHealthy(urls[name], child, () => printed, signal);
      }),
    );
  } catch (error) {
    await stop();
    throw new Error(`the stack did not start: ${(error as Error).message}\n${output}`);
  }
  return { urls, output: () => output, stop };
}

/** Ends a wrangler process and the workerd it started (its process group). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
