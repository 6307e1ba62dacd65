// What a run wrote, read off the D1 file between runs: every table's rows hashed by rowid, so a
// diff counts the rows inserted, changed and deleted per table (D1's own rows_written is per
// statement and not visible from outside the Worker).
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { d1File } from "./harness.mjs";

export function fingerprint(persistTo) {
  const db = new DatabaseSync(d1File(persistTo), { readOnly: true });
  const tables = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'`,
    )
    .all()
    .map((row) => row.name);
  const out = {};
  for (const table of tables) {
    const rows = new Map();
    for (const row of db.prepare(`SELECT rowid AS __rowid, * FROM "${table}"`).iterate()) {
      const { __rowid, ...rest } = row;
      rows.set(
        __rowid,
        createHash("sha1")
          .update(JSON.stringify(rest, (_k, v) => (typeof v === "bigint" ? String(v) : v)))
          .digest("base64"),
      );
    }
    out[table] = rows;
  }
  db.close();
  return out;
}

/** Rows inserted, changed or deleted per table between two fingerprints (tables with none left out). */
export function rowsWritten(before, after) {
  const diff = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[table] ?? new Map();
    const b = after[table] ?? new Map();
    let written = 0;
    for (const [rowid, hash] of b) if (a.get(rowid) !== hash) written += 1;
    for (const rowid of a.keys()) if (!b.has(rowid)) written += 1;
    if (written > 0) diff[table] = written;
  }
  return diff;
}
