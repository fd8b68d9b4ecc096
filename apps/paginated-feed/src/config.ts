/**
 * The secret local development signs cursors with. It is public (it is in this file), so any
 * environment other than "development" must set CURSOR_SECRET as a secret.
 */
export const DEV_CURSOR_SECRET = "dev-only-cursor-secret";

/** What the handlers need from the bindings, parsed once per isolate by `withConfig`. */
export interface Config {
  /**
   * HMAC key for cursors; `undefined` outside development without CURSOR_SECRET, where only the
   * routes that sign or read cursors refuse (503 not-configured): ingest, item and export still
   * serve, so producers are not stopped by a missing listing secret.
   */
  cursorSecret: string | undefined;
  /** Whether the benchmark's routes under /__bench answer (ENABLE_BENCH_ROUTES = "true"). */
  benchRoutes: boolean;
}

/** Reads the worker's settings from its bindings; pure, so `withConfig` can keep the result. */
export function parseConfig(env: Cloudflare.Env): Config {
  const secret = env.CURSOR_SECRET;
  return {
    cursorSecret:
      secret !== undefined && secret !== ""
        ? secret
        : env.ENVIRONMENT === "development"
          ? DEV_CURSOR_SECRET
          : undefined,
    benchRoutes: env.ENABLE_BENCH_ROUTES === "true",
  };
}
