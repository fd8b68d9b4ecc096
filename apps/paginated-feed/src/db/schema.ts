import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Feed items. `id` is an AUTOINCREMENT rowid: ids only grow and are never reused, which is what
 * lets a walk pin itself to "everything with id <= the highest id at the start". Times are
 * integer milliseconds since the epoch so keyset comparisons are exact (no string collation or
 * fractional-second surprises). `owner` is the id of the API key (or `jwt:<sub>`) that created the
 * item: only it, or a caller with `feed:admin`, may overwrite the item. Rows stored before owners
 * were recorded hold `null`: owned by no key, so only `feed:admin` may overwrite them.
 *
 * @example
 * ```ts
 * import { drizzle } from "drizzle-orm/d1";
 * import { items } from "./db/schema.ts";
 * const newest = await drizzle(env.DB).select().from(items).limit(1);
 * ```
 */
export const items = sqliteTable(
  "items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    externalKey: text("external_key").notNull().unique("items_external_key_unique"),
    topic: text("topic").notNull(),
    title: text("title").notNull(),
    url: text("url").notNull(),
    author: text("author"),
    summary: text("summary"),
    publishedAt: integer("published_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    owner: text("owner"),
  },
  (table) => [
    index("items_feed_order_idx").on(sql`${table.publishedAt} desc`, sql`${table.id} desc`),
    index("items_topic_feed_order_idx").on(
      table.topic,
      sql`${table.publishedAt} desc`,
      sql`${table.id} desc`,
    ),
  ],
);

/** A stored row as drizzle reads it. */
export type ItemRow = typeof items.$inferSelect;

/**
 * The changes feed's log: one row per item that ever existed, holding the sequence number of its
 * latest change (`seq`, AUTOINCREMENT, so it only grows and follows commit order) and, once the
 * item is deleted, its tombstone (`deletedAt` in ms). Triggers on `items` (migration
 * 0002_item_changes) maintain it inside each write's own transaction, whatever the write path, so
 * a change can never commit without its log row. `GET /v1/items/changes` walks it by `seq`.
 *
 * @example
 * ```ts
 * import { gt } from "drizzle-orm";
 * const after = await drizzle(env.DB).select().from(itemChanges).where(gt(itemChanges.seq, 0));
 * ```
 */
export const itemChanges = sqliteTable(
  "item_changes",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    itemId: integer("item_id").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (table) => [uniqueIndex("item_changes_item_id_unique").on(table.itemId)],
);

/** A row of the changes log as drizzle reads it. */
export type ItemChangeRow = typeof itemChanges.$inferSelect;
