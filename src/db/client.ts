import { is, SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

function build(d1: D1Database) {
  return drizzle(d1, { schema, casing: "snake_case" });
}

export type DB = ReturnType<typeof build>;

// drizzle() walks the whole schema to build its relational config on every call (a measured 5%
// of a GET's CPU when done per request); the binding object is stable per isolate, so reuse it.
const instances = new WeakMap<D1Database, DB>();

export function createDb(d1: D1Database): DB {
  let db = instances.get(d1);
  if (!db) {
    db = build(d1);
    instances.set(d1, db);
  }
  return db;
}

// D1 allows 100 bound parameters per statement in production (local D1 does not enforce it):
// every multi-row insert and IN-list is chunked by this bound.
export const MAX_BOUND_PARAMS = 100;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A statement for a batch: a drizzle query, or raw SQL (drizzle's own batch cannot bind raw SQL's parameters). */
export type Statement = BatchItem<"sqlite"> | SQL;

const dialect = new SQLiteAsyncDialect({ casing: "snake_case" });

/**
 * Runs statements as one D1 batch (atomic; nothing to run is a no-op) and returns D1's results
 * as they are (rows of `RETURNING` included). Statements are bound here and handed to D1 directly.
 */
export async function runBatch(db: DB, statements: readonly Statement[]): Promise<D1Result[]> {
  if (statements.length === 0) return [];
  const client = db.$client;
  return client.batch(
    statements.map((statement) => {
      const query = is(statement, SQL)
        ? dialect.sqlToQuery(statement)
        : (statement as unknown as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
      return client.prepare(query.sql).bind(...query.params);
    }),
  );
}

/** Runs statements as one D1 batch (atomic); nothing to run is a no-op. */
export async function batchAll(db: DB, statements: readonly Statement[]): Promise<void> {
  await runBatch(db, statements);
}
