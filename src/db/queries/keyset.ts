import { and, asc, eq, gt, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { DB } from "../client";

/**
 * One keyset page of `table` ordered by `idColumn`: rows after `afterId` that match every
 * condition, plus one extra row that tells the caller whether a next page exists.
 */
export function keysetPage<T extends SQLiteTable>(
  db: DB,
  table: T,
  idColumn: SQLiteColumn,
  conditions: (SQL | undefined)[],
  afterId: string | undefined,
  limit: number,
) {
  const where = and(...conditions, afterId ? gt(idColumn, afterId) : undefined);
  return db
    .select()
    .from(table)
    .where(where)
    .orderBy(asc(idColumn))
    .limit(limit + 1);
}

/**
 * Rows strictly past `key` in a two-column order (a timestamp, then a unique id that breaks ties):
 * later ones when ascending, earlier ones when descending.
 */
export function pastCompositeKey(
  first: SQLiteColumn,
  second: SQLiteColumn,
  key: { first: Date; second: string } | undefined,
  direction: "ASCENDING" | "DESCENDING",
): SQL | undefined {
  if (!key) return undefined;
  const past = direction === "DESCENDING" ? lt : gt;
  return or(past(first, key.first), and(eq(first, key.first), past(second, key.second)));
}
