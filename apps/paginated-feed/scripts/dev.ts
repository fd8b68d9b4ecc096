/**
 * `pnpm dev` for this worker: migrate the local D1 database, seed it when it is empty, name the
 * development key (unless the root `pnpm dev` prints it for every worker), then run `wrangler dev`
 * (port 8788, inspector 9231, from wrangler.jsonc) in the development environment until Ctrl-C.
 * Extra arguments go to wrangler.
 */
// @ts-expect-error: a plain ESM helper shared by every worker's dev script, without types.
import { runWrangler, underRootDev } from "../../../scripts/dev-worker.mjs";
import { DEV_API_KEY } from "./dev-key.ts";
import { seed } from "./seed.ts";
import { countLocalItems, migrateLocal, packageDir } from "./wrangler.ts";

const DEV_SEED_COUNT = 10_000;
const log = (line: string) => console.log(`[paginated-feed] ${line}`);

await migrateLocal();
const existing = await countLocalItems();
if (existing === 0) {
  log(`empty local database: seeding ${DEV_SEED_COUNT.toLocaleString("en-US")} items`);
  await seed({ count: DEV_SEED_COUNT, log });
} else {
  log(`local database holds ${existing.toLocaleString("en-US")} items`);
}
if (!underRootDev) {
  log(`development: reads are public; the ingest needs Authorization: Bearer ${DEV_API_KEY}`);
}

// Development accepts the development key and the built-in dev cursor secret (see src/config.ts).
runWrangler(
  [
    "dev",
    "--var",
    "ENVIRONMENT:development",
    ...process.argv.slice(2).filter((arg) => arg !== "--"),
  ],
  packageDir,
);
