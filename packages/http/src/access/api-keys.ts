import * as z from "zod";
import { ConfigError } from "../config.ts";
import { expandScopes, type Principal, SCOPES, type Scope } from "./scopes.ts";

const PREFIX = "ea_";
const ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
// base64url; 22 characters carry 132 bits, so no accepted secret is shorter than 128 bits.
const SECRET = /^[A-Za-z0-9_-]{22,256}$/;
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
const BASE64URL_DIGEST = /^[A-Za-z0-9_-]{43}$/;

/**
 * The key `pnpm dev` accepts when the worker runs with `ENVIRONMENT=development` and no
 * `API_KEYS`: id `dev`, every scope. It is public (it is in this file and the README), so it is
 * refused whenever `ENVIRONMENT` is anything but `development`.
 *
 * @example
 * ```ts
 * import { DEV_API_KEY } from "@edge-async/http";
 * await fetch("http://127.0.0.1:8788/v1/jobs", { headers: { authorization: `Bearer ${DEV_API_KEY}` } });
 * ```
 */
export const DEV_API_KEY = "ea_dev_local-development-only-never-deploy";
const DEV_API_KEY_SHA256 = "c066790abc77971f1889ccc1bed70f8fc52273951b872a5b584033c7a9421c8b";

/**
 * One entry of the `API_KEYS` secret (a JSON array of these): the key's id (the part after `ea_`,
 * stored as the owner of what the key writes), a name for people, the SHA-256 of the whole key
 * (64 hex digits or 43 base64url characters), its scopes and, optionally, when it was made.
 *
 * @example
 * ```ts
 * import { apiKeyEntrySchema } from "@edge-async/http";
 * apiKeyEntrySchema.parse({ id: "ci", name: "CI", sha256: "ab".repeat(32), scopes: ["feed:write"] });
 * ```
 */
export const apiKeyEntrySchema = z.strictObject({
  id: z.string().regex(ID, "must be 1-32 lowercase letters, digits or hyphens"),
  name: z.string().min(1).max(200),
  sha256: z
    .string()
    .refine(
      (value) => HEX_DIGEST.test(value) || BASE64URL_DIGEST.test(value),
      "must be the key's SHA-256 as 64 hex digits or 43 base64url characters",
    ),
  scopes: z.array(z.enum(SCOPES)).min(1),
  createdAt: z.iso.datetime({ offset: true }).optional(),
});

/** One entry of `API_KEYS`, as {@link apiKeyEntrySchema} accepts it. */
export type ApiKeyEntry = z.output<typeof apiKeyEntrySchema>;

/**
 * The whole `API_KEYS` secret: entries with unique ids and unique digests.
 *
 * @example
 * ```ts
 * import { apiKeysSchema } from "@edge-async/http";
 * const entries = apiKeysSchema.parse([]);
 * ```
 */
export const apiKeysSchema = z.array(apiKeyEntrySchema).superRefine((entries, ctx) => {
  const ids = new Set<string>();
  const digests = new Set<string>();
  entries.forEach((entry, index) => {
    if (ids.has(entry.id))
      ctx.addIssue({ code: "custom", path: [index, "id"], message: "repeats an earlier id" });
    const digest =
      entry.sha256.length === 64 ? entry.sha256.toLowerCase() : toHex(digestBytes(entry.sha256));
    if (digests.has(digest))
      ctx.addIssue({ code: "custom", path: [index, "sha256"], message: "repeats an earlier key" });
    ids.add(entry.id);
    digests.add(digest);
  });
});

/** The keys a worker accepts, parsed from `API_KEYS`; verify presented keys with {@link verifyApiKey}. */
export interface KeyRing {
  readonly entries: readonly {
    id: string;
    name: string;
    scopes: readonly Scope[];
    digest: Uint8Array;
  }[];
}

const rings = new Map<string, KeyRing | ConfigError>();

/**
 * Parses the `API_KEYS` secret once per isolate (remembered by its text, so a rotated secret is
 * parsed again). A secret that is not a valid array throws {@link ConfigError} naming the entry and
 * field; the message never quotes the secret's text.
 *
 * @param raw the secret's value: a JSON array of {@link ApiKeyEntry}
 * @throws {ConfigError} for `API_KEYS` when the text is not JSON or an entry is wrong
 * @example
 * ```ts
 * import { parseApiKeys } from "@edge-async/http";
 * const ring = parseApiKeys('[{"id":"ci","name":"CI","sha256":"' + "ab".repeat(32) + '","scopes":["feed:write"]}]');
 * console.assert(ring.entries[0]?.id === "ci");
 * ```
 */
export function parseApiKeys(raw: string): KeyRing {
  let ring = rings.get(raw);
  if (ring === undefined) {
    ring = parseRing(raw);
    // A handful of texts at most (tests, rotations): keep the newest few.
    if (rings.size >= 8) rings.delete(rings.keys().next().value as string);
    rings.set(raw, ring);
  }
  if (ring instanceof ConfigError) throw ring;
  return ring;
}

