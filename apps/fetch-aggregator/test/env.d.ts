// Types `env` and `exports` from "cloudflare:workers" in the tests (the worker's vars are read
// through its own zod schema, so no binding types are needed here).
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../src/index.ts");
  }
}
