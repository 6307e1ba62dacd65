import { and, asc, eq, gt, gte, ne, type SQL } from "drizzle-orm";
import type { DB } from "../client";
import { appUsers, groupMembers, groupPushMappings, users, type GroupPushMappingRow } from "../schema";

export async function getPushMapping(db: DB, appId: string, id: string): Promise<GroupPushMappingRow | undefined> {
  return db.query.groupPushMappings.findFirst({ where: and(eq(groupPushMappings.appId, appId), eq(groupPushMappings.id, id)) });
}

export async function pushMappingForSource(db: DB, appId: string, sourceGroupId: string): Promise<GroupPushMappingRow | undefined> {
  return db.query.groupPushMappings.findFirst({
    where: and(eq(groupPushMappings.appId, appId), eq(groupPushMappings.sourceGroupId, sourceGroupId)),
  });
}

export interface PushMappingListQuery {
  appId: string;
  afterId?: string;
  limit: number;
  sourceGroupId?: string;
  status?: GroupPushMappingRow["status"];
  lastUpdatedFrom?: Date;
}

export async function listPushMappings(db: DB, query: PushMappingListQuery): Promise<GroupPushMappingRow[]> {
  const conditions: (SQL | undefined)[] = [
    eq(groupPushMappings.appId, query.appId),
    query.afterId ? gt(groupPushMappings.id, query.afterId) : undefined,
    query.sourceGroupId ? eq(groupPushMappings.sourceGroupId, query.sourceGroupId) : undefined,
    query.status ? eq(groupPushMappings.status, query.status) : undefined,
    query.lastUpdatedFrom ? gte(groupPushMappings.lastUpdated, query.lastUpdatedFrom) : undefined,
  ];
  return db
    .select()
    .from(groupPushMappings)
    .where(and(...conditions))
    .orderBy(asc(groupPushMappings.id))
    .limit(query.limit + 1);
}

export async function insertPushMapping(db: DB, row: GroupPushMappingRow): Promise<void> {
  await db.insert(groupPushMappings).values(row);
}

export async function updatePushMapping(
  db: DB,
  id: string,
  changes: Partial<GroupPushMappingRow>,
): Promise<GroupPushMappingRow | undefined> {
  const [row] = await db.update(groupPushMappings).set(changes).where(eq(groupPushMappings.id, id)).returning();
  return row;
}

export async function deletePushMapping(db: DB, id: string): Promise<void> {
  await db.delete(groupPushMappings).where(eq(groupPushMappings.id, id));
}

/** Push mappings (of any app) whose source is this group: membership changes concern them. */
export async function pushMappingsOfGroup(db: DB, groupId: string): Promise<{ id: string; appId: string }[]> {
  return db
    .select({ id: groupPushMappings.id, appId: groupPushMappings.appId })
    .from(groupPushMappings)
    .where(eq(groupPushMappings.sourceGroupId, groupId));
}

/** The app's push mappings whose source group contains the user. */
export async function pushMappingsForUser(db: DB, appId: string, userId: string): Promise<string[]> {
  const rows = await db
    .select({ id: groupPushMappings.id })
    .from(groupPushMappings)
    .innerJoin(groupMembers, and(eq(groupMembers.groupId, groupPushMappings.sourceGroupId), eq(groupMembers.userId, userId)))
    .where(eq(groupPushMappings.appId, appId));
  return rows.map((row) => row.id);
}

/**
 * Who Group Push should put in the downstream group: members of the source group who are
 * assigned to the app and not deactivated ("Users who show as inactive in Okta are not pushed").
 */
export async function pushCandidates(db: DB, appId: string, sourceGroupId: string): Promise<string[]> {
  const rows = await db
    .select({ userId: groupMembers.userId })
    .from(groupMembers)
    .innerJoin(appUsers, and(eq(appUsers.userId, groupMembers.userId), eq(appUsers.appId, appId)))
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(and(eq(groupMembers.groupId, sourceGroupId), ne(users.status, "DEPROVISIONED"), ne(users.status, "SUSPENDED")));
  return rows.map((row) => row.userId);
}
