import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { ParsedIngestItem } from "../contract.ts";
import type { FeedDb } from "./feed-store.ts";
import { items } from "./schema.ts";

/** What an upsert did to one input item, in input order. */
export interface UpsertOutcome {
  id: number;
  externalKey: string;
  created: boolean;
  publishedAt: number;
}

// D1 refuses a statement with more than 100 bound parameters; each inserted row binds 10.
const COLUMNS_PER_ROW = 10;
const MAX_BOUND_PARAMETERS = 100;
/**
 * Rows per multi-row INSERT so no statement binds more than D1's 100 parameters.
 *
 * @example
 * ```ts
 * console.assert(ROWS_PER_INSERT * 10 <= 100);
 * ```
 */
export const ROWS_PER_INSERT = Math.floor(MAX_BOUND_PARAMETERS / COLUMNS_PER_ROW);

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/**
 * `(VALUES (0, ?), (1, ?), ...) AS input`: the keys as a table to join `items` on, each tagged
 * with its position (`offset` onwards). Rows map back to the input by position, never by comparing
 * the text D1 returns with the text sent, so a key D1 would read back differently cannot lose its
 * row.
 */
function keyTable(keys: readonly string[], offset: number): SQL {
  return sql`(VALUES ${sql.join(
    keys.map((key, i) => sql`(${sql.raw(String(offset + i))}, ${key})`),
    sql`, `,
  )}) AS input`;
}

/** The stored row of each key, tagged with the key's position (see `keyTable`). */
function rowsOfKeys(db: FeedDb, keys: readonly string[], offset: number) {
  return db
    .select({ position: sql<number>`input.column1`, id: items.id, publishedAt: items.publishedAt })
    .from(keyTable(keys, offset))
    .innerJoin(items, sql`${items.externalKey} = input.column2`);
}

/**
 * Who writes an ingest batch. `id` (a principal id: the API key's id, or `jwt:<sub>`) is stored as
 * the owner of the items the batch creates; items it already owns it may overwrite, and with
 * `overwritesAny` (the `feed:admin` scope) it may overwrite any item, including those stored
 * before owners were recorded (owner `null`).
 */
export interface Writer {
  id: string;
  overwritesAny: boolean;
}

/**
 * A batch would overwrite items its writer does not own: nothing of the batch was written.
 * `positions` are the indexes, in the input, of every such item.
 */
export class NotOwnerError extends Error {
  override readonly name = "NotOwnerError";
  readonly positions: readonly number[];
  constructor(positions: readonly number[]) {
    super(`${positions.length} item(s) of the batch belong to another writer`);
    this.positions = positions;
  }
}

// One parameter of each ownership statement is the writer's id.
const KEYS_PER_STATEMENT = MAX_BOUND_PARAMETERS - 1;

const foreign = (writer: Writer) => sql`${items.owner} IS NOT ${writer.id}`;

/**
 * Statements for the start of an ingest batch that fail, and so roll back the whole D1 batch (one
 * transaction), when any of `keys` is stored with an owner other than `writer`: each re-inserts
 * such rows under their own ids, which the primary key refuses. Being inside the batch, the check
 * and the writes see the same rows, so no other writer's item can appear between them. None for a
 * writer who may overwrite any item.
 *
 * @example
 * ```ts
 * await db.batch([...ownershipGuards(db, ["k1"], { id: "ci", overwritesAny: false }), write]);
 * ```
 */
export function ownershipGuards(db: FeedDb, keys: readonly string[], writer: Writer) {
  if (writer.overwritesAny) return [];
  return chunks(keys, KEYS_PER_STATEMENT).map((keyChunk, i) =>
    db.insert(items).select(
      db
        .select(getTableColumns(items))
        .from(keyTable(keyChunk, i * KEYS_PER_STATEMENT))
        .innerJoin(items, sql`${items.externalKey} = input.column2`)
        .where(foreign(writer)),
    ),
  );
}

