import { keysetAfter, type SortKey } from "@edge-async/pagination";
import { and, asc, desc, eq, gte, lt, lte, max, type SQL } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { ParsedFilters } from "../contract.ts";
import { type ItemRow, items } from "./schema.ts";

/** The drizzle handle every query of this worker goes through. */
export type FeedDb = DrizzleD1Database<Record<string, never>>;

/**
 * Opens the feed database.
 *
 * @example
 * ```ts
 * const db = feedDb(env.DB);
 * ```
 */
export function feedDb(d1: D1Database): FeedDb {
  return drizzle(d1);
}

/**
 * Where a walk stands: the sort key of the last item it returned, and the highest id that existed
 * when the walk began. Rows with a larger id were inserted after the walk began and are left out,
 * so inserts behind the position cannot shift later pages.
 */
export interface WalkPosition {
  publishedAt: number;
  id: number;
  snapshotMaxId: number;
}

/** Rows of one page and where the next page starts (`null` on the last page). */
export interface StoredPage {
  rows: ItemRow[];
  next: WalkPosition | null;
}

/**
 * Feed order: newest first, ties on publishedAt broken by the larger id.
 *
 * @example
 * ```ts
 * const where = keysetAfter(FEED_ORDER, [position.publishedAt, position.id]);
 * ```
 */
export const FEED_ORDER: readonly SortKey[] = [
  { column: items.publishedAt, direction: "desc" },
  { column: items.id, direction: "desc" },
];

function filterConditions(filters: ParsedFilters): SQL[] {
  const conditions: SQL[] = [];
  if (filters.topic !== undefined) conditions.push(eq(items.topic, filters.topic));
  if (filters.since !== undefined) conditions.push(gte(items.publishedAt, filters.since));
  if (filters.until !== undefined) conditions.push(lt(items.publishedAt, filters.until));
  return conditions;
}

/**
 * The SELECT of one page: `filters`, the walk's snapshot bound and keyset position when `after`
 * is given, feed order, `fetch` rows. Served by `items_feed_order_idx`, or by
 * `items_topic_feed_order_idx` with a topic, without a sort step.
 *
 * @example
 * ```ts
 * const { sql } = selectPage(db, { topic: "rust" }, undefined, 21).toSQL();
 * ```
 */
export function selectPage(
  db: FeedDb,
  filters: ParsedFilters,
  after: WalkPosition | undefined,
  fetch: number,
) {
  return db
    .select()
    .from(items)
    .where(pageWhere(filters, after))
    .orderBy(desc(items.publishedAt), desc(items.id))
    .limit(fetch);
}

/**
 * The WHERE of a page after `after` in feed order ({@link selectPage}'s): the filters, and the
 * walk's snapshot bound and keyset position when `after` is given.
 *
 * @example
 * ```ts
 * const where = pageWhere({ topic: "rust" }, { publishedAt: 1, id: 5, snapshotMaxId: 9 });
 * ```
 */
export function pageWhere(filters: ParsedFilters, after: WalkPosition | undefined) {
  const conditions = filterConditions(filters);
  if (after !== undefined) {
    conditions.push(lte(items.id, after.snapshotMaxId));
    conditions.push(keysetAfter(FEED_ORDER, [after.publishedAt, after.id]));
  }
  return and(...conditions);
}

/**
 * Reads one page of the feed by keyset: `limit + 1` rows after `after` in feed order, so the
 * extra row tells whether another page exists. Without `after` (the first page) the page and the
 * current highest id are read in one D1 batch, which runs as one transaction: the snapshot bound
 * matches exactly what the first page saw.
 *
 * @example
 * ```ts
 * const first = await readPage(db, { topic: "rust" }, undefined, 20);
 * const second = first.next && (await readPage(db, { topic: "rust" }, first.next, 20));
 * ```
 */
