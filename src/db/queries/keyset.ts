import { and, asc, gt, type SQL } from "drizzle-orm";
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
