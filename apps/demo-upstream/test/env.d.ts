declare namespace Cloudflare {
  interface GlobalProps {
    // Types `exports.default` (the worker under test) for `import { exports } from "cloudflare:workers"`.
    mainModule: typeof import("../src/index.ts");
  }
}
