import { max } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { ParsedFilters } from "../contract.ts";
import { boundedCount, type TotalEstimate, totalEstimate } from "../count-estimate.ts";
import {
  type FeedDb,
  selectNeighbour,
  selectPage,
  selectPageBefore,
  type WalkPosition,
} from "./feed-store.ts";
import { type ItemRow, items } from "./schema.ts";

/** Where a page is read from: a position and the way to walk from it. */
export interface WalkFrom extends WalkPosition {
  direction: "next" | "prev";
}

/** One page of a walk in feed order, where its neighbours start, and the total when asked. */
export interface WalkPage {
  rows: ItemRow[];
  /** Start of the older page; `null` on the last page. */
  next: WalkPosition | null;
  /** Start of the newer page; `null` on the first page. */
  prev: WalkPosition | null;
  total?: TotalEstimate;
}

type Query = BatchItem<"sqlite">;

/**
 * Reads one page of a walk in one D1 batch (one transaction): the page's `limit + 1` rows (the
 * extra one says whether a page lies beyond), one row on the other side of `from` (whether a page
 * lies back there), and the bounded count when `withTotal`. The first page also reads `max(id)`,
 * the walk's snapshot. A backward page reads the same index in reverse and is returned in feed
 * order, so walking back reproduces the forward pages exactly.
 */
export async function readWalkPage(
  db: FeedDb,
  filters: ParsedFilters,
  from: WalkFrom | undefined,
  limit: number,
  withTotal: boolean,
): Promise<WalkPage> {
  const snapshot = from?.snapshotMaxId;
  const queries: Query[] = [
    from === undefined
      ? db.select({ maxId: max(items.id) }).from(items)
      : selectNeighbour(db, filters, from, from.direction === "next" ? "newer" : "older"),
    from?.direction === "prev"
      ? selectPageBefore(db, filters, from, limit + 1)
      : selectPage(db, filters, from, limit + 1),
  ];
  if (withTotal) queries.push(boundedCount(db, filters, snapshot));
  // drizzle types a batch by its literal tuple; this one is built conditionally.
  const [first, page, counted] = (await db.batch(queries as [Query, ...Query[]])) as unknown as [
    { maxId?: number | null; id?: number }[],
    ItemRow[],
    { n: number }[] | undefined,
  ];
  const snapshotMaxId = snapshot ?? first[0]?.maxId ?? 0;
  const beyond = page.length > limit;
  if (beyond) page.length = limit;
  const at = (row: ItemRow): WalkPosition => ({
    publishedAt: row.publishedAt,
    id: row.id,
    snapshotMaxId,
  });
  const result = neighbours(page, from, beyond, first.length > 0, at);
  if (counted !== undefined) result.total = totalEstimate(counted[0]?.n ?? 0);
  return result;
}

function neighbours(
  page: ItemRow[],
  from: WalkFrom | undefined,
  beyond: boolean,
  backThere: boolean,
  at: (row: ItemRow) => WalkPosition,
): WalkPage {
  if (from === undefined) {
    return { rows: page, next: beyond ? at(page[page.length - 1]!) : null, prev: null };
  }
  // An empty page (its items deleted meanwhile) still links back, to just beyond `from`.
  const edge = (shift: number): WalkPosition => ({ ...from, id: from.id + shift });
  if (from.direction === "next") {
    return {
      rows: page,
      next: beyond ? at(page[page.length - 1]!) : null,
      prev: backThere ? (page.length > 0 ? at(page[0]!) : edge(-1)) : null,
    };
  }
  const rows = page.reverse();
  return {
    rows,
    next: backThere ? (rows.length > 0 ? at(rows[rows.length - 1]!) : edge(1)) : null,
    prev: beyond ? at(rows[0]!) : null,
  };
}
