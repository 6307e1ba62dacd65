import { count, eq, sql, type SQL } from "drizzle-orm";
import { prepared } from "../prepared";
import type { DB } from "../client";
import { keysetPage } from "./keyset";
import { apps, type AppRow } from "../schema";
import { startsWith, startsWithAny } from "./expression-sql";

export async function getApp(db: DB, id: string): Promise<AppRow | undefined> {
  const query = prepared(db, "getApp", (d) =>
    d
      .select()
      .from(apps)
      .where(eq(apps.id, sql.placeholder("id")))
      .prepare(),
  );
  return query.get({ id });
}

export interface AppListQuery {
  q?: string;
  where?: SQL;
  afterId?: string;
  limit: number;
}

export async function listApps(db: DB, query: AppListQuery): Promise<AppRow[]> {
  const conditions: (SQL | undefined)[] = [query.where];
  if (query.q) conditions.push(startsWithAny(query.q, [apps.name, apps.label]));
  return keysetPage(db, apps, apps.id, conditions, query.afterId, query.limit);
}

/** Names already taken by generated custom-app names with this stem (stem_1, stem_2, ...). */
export async function countNamesLike(db: DB, stem: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(apps)
    .where(startsWith(apps.name, `${stem}_`, false));
  return row?.n ?? 0;
}

export function insertApp(db: DB, row: AppRow) {
  return db.insert(apps).values(row);
}

export async function updateApp(db: DB, id: string, changes: Partial<AppRow>): Promise<AppRow | undefined> {
  const [row] = await updateAppStatement(db, id, changes);
  return row;
}

/** The update as a batch item (it answers the updated row). */
export function updateAppStatement(db: DB, id: string, changes: Partial<AppRow>) {
  return db.update(apps).set(changes).where(eq(apps.id, id)).returning();
}

export function deleteAppRow(db: DB, id: string) {
  return db.delete(apps).where(eq(apps.id, id));
}
