import { sql, type SQL } from "drizzle-orm";

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
