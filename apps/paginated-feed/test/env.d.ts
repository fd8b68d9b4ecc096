// The worker's bindings come from worker-configuration.d.ts (`wrangler types`) and src/env.ts;
// the tests add the migrations vitest.config.ts reads on the Node side, and the small rate
// limiters test/access.test.ts swaps in (5 reads, 3 writes per 60 s).
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    TEST_READ_LIMITER: RateLimit;
    TEST_WRITE_LIMITER: RateLimit;
  }
}
