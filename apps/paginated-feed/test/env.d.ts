declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    ENVIRONMENT: string;
    CURSOR_SECRET?: string;
    ENABLE_BENCH_ROUTES?: string;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
