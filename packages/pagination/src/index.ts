/**
 * Keyset pagination for the D1 workers: signed opaque cursors bound to their filters, the shared
 * page shape with RFC 8288 `Link` headers, and drizzle conditions that seek past a cursor.
 *
 * @module
 */
export * from "./cursor.ts";
export * from "./keyset.ts";
export * from "./page.ts";
