import { and, asc, eq } from "drizzle-orm";
import type { DB } from "../client";
import { appIntegrations, appLinkOrders, apps, appUsers } from "../schema";

/**
 * The user's app users on ACTIVE apps, whatever grants them (direct or group: one app user per
 * user and app), with what a link needs of the app; oldest assignment first.
 */
export async function activeAssignmentsOf(db: DB, userId: string) {
  return db
    .select({
      appId: apps.id,
      name: apps.name,
      label: apps.label,
      signOnMode: apps.signOnMode,
      settings: apps.settings,
      credentials: apps.credentials,
      visibility: apps.visibility,
      catalogName: appIntegrations.catalogName,
      assigned: appUsers.created,
      hasPassword: appUsers.passwordCiphertext,
      userName: appUsers.userName,
    })
    .from(appUsers)
    .innerJoin(apps, eq(apps.id, appUsers.appId))
    .leftJoin(appIntegrations, eq(appIntegrations.appId, apps.id))
    .where(and(eq(appUsers.userId, userId), eq(apps.status, "ACTIVE")))
    .orderBy(asc(appUsers.created), asc(apps.id));
}
export type ActiveAssignment = Awaited<ReturnType<typeof activeAssignmentsOf>>[number];

export async function getLinkOrder(db: DB, userId: string): Promise<string[]> {
  const row = await db.query.appLinkOrders.findFirst({ where: eq(appLinkOrders.userId, userId) });
  return row?.appIds ?? [];
}

export async function saveLinkOrder(db: DB, userId: string, appIds: string[], now: Date): Promise<void> {
  await db
    .insert(appLinkOrders)
    .values({ userId, appIds, lastUpdated: now })
    .onConflictDoUpdate({ target: appLinkOrders.userId, set: { appIds, lastUpdated: now } });
}
