// Printed by `pnpm dev` before wrangler starts: the key the development environment accepts.
import { DEV_API_KEY } from "@edge-async/http";

console.log(
  `queue-worker (development): every /v1 route needs a key; send\n  Authorization: Bearer ${DEV_API_KEY}\n(the development key, every scope, refused outside ENVIRONMENT=development)`,
);
