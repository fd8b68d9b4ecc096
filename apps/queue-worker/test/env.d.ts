import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    // The worker's own bindings come from worker-configuration.d.ts and src/env.ts.
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** A rate limiting binding of 3 requests per 60 s (vitest.config.ts), for the 429 tests. */
      SMALL_LIMITER: RateLimit;
    }
  }
}
