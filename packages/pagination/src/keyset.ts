import { type AnyColumn, and, eq, gt, lt, type SQL, sql } from "drizzle-orm";

/** A column of the sort key and its direction. */
export interface SortKey {
  column: AnyColumn;
  direction: "asc" | "desc";
}

/**
 * The WHERE condition that selects rows strictly after `position` in the order given by `keys`:
 * keyset pagination, so a deep page costs what the first one does (no OFFSET scan).
 *
 * When every key sorts the same way it emits a row-value comparison, `(a, b) < (?, ?)`, which
 * SQLite turns into one range scan of a matching index; mixed directions fall back to the
 * expanded form `a < ? OR (a = ? AND b < ?)`.
 *
 * @example
 * ```ts
 * import { keysetAfter } from "@edge-async/pagination";
 * const where = keysetAfter(
 *   [{ column: items.publishedAt, direction: "desc" }, { column: items.id, direction: "desc" }],
 *   [cursor.publishedAt, cursor.id],
 * );
 * ```
 */
export function keysetAfter(keys: readonly SortKey[], position: readonly unknown[]): SQL {
  if (keys.length === 0 || keys.length !== position.length) {
    throw new TypeError("keysetAfter needs one position value per sort key");
  }
  const direction = keys[0]!.direction;
  if (keys.every((key) => key.direction === direction)) {
    const columns = sql.join(
      keys.map((key) => sql`${key.column}`),
      sql`, `,
    );
    const values = sql.join(
      keys.map((key, i) => sql`${sql.param(position[i], key.column)}`),
      sql`, `,
    );
    return direction === "desc" ? sql`(${columns}) < (${values})` : sql`(${columns}) > (${values})`;
  }
  const branches: SQL[] = keys.map((key, i) => {
    const equalities = keys.slice(0, i).map((prefix, j) => eq(prefix.column, position[j]));
    const beyond =
      key.direction === "desc" ? lt(key.column, position[i]) : gt(key.column, position[i]);
    return and(...equalities, beyond)!;
  });
  return sql`(${sql.join(branches, sql` OR `)})`;
}
