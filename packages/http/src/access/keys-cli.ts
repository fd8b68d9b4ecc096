import { createApiKey } from "./api-keys.ts";
import { SCOPES, type Scope } from "./scopes.ts";

/** The workers that read `API_KEYS`, by their directory under `apps/`. */
const WORKERS = ["paginated-feed", "queue-worker", "fetch-aggregator"] as const;

const USAGE = `Usage: pnpm keys create --name <name> --scopes <scope>[,<scope>...] [--worker <worker>] [--id <id>]

Scopes: ${SCOPES.join(", ")}
Workers: ${WORKERS.join(", ")}`;

/** What `pnpm keys` prints and its exit status: 0 done, 2 usage error. */
export interface KeysCommandResult {
  code: 0 | 2;
  stdout: string;
  stderr: string;
}

interface CreateArgs {
  name: string;
  scopes: Scope[];
  worker?: string;
  id?: string;
}

/**
 * Runs `pnpm keys <argv>`: `create` makes an API key and prints it once, with the `API_KEYS`
 * entry that accepts it and the `wrangler secret put API_KEYS` step (the secret holds the whole
 * array). Pure apart from the key's randomness, so the CLI wrapper (scripts/keys.ts) only prints.
 *
 * @param argv the arguments after `pnpm keys`, e.g. `["create", "--name", "ci", "--scopes", "feed:write"]`
 * @example
 * ```ts
 * import { runKeysCommand } from "@edge-async/http";
 * const { code, stdout } = await runKeysCommand(["create", "--name", "ci", "--scopes", "feed:write"]);
 * console.assert(code === 0 && stdout.includes("wrangler secret put API_KEYS"));
 * ```
 */
export async function runKeysCommand(
  argv: readonly string[],
  now?: Date,
): Promise<KeysCommandResult> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help") {
    return {
      code: command === undefined ? 2 : 0,
      stdout: command === undefined ? "" : `${USAGE}\n`,
      stderr: command === undefined ? `${USAGE}\n` : "",
    };
  }
  if (command !== "create") return usageError(`unknown command "${command}"`);
  const args = parseCreateArgs(rest);
  if (typeof args === "string") return usageError(args);
  const { key, entry } = await createApiKey({
    name: args.name,
    scopes: args.scopes,
    id: args.id,
    now,
  });
  const where = args.worker === undefined ? "apps/<worker>" : `apps/${args.worker}`;
  const json = JSON.stringify(entry);
  const stdout = [
    `New API key "${entry.name}" (id ${entry.id}), scopes ${entry.scopes.join(", ")}.`,
    "It is shown only now and stored nowhere: keep it in your secret manager.",
    "",
    `  ${key}`,
    "",
    "The entry that accepts it (it holds only the key's SHA-256):",
    "",
    `  ${json}`,
    "",
    "API_KEYS holds the whole array of entries: add this one to the array you already have",
    "(a first key's array is shown below), then set the whole array as the secret:",
    "",
    `  cd ${where} && pnpm exec wrangler secret put API_KEYS`,
    "",
    `  [${json}]`,
    "",
    `Callers send it as: Authorization: Bearer ${key.slice(0, key.indexOf("_", 3) + 1)}...`,
    "",
  ].join("\n");
  return { code: 0, stdout, stderr: "" };
}

function parseCreateArgs(argv: readonly string[]): CreateArgs | string {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 2) {
    const flag = argv[index] as string;
    const value = argv[index + 1];
    if (!["--name", "--scopes", "--worker", "--id"].includes(flag))
      return `unknown option "${flag}"`;
    if (value === undefined || value.startsWith("--")) return `${flag} needs a value`;
    values.set(flag, value);
  }
  const name = values.get("--name")?.trim();
  if (name === undefined || name === "") return "--name is required";
  const scopes = (values.get("--scopes") ?? "")
    .split(",")
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (scopes.length === 0) return "--scopes is required";
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) return `unknown scope ${unknown.join(", ")}`;
  const worker = values.get("--worker");
  if (worker !== undefined && !(WORKERS as readonly string[]).includes(worker))
    return `unknown worker "${worker}"`;
  const id = values.get("--id");
  if (id !== undefined && !/^[a-z0-9][a-z0-9-]{0,31}$/.test(id)) {
    return "--id must be 1-32 lowercase letters, digits or hyphens";
  }
  return { name, scopes: scopes as Scope[], worker, id };
}

function usageError(problem: string): KeysCommandResult {
  return { code: 2, stdout: "", stderr: `pnpm keys: ${problem}\n\n${USAGE}\n` };
}
