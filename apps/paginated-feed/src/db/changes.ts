import { and, asc, eq, gt } from "drizzle-orm";
import type { FeedDb } from "./feed-store.ts";
import { findItem } from "./feed-store.ts";
import { type ItemRow, itemChanges, items } from "./schema.ts";

/** One entry of the changes log: the item's current row, or its tombstone. */
export type StoredChange =
  | { seq: number; id: number; deleted: false; row: ItemRow }
  | { seq: number; id: number; deleted: true; deletedAt: number };

/** Changes of one page and the log position after them. */
export interface StoredChanges {
  changes: StoredChange[];
  /** The `seq` of the last change read (`after` when none): the next call's position. */
  last: number;
  hasMore: boolean;
}

/**
 * The SELECT of one page of the changes log: entries with `seq > after` in `seq` order, each
 * joined to its item's row (none for a tombstone). A keyset walk over the log's INTEGER PRIMARY
 * KEY, and one primary-key lookup per entry: no sort, no scan.
 *
 * @example
 * ```ts
 * const { sql } = selectChanges(db, 0, 101).toSQL();
 * ```
 */
export function selectChanges(db: FeedDb, after: number, fetch: number) {
  return db
    .select({ change: itemChanges, row: items })
    .from(itemChanges)
    .leftJoin(items, eq(items.id, itemChanges.itemId))
    .where(gt(itemChanges.seq, after))
    .orderBy(asc(itemChanges.seq))
    .limit(fetch);
}

/**
 * Reads up to `limit` changes after log position `after`; one statement, so one consistent
 * view. An item changed again while a mirror pages moves to the end of the log, where a later
 * page finds it: nothing is skipped, and every item comes with its state at read time.
 *
 * @example
 * ```ts
 * const page = await readChanges(db, 0, 100);
 * const next = await readChanges(db, page.last, 100);
 * ```
 */
export async function readChanges(
  db: FeedDb,
  after: number,
  limit: number,
): Promise<StoredChanges> {
  const rows = await selectChanges(db, after, limit + 1);
  const hasMore = rows.length > limit;
  if (hasMore) rows.length = limit;
  const changes = rows.map(({ change, row }): StoredChange => {
    // Triggers write the log in the write's transaction: a live entry always has its row.
    if (change.deletedAt === null && row !== null) {
      return { seq: change.seq, id: change.itemId, deleted: false, row };
    }
    return {
      seq: change.seq,
      id: change.itemId,
      deleted: true,
      deletedAt: change.deletedAt ?? 0,
    };
  });
  return { changes, last: changes.at(-1)?.seq ?? after, hasMore };
}

/** Why {@link deleteItem} deleted nothing. */
export type DeleteRefusal = "not-found" | "not-owner";

/**
 * Deletes item `id` if `writer` owns it (or may overwrite any item); the delete trigger leaves
 * its tombstone in the same transaction. Owners never change once stored, so the follow-up read
 * that tells "unknown" from "someone else's" cannot be fooled by a concurrent write.
 *
 * @example
 * ```ts
 * const refusal = await deleteItem(db, 42, { id: "ci", overwritesAny: false });
 * ```
 */
export async function deleteItem(
  db: FeedDb,
  id: number,
  writer: { id: string; overwritesAny: boolean },
): Promise<DeleteRefusal | null> {
  const mine = writer.overwritesAny ? undefined : eq(items.owner, writer.id);
  const deleted = await db
    .delete(items)
    .where(and(eq(items.id, id), mine))
    .returning({ id: items.id });
  if (deleted.length > 0) return null;
  return (await findItem(db, id)) === undefined ? "not-found" : "not-owner";
}
