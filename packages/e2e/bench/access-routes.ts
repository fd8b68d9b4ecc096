/**
 * The routes bench/access-cost.ts measures, and what each app's worker needs to serve them in
 * production mode: its state prepared, its bindings (abuse limits raised far past what the bench
 * sends, in both arms alike), and the one request repeated.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { seed } from "../../../apps/paginated-feed/scripts/seed.ts";
import type { Scope } from "../../http/src/access/scopes.ts";
import type { Answer, Target } from "./load.ts";

/** Far past what the bench sends: no limiter or cap refuses during the run. */
export const UNLIMITED = 1_000_000;
const FEED_ITEMS = 1_000;
const repoRoot = join(import.meta.dirname, "..", "..", "..");
const wranglerBin = join(
  dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
  "bin",
  "wrangler.js",
);

export type Bindings = Record<string, unknown>;

/** One app's route under test, and what its worker needs to serve it in production mode. */
export interface RouteBench {
  app: "paginated-feed" | "queue-worker";
  /** The route as the table names it. */
  label: string;
  scopes: Scope[];
  /** Fills a fresh state folder: migrations, and data where the route reads some. */
  prepare(persist: string): Promise<void>;
  bindings: Bindings;
  target(base: string, authorization: string): Target;
  /** Throws unless the two arms answered the same (where the answer is comparable). */
  same?(withAccess: Answer, withoutAccess: Answer): void;
}

const wranglerCli = promisify(execFile);
const randomSecret = () =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

export const ROUTES: RouteBench[] = [
  {
    app: "paginated-feed",
    label: "GET /v1/items?limit=20",
    scopes: ["feed:read"],
    prepare: async (persist) => {
      await seed({ count: FEED_ITEMS, persistTo: persist });
    },
    bindings: {
      FEED_READS_PRIVATE: { type: "plain_text", value: "true" },
      CURSOR_SECRET: { type: "secret_text", value: randomSecret() },
      READ_REQUESTS_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
      WRITE_REQUESTS_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
    },
    target: (base, authorization) => ({
      url: `${base}/v1/items?limit=20`,
      method: "GET",
      headers: { authorization },
      expect: 200,
    }),
    same: (a, b) => {
      const ids = (answer: Answer) =>
        JSON.stringify(
          (JSON.parse(answer.body) as { items: { id: number }[] }).items.map((i) => i.id),
        );
      if (ids(a) !== ids(b) || ids(a) === "[]")
        throw new Error("the two feeds differ or are empty");
    },
  },
  {
    app: "queue-worker",
    label: "POST /v1/jobs (simulate)",
    scopes: ["jobs:write"],
    prepare: async (persist) => {
      await wranglerCli(
        process.execPath,
        [wranglerBin, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist],
        { cwd: join(repoRoot, "apps", "queue-worker"), env: { ...process.env, CI: "1" } },
      );
    },
    bindings: {
      MAX_JOBS_PER_KEY_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
      MAX_QUEUED_JOBS_PER_KEY: { type: "plain_text", value: String(UNLIMITED) },
      WRITE_REQUESTS_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
      READ_REQUESTS_PER_MINUTE: { type: "plain_text", value: String(UNLIMITED) },
      // Only `simulate` jobs are sent: no paginated-feed needs to run beside this one.
      FEED: { type: "plain_text", value: "unused by simulate jobs" },
    },
    target: (base, authorization) => ({
      url: `${base}/v1/jobs`,
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      // An hour's delay keeps the consumer idle: only the enqueue is measured.
      body: JSON.stringify({
        type: "simulate",
        payload: { durationMs: 0, failureRate: 0 },
        delaySeconds: 3600,
      }),
      expect: 202,
    }),
  },
];