function parseRing(raw: string): KeyRing | ConfigError {
  let document: unknown;
  try {
    document = JSON.parse(raw);
  } catch {
    // JSON.parse's message quotes the text, which may hold a key pasted by mistake.
    return new ConfigError("API_KEYS", "is not valid JSON (expected an array of key entries)");
  }
  const result = apiKeysSchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = `/${(issue?.path ?? []).map(String).join("/")}`;
    return new ConfigError("API_KEYS", `entry ${where}: ${issue?.message ?? "is invalid"}`);
  }
  return {
    entries: result.data.map((entry) => ({
      id: entry.id,
      name: entry.name,
      scopes: expandScopes(entry.scopes),
      digest: digestBytes(entry.sha256),
    })),
  };
}

/**
 * The key ring of the development environment: {@link DEV_API_KEY} with every scope.
 *
 * @example
 * ```ts
 * import { DEV_API_KEY, developmentKeyRing, verifyApiKey } from "@edge-async/http";
 * console.assert((await verifyApiKey(developmentKeyRing(), DEV_API_KEY))?.id === "dev");
 * ```
 */
export function developmentKeyRing(): KeyRing {
  return {
    entries: [
      {
        id: "dev",
        name: "development key",
        scopes: expandScopes(SCOPES),
        digest: digestBytes(DEV_API_KEY_SHA256),
      },
    ],
  };
}

/**
 * The principal a presented API key belongs to, or `undefined`. The key is hashed and its digest
 * compared in constant time with every entry, whatever its shape: an unknown id, a wrong secret
 * and a malformed key take the same work and give the same answer.
 *
 * @example
 * ```ts
 * import { DEV_API_KEY, developmentKeyRing, verifyApiKey } from "@edge-async/http";
 * console.assert((await verifyApiKey(developmentKeyRing(), `${DEV_API_KEY}x`)) === undefined);
 * ```
 */
export async function verifyApiKey(
  ring: KeyRing,
  presented: string,
): Promise<Principal | undefined> {
  const digest = await sha256(presented);
  let match: KeyRing["entries"][number] | undefined;
  for (const entry of ring.entries) {
    // No early exit: every entry is compared, so timing does not depend on which one matched.
    if (constantTimeEqual(digest, entry.digest)) match = entry;
  }
  return match === undefined
    ? undefined
    : { id: match.id, name: match.name, scopes: match.scopes, kind: "api-key" };
}

/**
 * A new API key and the `API_KEYS` entry that accepts it. The key, `ea_<id>_<secret>`, carries 256
 * random bits of secret from `crypto.getRandomValues`; show it once, store only the entry.
 *
 * @param options `id` defaults to 12 random hex digits; `now` stamps `createdAt`
 * @example
 * ```ts
 * import { createApiKey } from "@edge-async/http";
 * const { key, entry } = await createApiKey({ name: "ci", scopes: ["feed:write"] });
 * console.assert(key.startsWith(`ea_${entry.id}_`));
 * ```
 */
export async function createApiKey(options: {
  name: string;
  scopes: readonly Scope[];
  id?: string;
  now?: Date;
}): Promise<{ key: string; entry: ApiKeyEntry }> {
  const id = options.id ?? toHex(crypto.getRandomValues(new Uint8Array(6)));
  const key = `${PREFIX}${id}_${toBase64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const entry = apiKeyEntrySchema.parse({
    id,
    name: options.name,
    sha256: toHex(await sha256(key)),
    scopes: [...new Set(options.scopes)],
    createdAt: (options.now ?? new Date()).toISOString(),
  });
  return { key, entry };
}

/**
 * Splits a key in this project's format, `ea_<id>_<secret>`, or answers `undefined` for anything
 * else. Use it to tell an API key from a JWT, never to decide whether a key is valid.
 *
 * @example
 * ```ts
 * import { parseApiKeyFormat } from "@edge-async/http";
 * console.assert(parseApiKeyFormat("ea_dev_local-development-only-never-deploy")?.id === "dev");
 * ```
 */
export function parseApiKeyFormat(key: string): { id: string; secret: string } | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const rest = key.slice(PREFIX.length);
  const split = rest.indexOf("_");
  if (split < 0) return undefined;
  const id = rest.slice(0, split);
  const secret = rest.slice(split + 1);
  return ID.test(id) && SECRET.test(secret) ? { id, secret } : undefined;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const subtle = crypto.subtle as SubtleCrypto & {
    timingSafeEqual?: (a: Uint8Array, b: Uint8Array) => boolean;
  };
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  let difference = 0;
  for (let index = 0; index < a.byteLength; index += 1)
    difference |= (a[index] as number) ^ (b[index] as number);
  return difference === 0;
}

function digestBytes(sha: string): Uint8Array {
  if (!BASE64URL_DIGEST.test(sha) && !HEX_DIGEST.test(sha)) return new Uint8Array(0);
  if (HEX_DIGEST.test(sha))
    return Uint8Array.from(sha.match(/../g) as string[], (pair) => Number.parseInt(pair, 16));
  const base64 = sha.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(atob(`${base64}=`), (char) => char.charCodeAt(0));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function toBase64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}
