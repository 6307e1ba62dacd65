import { and, asc, eq, gt } from "drizzle-orm";
import type { DB } from "../client";
import { profileMappings, type ProfileMappingRow } from "../schema";

export async function getMapping(db: DB, id: string): Promise<ProfileMappingRow | undefined> {
  return db.query.profileMappings.findFirst({ where: eq(profileMappings.id, id) });
}

export async function getMappingForApp(db: DB, appId: string): Promise<ProfileMappingRow | undefined> {
  return db.query.profileMappings.findFirst({ where: eq(profileMappings.appId, appId) });
}

/** GET /api/v1/mappings: keyset by id; `appId` narrows to one app (Okta's sourceId/targetId). */
export async function listMappings(
  db: DB,
  appId: string | undefined,
  afterId: string | undefined,
  limit: number,
): Promise<ProfileMappingRow[]> {
  return db
    .select()
    .from(profileMappings)
    .where(and(appId ? eq(profileMappings.appId, appId) : undefined, afterId ? gt(profileMappings.id, afterId) : undefined))
    .orderBy(asc(profileMappings.id))
    .limit(limit + 1);
}

export function insertMapping(db: DB, row: ProfileMappingRow) {
  return db.insert(profileMappings).values(row);
}

export async function updateMappingProperties(
  db: DB,
  id: string,
  properties: ProfileMappingRow["properties"],
  now: Date,
): Promise<ProfileMappingRow | undefined> {
  const [row] = await db.update(profileMappings).set({ properties, lastUpdated: now }).where(eq(profileMappings.id, id)).returning();
  return row;
}
