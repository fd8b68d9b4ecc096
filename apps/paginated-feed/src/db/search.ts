/**
 * Search over the FTS5 index `items_search` (migrations/0003_items_search.sql): ranked by bm25,
 * ties broken by id, paged by keyset under the listing's snapshot rule.
 *
 * @module
 */
import { and, asc, eq, getTableColumns, lte, max, type SQL, sql } from "drizzle-orm";
import { integer, sqliteTable } from "drizzle-orm/sqlite-core";
import type { FeedDb } from "./feed-store.ts";
import { type ItemRow, items } from "./schema.ts";

// The FTS5 table as the queries name it. Declared here, outside schema.ts, so drizzle-kit never
// tries to create it: the migration does, with the triggers that keep it in sync.
const searchIndex = sqliteTable("items_search", { rowid: integer("rowid").notNull() });

/**
 * Where a search walk stands: the bm25 score and id of the last item it returned, and the
 * highest item id when the walk began (later items are left out, as in listings).
 */
export interface SearchPosition {
  score: number;
  id: number;
  snapshotMaxId: number;
}

/** One page of matches, best first, and where the next page starts (`null` on the last page). */
export interface SearchPage {
  rows: ItemRow[];
  next: SearchPosition | null;
}

// bm25 is negative, better matches more so: ascending order is best first.
const score = sql<number>`bm25(${searchIndex})`;

/**
 * The score the walk continues after: the last item's score under the index's current
 * statistics (every insert shifts bm25 a little, all scores alike for a one-word query), or the
 * score the cursor carries when that item no longer matches (deleted, or its text changed).
 */
function boundary(match: string, after: SearchPosition): SQL {
  // The inner items_search shadows the outer one, so bm25 and MATCH name the subquery's scan.
  // D1 binds a JS number as REAL, and FTS5 ignores a rowid constraint whose value is not an
  // INTEGER (it would answer every match): the CAST makes it one.
  return sql`coalesce((select bm25(${searchIndex}) from ${searchIndex} where ${searchIndex} match ${match} and rowid = cast(${after.id} as integer)), ${after.score})`;
}

/**
 * The SELECT of one page: items matching `match` (optionally of one topic), after `after` in
 * (score, id) order, at most `fetch` rows. The inner query ranks the matches FTS5 finds through
 * its index, keeping only ids and scores, so only the page's rows are read whole; `items` is
 * read by primary key (for each match only to test its topic, when there is one).
 */
export function selectSearchPage(
  db: FeedDb,
  match: string,
  topic: string | undefined,
  after: SearchPosition | undefined,
  fetch: number,
) {
  const matchId = searchIndex.rowid;
  const conditions: SQL[] = [sql`${searchIndex} match ${match}`];
  if (topic !== undefined) conditions.push(eq(items.topic, topic));
  if (after !== undefined) {
    const bound = boundary(match, after);
    conditions.push(lte(matchId, after.snapshotMaxId));
    conditions.push(
      sql`(${score} > ${bound} or (${score} = ${bound} and ${matchId} > ${after.id}))`,
    );
  }
  const base = db.select({ id: sql<number>`${matchId}`.as("match_id"), score: score.as("score") });
  const ranked = (
    topic === undefined
      ? base.from(searchIndex)
      : base.from(searchIndex).innerJoin(items, eq(items.id, matchId))
  )
    .where(and(...conditions))
    .orderBy(score, matchId)
    .limit(fetch)
    .as("ranked");
  return db
    .select({ ...getTableColumns(items), score: ranked.score })
    .from(ranked)
    .innerJoin(items, eq(items.id, ranked.id))
    .orderBy(asc(ranked.score), asc(ranked.id));
}

/**
 * Reads one page of matches: `limit + 1` rows, the extra one telling whether more follow. The
 * first page reads the highest id in the same D1 batch (one transaction), so the snapshot bound
 * matches exactly what the first page saw.
 */
export async function searchPage(
  db: FeedDb,
  match: string,
  topic: string | undefined,
  after: SearchPosition | undefined,
  limit: number,
): Promise<SearchPage> {
  const pageQuery = selectSearchPage(db, match, topic, after, limit + 1);
  let found: (ItemRow & { score: number })[];
  let snapshotMaxId: number;
  if (after === undefined) {
    const [highest, page] = await db.batch([
      db.select({ maxId: max(items.id) }).from(items),
      pageQuery,
    ]);
    snapshotMaxId = highest[0]?.maxId ?? 0;
    found = page;
  } else {
    snapshotMaxId = after.snapshotMaxId;
    found = await pageQuery;
  }
  const more = found.length > limit;
  if (more) found.length = limit;
  const rows = found.map(({ score: _score, ...row }) => row);
  const last = found.at(-1);
  return {
    rows,
    next: more && last !== undefined ? { score: last.score, id: last.id, snapshotMaxId } : null,
  };
}
