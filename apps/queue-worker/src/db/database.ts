import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";

/** The drizzle handle every query takes. */
export type Database = DrizzleD1Database<Record<string, never>>;

/** A drizzle handle on the worker's D1 database. */
export function database(d1: D1Database): Database {
  return drizzle(d1);
}

/** A statement for one `db.batch()`: one D1 round trip, applied atomically. */
export type Statement = BatchItem<"sqlite">;

/**
 * Runs statements as one D1 batch (one round trip, one transaction); no-op when empty, since
 * `db.batch()` refuses an empty list.
 */
export async function runBatch(db: Database, statements: Statement[]): Promise<unknown[]> {
  const [first, ...rest] = statements;
  if (first === undefined) return [];
  return db.batch([first, ...rest]);
}
