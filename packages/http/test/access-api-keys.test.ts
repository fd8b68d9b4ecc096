import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  apiKeysSchema,
  ConfigError,
  createApiKey,
  DEV_API_KEY,
  developmentKeyRing,
  expandScopes,
  parseApiKeyFormat,
  parseApiKeys,
  runKeysCommand,
  SCOPES,
  verifyApiKey,
} from "../src/index.ts";

const hex = async (text: string) =>
  Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");

const configMessage = (raw: string): string => {
  try {
    parseApiKeys(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
};

describe("API keys", () => {
  it("are ea_<id>_<secret> with 256 random bits of base64url secret, and verify through their entry", async () => {
    const { key, entry } = await createApiKey({
      name: "ci",
      scopes: ["feed:write"],
      now: new Date(0),
    });
    const parts = parseApiKeyFormat(key);
    expect(parts?.id).toBe(entry.id);
    expect(parts?.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(entry).toEqual({
      id: entry.id,
      name: "ci",
      sha256: await hex(key),
      scopes: ["feed:write"],
      createdAt: "1970-01-01T00:00:00.000Z",
    });
    const ring = parseApiKeys(JSON.stringify([entry]));
    expect(await verifyApiKey(ring, key)).toEqual({
      id: entry.id,
      name: "ci",
      scopes: ["feed:write"],
      kind: "api-key",
    });
    const other = await createApiKey({ name: "ci", scopes: ["feed:write"] });
    expect(other.key).not.toBe(key);
    expect(other.entry.id).not.toBe(entry.id);
  });

  it("accept the digest as hex (either case) or base64url", async () => {
    const { key, entry } = await createApiKey({ name: "ci", scopes: ["jobs:admin"], id: "ci" });
    const bytes = Uint8Array.from(entry.sha256.match(/../g) ?? [], (pair) =>
      Number.parseInt(pair, 16),
    );
    const base64url = btoa(String.fromCharCode(...bytes))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    for (const sha256 of [entry.sha256, entry.sha256.toUpperCase(), base64url]) {
      const principal = await verifyApiKey(
        parseApiKeys(JSON.stringify([{ ...entry, sha256 }])),
        key,
      );
      expect(principal?.scopes).toEqual(["jobs:admin", "jobs:read", "jobs:write"]);
    }
  });

  it("give an unknown id, a wrong secret and a malformed key the same answer", async () => {
    const { key, entry } = await createApiKey({ name: "ci", scopes: ["aggregate"], id: "ci" });
    const ring = parseApiKeys(JSON.stringify([entry]));
    const secret = key.slice("ea_ci_".length);
    // A secret whose last character is not the key's: one in 16 keys already ends in "A".
    const otherLast = secret.endsWith("A") ? "E" : "A";
    const attempts = [
      `ea_nobody_${secret}`,
      `ea_ci_${secret.slice(0, -1)}${otherLast}`,
      key.slice(0, -1),
      "",
      "ea_ci",
      `${key} `,
    ];
    for (const attempt of attempts) expect(await verifyApiKey(ring, attempt)).toBeUndefined();
  });

  it("never verify a key that is not exactly one of the ring's (property)", async () => {
    const { key, entry } = await createApiKey({ name: "ci", scopes: ["feed:read"] });
    const ring = parseApiKeys(JSON.stringify([entry]));
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), async (candidate) => {
        fc.pre(candidate !== key);
        expect(await verifyApiKey(ring, candidate)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it("the development key carries every scope and is only in the development ring", async () => {
    const principal = await verifyApiKey(developmentKeyRing(), DEV_API_KEY);
    expect(principal?.id).toBe("dev");
    expect(principal?.scopes).toEqual([...SCOPES].sort());
    expect(parseApiKeyFormat(DEV_API_KEY)?.id).toBe("dev");
  });
});

describe("the API_KEYS secret", () => {
  const entry = { id: "ci", name: "CI", sha256: "ab".repeat(32), scopes: ["feed:write"] };

  it("is parsed once per isolate and text", () => {
    const raw = JSON.stringify([entry]);
    expect(parseApiKeys(raw)).toBe(parseApiKeys(raw));
    expect(
      parseApiKeys(JSON.stringify([entry, { ...entry, id: "cd", sha256: "cd".repeat(32) }])),
    ).not.toBe(parseApiKeys(raw));
  });

  it("names the entry and field that are wrong, without quoting the secret", () => {
    const key = "ea_leak_ThisIsAKeyPastedByMistake-0123456789";
    expect(configMessage(`[${key}]`)).toBe(
      "API_KEYS is not valid JSON (expected an array of key entries)",
    );
    expect(configMessage(JSON.stringify([{ ...entry, sha256: key }]))).toMatch(
      /^API_KEYS entry \/0\/sha256: /,
    );
    expect(configMessage(JSON.stringify([{ ...entry, scopes: ["feed:wrote"] }]))).toMatch(
      /\/0\/scopes\/0/,
    );
    expect(configMessage(JSON.stringify([entry, entry]))).toMatch(/\/1\/id: repeats an earlier id/);
    expect(configMessage(JSON.stringify([entry, { ...entry, id: "other" }]))).toMatch(
      /\/1\/sha256: repeats an earlier key/,
    );
    expect(configMessage(JSON.stringify({ keys: [] }))).toMatch(/^API_KEYS entry \/: /);
    expect(configMessage(JSON.stringify([{ ...entry, secret: key }]))).toMatch(/\/0/);
    for (const raw of [
      `[${key}]`,
      JSON.stringify([{ ...entry, sha256: key }]),
      JSON.stringify([{ ...entry, name: key, id: key }]),
    ]) {
      expect(configMessage(raw)).not.toContain(key);
      expect(configMessage(raw)).not.toContain("ThisIsAKey");
    }
  });

  it("accepts an empty array (no key is valid) and the documented entry shape", () => {
    expect(parseApiKeys("[]").entries).toEqual([]);
    expect(apiKeysSchema.safeParse([{ ...entry, createdAt: "2026-01-02T03:04:05Z" }]).success).toBe(
      true,
    );
  });
});

describe("scopes", () => {
  it("admin scopes imply their area's read and write; nothing else implies anything", () => {
    expect(expandScopes(["feed:admin"])).toEqual(["feed:admin", "feed:read", "feed:write"]);
    expect(expandScopes(["feed:write", "openid", "jobs:write"])).toEqual([
      "feed:write",
      "jobs:write",
    ]);
    expect(expandScopes(["aggregate"])).toEqual(["aggregate"]);
  });
});

describe("pnpm keys", () => {
  it("create prints the key once, its entry, the whole-array note and the wrangler line", async () => {
    const result = await runKeysCommand([
      "create",
      "--name",
      "ci",
      "--scopes",
      "feed:write,jobs:read",
      "--worker",
      "queue-worker",
    ]);
    expect(result.code).toBe(0);
    const key = /^ {2}(ea_\S+)$/m.exec(result.stdout)?.[1] as string;
    expect(result.stdout.split(key).length - 1).toBe(1);
    const line = result.stdout.split("\n").find((text) => text.trim().startsWith("{")) as string;
    const entry = JSON.parse(line) as { sha256: string; scopes: string[]; name: string };
    expect(entry.sha256).toBe(await hex(key));
    expect(entry.scopes).toEqual(["feed:write", "jobs:read"]);
    expect(await verifyApiKey(parseApiKeys(`[${line.trim()}]`), key)).toMatchObject({ name: "ci" });
    expect(result.stdout).toContain(
      "cd apps/queue-worker && pnpm exec wrangler secret put API_KEYS",
    );
    expect(result.stdout).toContain("API_KEYS holds the whole array");
  });

  it("refuses unknown scopes, workers and options with usage (exit 2)", async () => {
    for (const argv of [
      ["create", "--name", "ci", "--scopes", "feed:wrote"],
      ["create", "--name", "ci", "--scopes", "feed:read", "--worker", "nope"],
      ["create", "--scopes", "feed:read"],
      ["create", "--name", "ci", "--scope", "feed:read"],
      ["rotate"],
      [],
    ]) {
      const result = await runKeysCommand(argv);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("Usage: pnpm keys create");
    }
  });
});
