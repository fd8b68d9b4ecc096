declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    ENVIRONMENT: string;
    CURSOR_SECRET?: string;
    ENABLE_BENCH_ROUTES?: string;
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
  interface GlobalProps {
    // Types `exports.default` (the worker under test) for `import { exports } from "cloudflare:workers"`.
    mainModule: typeof import("../src/index.ts");
  }
}
