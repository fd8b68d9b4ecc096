/**
 * `pnpm keys create --name ci --scopes feed:write [--worker queue-worker]`: makes an API key,
 * prints it once with the `API_KEYS` entry and the `wrangler secret put` step. The logic lives
 * in packages/http (runKeysCommand), shared with the workers that verify the keys.
 */
import { runKeysCommand } from "../packages/http/src/access/keys-cli.ts";

const result = await runKeysCommand(process.argv.slice(2));
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
