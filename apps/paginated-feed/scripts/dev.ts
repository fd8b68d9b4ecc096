/**
 * `pnpm dev` for this worker: migrate the local D1 database, seed it when it is empty, print the
 * development key, then run `wrangler dev` (port 8788, inspector 9231, from wrangler.jsonc) in the
 * development environment. Extra arguments go to wrangler.
 */
import { spawn } from "node:child_process";
import { DEV_API_KEY } from "./dev-key.ts";
import { seed } from "./seed.ts";
import { countLocalItems, migrateLocal, packageDir, wranglerBin } from "./wrangler.ts";

const DEV_SEED_COUNT = 10_000;

await migrateLocal();
const existing = await countLocalItems();
if (existing === 0) {
  console.log(`[paginated-feed] empty local database: seeding ${DEV_SEED_COUNT} items`);
  await seed({ count: DEV_SEED_COUNT, log: (line) => console.log(`[paginated-feed] ${line}`) });
} else {
  console.log(`[paginated-feed] local database holds ${existing} items`);
}

console.log(
  `[paginated-feed] development: reads are public; the ingest needs a key. Send\n  Authorization: Bearer ${DEV_API_KEY}\n(the development key, every scope, refused outside ENVIRONMENT=development)`,
);

// Development accepts the development key and the built-in dev cursor secret (see src/config.ts).
const args = [
  "dev",
  "--var",
  "ENVIRONMENT:development",
  ...process.argv.slice(2).filter((arg) => arg !== "--"),
];
const child = spawn(process.execPath, [wranglerBin, ...args], {
  cwd: packageDir,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
