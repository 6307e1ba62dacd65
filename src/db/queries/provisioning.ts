import { and, asc, eq, gt, isNull, sql, type SQL } from "drizzle-orm";
import { jsonPayloads } from "../json-rows";
import type { DB } from "../client";
import { appProvisioning, appUsers, type AppProvisioningRow, type AppUserRow } from "../schema";

export async function getProvisioning(db: DB, appId: string): Promise<AppProvisioningRow | undefined> {
  return db.query.appProvisioning.findFirst({ where: eq(appProvisioning.appId, appId) });
}

export async function saveProvisioning(db: DB, row: AppProvisioningRow): Promise<void> {
  const { appId: _a, created: _c, ...changes } = row;
  await db.insert(appProvisioning).values(row).onConflictDoUpdate({ target: appProvisioning.appId, set: changes });
}

/** Updates only the given columns (so concurrent changes to other settings are kept). */
export async function updateProvisioning(db: DB, appId: string, changes: Partial<AppProvisioningRow>): Promise<void> {
  await db.update(appProvisioning).set(changes).where(eq(appProvisioning.appId, appId));
}

/** Records a provisioning outcome on an assignment (only if it still exists). */
export function setProvisioningState(
  db: DB,
  appId: string,
  userId: string,
  state: Partial<Pick<AppUserRow, "status" | "syncState" | "externalId" | "lastSync" | "lastUpdated">>,
) {
  return db
    .update(appUsers)
    .set(state)
    .where(and(eq(appUsers.appId, appId), eq(appUsers.userId, userId)));
}

/** Assignments about to be provisioned (Provision Users): STAGED and SYNCING, in one statement per ~300,000 characters of ids. */
export function markSyncing(appId: string, userIds: string[], now: Date): SQL[] {
  return jsonPayloads(userIds.map((id) => [id])).map(
    (payload) => sql`UPDATE app_users SET status = 'STAGED', sync_state = 'SYNCING', last_updated = ${now.getTime()}
      WHERE app_id = ${appId} AND user_id IN (SELECT value ->> 0 FROM json_each(${payload}))`,
  );
}

/** App users never provisioned (no downstream account) in one chunk, for Provision Users. */
export async function unprovisionedChunk(db: DB, appId: string, afterUserId: string | null, limit: number): Promise<AppUserRow[]> {
  return db
    .select()
    .from(appUsers)
    .where(and(eq(appUsers.appId, appId), isNull(appUsers.externalId), afterUserId ? gt(appUsers.userId, afterUserId) : undefined))
    .orderBy(asc(appUsers.userId))
    .limit(limit);
}
