import type { BatchItem } from "drizzle-orm/batch";
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

/** Runs statements as one D1 batch (atomic); nothing to run is a no-op. */
export async function batchAll(db: DB, statements: readonly BatchItem<"sqlite">[]): Promise<void> {
  if (statements.length > 0) await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}
