import { eq } from "drizzle-orm";
import type { DB } from "../client";
import { appUserSchemas, type AppUserSchemaRow } from "../schema";

export async function getAppUserSchema(db: DB, appId: string): Promise<AppUserSchemaRow | undefined> {
  return db.query.appUserSchemas.findFirst({ where: eq(appUserSchemas.appId, appId) });
}

export async function saveAppUserSchema(db: DB, row: AppUserSchemaRow): Promise<void> {
  await db
    .insert(appUserSchemas)
    .values(row)
    .onConflictDoUpdate({ target: appUserSchemas.appId, set: { custom: row.custom, lastUpdated: row.lastUpdated } });
}

export function insertAppUserSchema(db: DB, row: AppUserSchemaRow) {
  return db.insert(appUserSchemas).values(row);
}
