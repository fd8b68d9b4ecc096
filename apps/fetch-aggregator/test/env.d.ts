declare global {
  namespace Cloudflare {
    // The worker's own bindings come from worker-configuration.d.ts and src/env.ts.
    interface Env {
      /** A rate limiting binding of 3 calls per 60 s (vitest.config.ts), for the 429 tests. */
      SMALL_LIMITER: RateLimit;
    }
  }
}

export {};