export async function readPage(
  db: FeedDb,
  filters: ParsedFilters,
  after: WalkPosition | undefined,
  limit: number,
): Promise<StoredPage> {
  const pageQuery = selectPage(db, filters, after, limit + 1);
  let rows: ItemRow[];
  let snapshotMaxId: number;
  if (after === undefined) {
    const [highest, page] = await db.batch([
      db.select({ maxId: max(items.id) }).from(items),
      pageQuery,
    ]);
    snapshotMaxId = highest[0]?.maxId ?? 0;
    rows = page;
  } else {
    snapshotMaxId = after.snapshotMaxId;
    rows = await pageQuery;
  }

  if (rows.length <= limit) return { rows, next: null };
  rows.length = limit;
  const last = rows[limit - 1]!;
  return { rows, next: { publishedAt: last.publishedAt, id: last.id, snapshotMaxId } };
}

/**
 * The SELECT of a page walked backwards: `fetch` rows just before `before` in feed order (newer
 * items), read in ascending order, i.e. the same index as {@link selectPage} scanned in reverse,
 * so it neither sorts nor scans. The caller reverses the rows into feed order.
 *
 * @example
 * ```ts
 * const { sql } = selectPageBefore(db, {}, { publishedAt: 1, id: 5, snapshotMaxId: 9 }, 21).toSQL();
 * ```
 */
export function selectPageBefore(
  db: FeedDb,
  filters: ParsedFilters,
  before: WalkPosition,
  fetch: number,
) {
  return db
    .select()
    .from(items)
    .where(
      and(
        ...filterConditions(filters),
        lte(items.id, before.snapshotMaxId),
        keysetAfter(REVERSE_FEED_ORDER, [before.publishedAt, before.id]),
      ),
    )
    .orderBy(asc(items.publishedAt), asc(items.id))
    .limit(fetch);
}

const REVERSE_FEED_ORDER: readonly SortKey[] = FEED_ORDER.map((key) => ({
  column: key.column,
  direction: key.direction === "desc" ? "asc" : "desc",
}));

/**
 * One id at `position` or beyond it on `side` (within the walk's snapshot): whether a page exists
 * on that side of a page read from `position`. Ids are integers, so "at or beyond" is "strictly
 * beyond" the neighbouring id, which keeps it one row-value comparison on the feed index.
 *
 * @example
 * ```ts
 * const { sql } = selectNeighbour(db, {}, { publishedAt: 1, id: 5, snapshotMaxId: 9 }, "newer").toSQL();
 * ```
 */
export function selectNeighbour(
  db: FeedDb,
  filters: ParsedFilters,
  position: WalkPosition,
  side: "newer" | "older",
) {
  const newer = side === "newer";
  return db
    .select({ id: items.id })
    .from(items)
    .where(
      and(
        ...filterConditions(filters),
        lte(items.id, position.snapshotMaxId),
        newer
          ? keysetAfter(REVERSE_FEED_ORDER, [position.publishedAt, position.id - 1])
          : keysetAfter(FEED_ORDER, [position.publishedAt, position.id + 1]),
      ),
    )
    .orderBy(...(newer ? [asc(items.publishedAt), asc(items.id)] : FEED_ORDER_BY))
    .limit(1);
}

const FEED_ORDER_BY = [desc(items.publishedAt), desc(items.id)];

/** The filters' WHERE terms, for queries built elsewhere (the bounded count). */
export function filterWhere(filters: ParsedFilters, snapshotMaxId?: number): SQL | undefined {
  const conditions = filterConditions(filters);
  if (snapshotMaxId !== undefined) conditions.push(lte(items.id, snapshotMaxId));
  return and(...conditions);
}

/**
 * One item by id, or `undefined`.
 *
 * @example
 * ```ts
 * const row = await findItem(db, 42);
 * ```
 */
export async function findItem(db: FeedDb, id: number): Promise<ItemRow | undefined> {
  const [row] = await db.select().from(items).where(eq(items.id, id)).limit(1);
  return row;
}
