import { getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";
import type { DB } from "./client";

// drizzle maps each result row with per-column `is()` class checks and path walks: a measured
// quarter of the CPU of a 500-row page. For whole-table selects on hot paths the column decoders
// are looked up once per table instead, and D1's raw rows are decoded directly.

type Decoder<T extends Table> = (row: unknown[]) => InferSelectModel<T>;
const decoders = new WeakMap<Table, Decoder<Table>>();

function decoderFor<T extends Table>(table: T): Decoder<T> {
  let decode = decoders.get(table) as Decoder<T> | undefined;
  if (!decode) {
    const columns = Object.entries(getTableColumns(table));
    decode = (row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i += 1) {
        const [key, column] = columns[i];
        const value = row[i];
        out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return out as InferSelectModel<T>;
    };
    decoders.set(table, decode as Decoder<Table>);
  }
  return decode;
}

/**
 * Runs a query that selects every column of one table in the table's column order (how drizzle
 * writes `select()` or `select(getTableColumns(table))`, joins included) and decodes its rows as
 * drizzle would.
 */
export async function tableRows<T extends Table>(
  db: DB,
  table: T,
  query: { toSQL(): { sql: string; params: unknown[] } },
): Promise<InferSelectModel<T>[]> {
  const { sql, params } = query.toSQL();
  const rows = await db.$client
    .prepare(sql)
    .bind(...params)
    .raw();
  return rows.map(decoderFor(table));
}
