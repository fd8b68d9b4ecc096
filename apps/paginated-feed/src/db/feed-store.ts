import { keysetAfter, type SortKey } from "@edge-async/pagination";
import { and, desc, eq, gte, lt, lte, max, type SQL, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { ParsedFilters, ParsedIngestItem } from "../contract.ts";
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
  const conditions = filterConditions(filters);
  if (after !== undefined) {
    conditions.push(lte(items.id, after.snapshotMaxId));
    conditions.push(keysetAfter(FEED_ORDER, [after.publishedAt, after.id]));
  }
  return db
    .select()
    .from(items)
    .where(and(...conditions))
    .orderBy(desc(items.publishedAt), desc(items.id))
    .limit(fetch);
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

/** What an upsert did to one input item, in input order. */
export interface UpsertOutcome {
  id: number;
  externalKey: string;
  created: boolean;
  publishedAt: number;
}

// D1 refuses a statement with more than 100 bound parameters; each inserted row binds 9.
const COLUMNS_PER_ROW = 9;
const MAX_BOUND_PARAMETERS = 100;
/**
 * Rows per multi-row INSERT so no statement binds more than D1's 100 parameters.
 *
 * @example
 * ```ts
 * console.assert(ROWS_PER_INSERT * 9 <= 100);
 * ```
 */
export const ROWS_PER_INSERT = Math.floor(MAX_BOUND_PARAMETERS / COLUMNS_PER_ROW);

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/**
 * The stored row of each key, tagged with the key's position: `(VALUES (0, ?), (1, ?), ...)`
 * joined to `items`. Rows map back to the input by position, never by comparing the text D1
 * returns with the text sent, so a key D1 would read back differently cannot lose its row.
 */
function rowsOfKeys(db: FeedDb, keys: readonly string[], offset: number) {
  const input = sql.join(
    keys.map((key, i) => sql`(${sql.raw(String(offset + i))}, ${key})`),
    sql`, `,
  );
  return db
    .select({ position: sql<number>`input.column1`, id: items.id, publishedAt: items.publishedAt })
    .from(sql`(VALUES ${input}) AS input`)
    .innerJoin(items, sql`${items.externalKey} = input.column2`);
}

function upsertStatement(db: FeedDb, rowChunk: readonly ParsedIngestItem[], now: number) {
  const changed = sql`${items.topic} IS NOT excluded.topic
    OR ${items.title} IS NOT excluded.title
    OR ${items.url} IS NOT excluded.url
    OR ${items.author} IS NOT excluded.author
    OR ${items.summary} IS NOT excluded.summary`;
  return db
    .insert(items)
    .values(
      rowChunk.map((item) => ({
        externalKey: item.externalKey,
        topic: item.topic,
        title: item.title,
        url: item.url,
        author: item.author,
        summary: item.summary,
        publishedAt: item.publishedAt,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoUpdate({
      target: items.externalKey,
      set: {
        topic: sql`excluded.topic`,
        title: sql`excluded.title`,
        url: sql`excluded.url`,
        author: sql`excluded.author`,
        summary: sql`excluded.summary`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: changed,
    });
}

/** Refuses, before anything is written, text D1 would store altered (see `text()`). */
function assertStorable(input: readonly ParsedIngestItem[]): void {
  for (const item of input) {
    const fields = [item.externalKey, item.topic, item.title, item.url, item.author, item.summary];
    if (fields.some((field) => field !== null && !field.isWellFormed())) {
      throw new RangeError(`item ${item.externalKey} holds text that is not well-formed UTF-16`);
    }
  }
}

/**
 * Stores items idempotently by external key, all in one D1 batch (one transaction).
 *
 * - A new key is inserted with a fresh, ever-increasing id.
 * - A known key keeps its id and its publishedAt (its position in the feed, which walks in
 *   progress rely on); topic, title, url, author and summary are updated, and updatedAt moves
 *   only when one of them actually changed, so an identical re-ingest changes nothing (ETags
 *   included).
 * - The same key twice in one batch behaves like two requests in order: the later one wins.
 *
 * The batch reads each key's row before and after the writes, inside the same transaction, and
 * maps rows to items by position: once the batch commits, every item has its row, so the answer
 * is what was stored. Text that D1 cannot keep exactly (lone surrogates) is refused before
 * anything is written; the route's schema refuses it first, with a 400.
 *
 * @example
 * ```ts
 * const [outcome] = await upsertItems(db, [parsedItem], Date.now());
 * console.log(outcome.id, outcome.created);
 * ```
 */
export async function upsertItems(
  db: FeedDb,
  input: readonly ParsedIngestItem[],
  now: number,
): Promise<UpsertOutcome[]> {
  assertStorable(input);
  const keys = [...new Set(input.map((item) => item.externalKey))];
  const lookups = () =>
    chunks(keys, MAX_BOUND_PARAMETERS).map((keyChunk, i) =>
      rowsOfKeys(db, keyChunk, i * MAX_BOUND_PARAMETERS),
    );
  const before = lookups();
  const writes = chunks(input, ROWS_PER_INSERT).map((rowChunk) =>
    upsertStatement(db, rowChunk, now),
  );
  const after = lookups();
  const [first, ...rest] = [...before, ...writes, ...after];
  const results = (await db.batch([first!, ...rest])) as unknown[];

  const rowsOf = (from: number, count: number) =>
    (
      results.slice(from, from + count) as { position: number; id: number; publishedAt: number }[][]
    ).flat();
  const existed = new Set(rowsOf(0, before.length).map((row) => row.position));
  const stored = new Map(
    rowsOf(before.length + writes.length, after.length).map((row) => [row.position, row]),
  );
  const position = new Map(keys.map((key, index) => [key, index]));
  const seen = new Set<number>();
  return input.map((item) => {
    const index = position.get(item.externalKey)!;
    // Unreachable once the batch committed: the INSERT ... ON CONFLICT left a row for every key.
    const row = stored.get(index);
    if (row === undefined) throw new Error(`upsert found no row for ${item.externalKey}`);
    const created = !existed.has(index) && !seen.has(row.id);
    seen.add(row.id);
    return { id: row.id, externalKey: item.externalKey, created, publishedAt: row.publishedAt };
  });
}
