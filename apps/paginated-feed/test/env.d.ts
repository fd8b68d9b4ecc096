// The worker's bindings come from worker-configuration.d.ts (`wrangler types`) and src/env.ts;
// the tests add the migrations vitest.config.ts reads on the Node side.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
