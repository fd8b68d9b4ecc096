import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    // The worker's own bindings come from worker-configuration.d.ts and src/env.ts.
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
