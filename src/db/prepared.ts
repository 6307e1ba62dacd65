import type { DB } from "./client";

// Building a query with drizzle's builder costs more CPU than D1 takes to run a point lookup (a
// measured quarter of a GET's CPU went to drizzle's `is()`, selection and casing walks). The hot
// lookups are built once per drizzle instance with placeholders, and only bound per call.
const cache = new WeakMap<DB, Map<string, unknown>>();

/** The query `build` makes, built once per db instance and kept under `key`. */
export function prepared<T>(db: DB, key: string, build: (db: DB) => T): T {
  let byKey = cache.get(db);
  if (!byKey) {
    byKey = new Map();
    cache.set(db, byKey);
  }
  let query = byKey.get(key) as T | undefined;
  if (query === undefined) {
    query = build(db);
    byKey.set(key, query);
  }
  return query;
}
