/** Bindings and variables of the paginated-feed worker (see wrangler.jsonc). */
export interface FeedEnv {
  /** The feed database (D1, schema in src/db/schema.ts). */
  DB: D1Database;
  /** "development" allows the built-in dev cursor secret; anything else requires CURSOR_SECRET. */
  ENVIRONMENT: string;
  /** HMAC key for pagination cursors, set with `wrangler secret put CURSOR_SECRET`. */
  CURSOR_SECRET?: string;
  /** "true" exposes the benchmark's OFFSET peer routes under /__bench. */
  ENABLE_BENCH_ROUTES?: string;
}

/** Hono environment type of every route of this worker. */
export interface FeedApp {
  Bindings: FeedEnv;
}
