import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { toSnakeCase } from "drizzle-orm/casing";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { DB } from "./client";

/**
 * How much row JSON one statement carries: D1 allows 1,000,000 bytes per bound string, and a
 * character is at most 3 bytes of UTF-8 (JSON.stringify escapes nothing above ASCII).
 */
const MAX_PAYLOAD_CHARS = 300_000;

/**
 * Many rows as few bound parameters: each row is a JSON array of column values (an object or
 * array value lands in its column as JSON text), and the rows are
 * packed into JSON arrays of at most MAX_PAYLOAD_CHARS, one per statement. D1's 100-parameter
 * limit would otherwise allow six app users or eleven log events per statement, and drizzle's
 * builder spent more CPU building those statements than D1 spent running them.
 */
export function jsonPayloads(rows: readonly unknown[][]): string[] {
  const parts: string[][] = [];
  let size = 0;
  for (const row of rows) {
    const encoded = JSON.stringify(row);
    if (parts.length === 0 || size + encoded.length > MAX_PAYLOAD_CHARS) {
      parts.push([]);
      size = 0;
    }
    parts[parts.length - 1].push(encoded);
    size += encoded.length + 1;
  }
  return parts.map((part) => `[${part.join(",")}]`);
}

/**
 * `SELECT <column 0>, ..., <column n-1> FROM json_each(<payload>) WHERE true`: the payload is the
 * statement's only bound parameter (constant paths). `WHERE true` lets an upsert clause follow
 * (SQLite's parsing rule for INSERT ... SELECT ... ON CONFLICT).
 */
export function selectFromPayload(columns: number, payload: string): SQL {
  const fields = Array.from({ length: columns }, (_, i) => sql.raw(`json_extract(value, '$[${i}]')`));
  return sql`SELECT ${sql.join(fields, sql`, `)} FROM json_each(${payload}) WHERE true`;
}

type AnyTable = SQLiteTable & { $inferSelect: Record<string, unknown> };

/**
 * INSERT (or upsert) many rows of one table as JSON payloads, one bound parameter per statement.
 * Values are encoded as drizzle would bind them; JSON columns go in as values. `update` names the
 * columns an existing row (by `target`) takes from the new one; without it a conflict is an error.
 */
export function writeRows<T extends AnyTable>(
  db: DB,
  table: T,
  rows: T["$inferSelect"][],
  conflict?: { target: SQLiteColumn[]; update: (keyof T["$inferSelect"] & string)[] },
): BatchItem<"sqlite">[] {
  if (rows.length === 0) return [];
  const columns = Object.entries(getTableColumns(table));
  const encoded = rows.map((row) =>
    columns.map(([key, column]) => {
      const value = row[key];
      if (value === null || value === undefined) return null;
      return column.columnType === "SQLiteTextJson" ? value : (column.mapToDriverValue(value) as unknown);
    }),
  );
  // excluded.<column> uses the client's snake_case name of the column.
  const set = conflict && Object.fromEntries(conflict.update.map((key) => [key, sql.raw(`excluded.${toSnakeCase(key)}`)]));
  return jsonPayloads(encoded).map((payload) => {
    const insert = db.insert(table).select(selectFromPayload(columns.length, payload));
    return conflict ? insert.onConflictDoUpdate({ target: conflict.target, set: set as Record<string, SQL> }) : insert;
  }) as BatchItem<"sqlite">[];
}
