/**
 * The API keys the tests send. vitest.config.ts puts their SHA-256 digests in the worker's
 * API_KEYS binding, so the tests run the production path (ENVIRONMENT "production", real keys);
 * the development key is refused there. Test-only values: never valid anywhere else.
 */
export const TEST_KEYS = {
  /** feed:read: reads a private feed, writes nothing. */
  reader: { key: "ea_reader_test-only-reader-key-00000000000", scopes: ["feed:read"] },
  /** feed:write: the ingest, and the owner of what it creates. */
  writer: { key: "ea_writer_test-only-writer-key-00000000000", scopes: ["feed:write"] },
  /** A second feed:write key, for ownership. */
  otherWriter: { key: "ea_other-writer_test-only-other-writer-key-000", scopes: ["feed:write"] },
  /** feed:admin: implies feed:read and feed:write, overwrites anyone's items, the bench routes. */
  admin: { key: "ea_admin_test-only-admin-key-000000000000000", scopes: ["feed:admin"] },
  /** Every scope but the feed's: a key of another worker. */
  outsider: {
    key: "ea_outsider_test-only-outsider-key-0000000000",
    scopes: ["jobs:read", "jobs:write", "jobs:admin", "aggregate"],
  },
} as const;

/** Which test key to send. */
export type TestKeyName = keyof typeof TEST_KEYS;

/** `{ authorization: "Bearer <key>" }` for a test key. */
export function bearer(name: TestKeyName): { authorization: string } {
  return { authorization: `Bearer ${TEST_KEYS[name].key}` };
}