/**
 * The positions in `input` of items stored with an owner other than `writer` (none for a writer
 * who may overwrite any item). Owners never change once stored, so what this finds after a guard
 * refused a batch is what the guard saw.
 *
 * @example
 * ```ts
 * const refused = await foreignPositions(db, ["k1", "k2"], { id: "ci", overwritesAny: false });
 * ```
 */
export async function foreignPositions(
  db: FeedDb,
  input: readonly string[],
  writer: Writer,
): Promise<number[]> {
  if (writer.overwritesAny) return [];
  const keys = [...new Set(input)];
  const owned = new Set<number>();
  for (const [i, keyChunk] of chunks(keys, KEYS_PER_STATEMENT).entries()) {
    const rows = await db
      .select({ position: sql<number>`input.column1` })
      .from(keyTable(keyChunk, i * KEYS_PER_STATEMENT))
      .innerJoin(items, sql`${items.externalKey} = input.column2`)
      .where(foreign(writer));
    for (const row of rows) owned.add(row.position);
  }
  const position = new Map(keys.map((key, index) => [key, index]));
  return input.flatMap((key, index) => (owned.has(position.get(key)!) ? [index] : []));
}

function upsertStatement(
  db: FeedDb,
  rowChunk: readonly ParsedIngestItem[],
  now: number,
  owner: string,
) {
  const changed = sql`${items.topic} IS NOT excluded.topic
    OR ${items.title} IS NOT excluded.title
    OR ${items.url} IS NOT excluded.url
    OR ${items.author} IS NOT excluded.author
    OR ${items.summary} IS NOT excluded.summary`;
  return (
    db
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
          owner,
        })),
      )
      // The owner is not in `set`: an overwrite (by the owner or feed:admin) keeps the creator.
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
      })
  );
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
 * Runs `statements` as one D1 batch. When it fails it rolled back whole; if the cause is items
 * `writer` may not overwrite (a guard refused), that is thrown as {@link NotOwnerError}.
 */
async function batchOrRefuse(
  db: FeedDb,
  statements: BatchItem<"sqlite">[],
  input: readonly ParsedIngestItem[],
  writer: Writer,
): Promise<unknown[]> {
  const [first, ...rest] = statements;
  try {
    return (await db.batch([first!, ...rest])) as unknown[];
  } catch (error) {
    const keys = input.map((item) => item.externalKey);
    const refused = await foreignPositions(db, keys, writer);
    if (refused.length > 0) throw new NotOwnerError(refused);
    throw error;
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
 * - New items are owned by `writer`. A batch holding any stored item `writer` may not overwrite
 *   (see {@link Writer}) is refused whole: {@link NotOwnerError} lists those items and nothing is
 *   written. The check runs inside the batch (see `ownershipGuards`), so it cannot race a write.
 *
 * The batch reads each key's row before and after the writes, inside the same transaction, and
 * maps rows to items by position: once the batch commits, every item has its row, so the answer
 * is what was stored. Text that D1 cannot keep exactly (lone surrogates) is refused before
 * anything is written; the route's schema refuses it first, with a 400.
 *
 * @example
 * ```ts
 * const writer = { id: "ci", overwritesAny: false };
 * const [outcome] = await upsertItems(db, [parsedItem], Date.now(), writer);
 * console.log(outcome.id, outcome.created);
 * ```
 */
export async function upsertItems(
  db: FeedDb,
  input: readonly ParsedIngestItem[],
  now: number,
  writer: Writer,
): Promise<UpsertOutcome[]> {
  assertStorable(input);
  const keys = [...new Set(input.map((item) => item.externalKey))];
  const lookups = () =>
    chunks(keys, MAX_BOUND_PARAMETERS).map((keyChunk, i) =>
      rowsOfKeys(db, keyChunk, i * MAX_BOUND_PARAMETERS),
    );
  const guards = ownershipGuards(db, keys, writer);
  const before = lookups();
  const writes = chunks(input, ROWS_PER_INSERT).map((rowChunk) =>
    upsertStatement(db, rowChunk, now, writer.id),
  );
  const after = lookups();
  const results = (
    await batchOrRefuse(db, [...guards, ...before, ...writes, ...after], input, writer)
  ).slice(guards.length);

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
