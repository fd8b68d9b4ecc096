import { count, sql } from "drizzle-orm";
import type { ParsedFilters } from "./contract.ts";
import { type FeedDb, filterWhere } from "./db/feed-store.ts";
import { items } from "./db/schema.ts";

/**
 * How far `?count=estimate` counts. Below it the total is exact for the walk's snapshot; at it the
 * answer is "at least COUNT_CAP". Counting reads at most COUNT_CAP + 1 rows of one index range (a
 * feed index, or the rowid for an unfiltered walk past its first page), never the whole table:
 * that bound is what D1 bills as rows read.
 */
export const COUNT_CAP = 10_000;

/** The total of a listing as answered: `exact: false` means "at least `count`". */
export interface TotalEstimate {
  count: number;
  exact: boolean;
}

/**
 * The bounded count: `count(*)` over at most COUNT_CAP + 1 matching rows, within the snapshot
 * when one is given (so every page of a walk counts the same items as its first page).
 *
 * @example
 * ```ts
 * const [{ n }] = await boundedCount(db, { topic: "rust" }, 10_000);
 * ```
 */
export function boundedCount(db: FeedDb, filters: ParsedFilters, snapshotMaxId?: number) {
  const capped = db
    .select({ one: sql`1`.as("one") })
    .from(items)
    .where(filterWhere(filters, snapshotMaxId))
    .limit(COUNT_CAP + 1)
    .as("capped");
  return db.select({ n: count() }).from(capped);
}

/** Turns the bounded count into the answer: exact below the cap, a lower bound at it. */
export function totalEstimate(counted: number): TotalEstimate {
  return counted > COUNT_CAP ? { count: COUNT_CAP, exact: false } : { count: counted, exact: true };
}
