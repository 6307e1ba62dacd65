import { and, asc, count, eq, getTableColumns, gt, inArray, type SQL } from "drizzle-orm";
import { tableRows } from "../table-rows";
import { chunk, MAX_BOUND_PARAMS, type DB } from "../client";
import { keysetPage } from "./keyset";
import { appGroups, groupMembers, groupPushMappings, groups, users, type GroupRow, type UserRow } from "../schema";
import { startsWithAny } from "./expression-sql";

export async function getGroup(db: DB, id: string): Promise<GroupRow | undefined> {
  return db.query.groups.findFirst({ where: eq(groups.id, id) });
}

export async function findGroupIdByName(db: DB, name: string): Promise<string | undefined> {
  const row = await db.query.groups.findFirst({ columns: { id: true }, where: eq(groups.nameLower, name.toLowerCase()) });
  return row?.id;
}

export async function existingGroupIds(db: DB, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.select({ id: groups.id }).from(groups).where(inArray(groups.id, ids));
  return new Set(rows.map((row) => row.id));
}

export interface GroupListQuery {
  q?: string;
  where?: SQL;
  afterId?: string;
  limit: number;
}

export async function listGroups(db: DB, query: GroupListQuery): Promise<GroupRow[]> {
  const conditions: (SQL | undefined)[] = [query.where];
  if (query.q) conditions.push(startsWithAny(query.q, [groups.name]));
  return keysetPage(db, groups, groups.id, conditions, query.afterId, query.limit);
}

export async function listGroupMembers(db: DB, groupId: string, afterUserId: string | undefined, limit: number): Promise<UserRow[]> {
  const conditions = [eq(groupMembers.groupId, groupId)];
  if (afterUserId) conditions.push(gt(groupMembers.userId, afterUserId));
  return tableRows(
    db,
    users,
    db
      .select(getTableColumns(users))
      .from(groupMembers)
      .innerJoin(users, eq(users.id, groupMembers.userId))
      .where(and(...conditions))
      .orderBy(asc(groupMembers.userId))
      .limit(limit + 1),
  );
}

export async function countMembers(db: DB, groupId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(groupMembers).where(eq(groupMembers.groupId, groupId));
  return row?.n ?? 0;
}

export async function isMember(db: DB, groupId: string, userId: string): Promise<boolean> {
  const row = await db.query.groupMembers.findFirst({
    columns: { userId: true },
    where: and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)),
  });
  return row !== undefined;
}

export async function groupsOfUser(db: DB, userId: string): Promise<GroupRow[]> {
  const rows = await db
    .select({ group: groups })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(eq(groupMembers.userId, userId))
    .orderBy(asc(groups.id));
  return rows.map((row) => row.group);
}

export async function insertGroup(db: DB, row: GroupRow): Promise<void> {
  await db.insert(groups).values(row);
}

export async function updateGroup(db: DB, id: string, changes: Partial<GroupRow>): Promise<GroupRow | undefined> {
  const [row] = await db.update(groups).set(changes).where(eq(groups.id, id)).returning();
  return row;
}

/** Memberships, app assignments and push mappings go with the group (ON DELETE CASCADE). */
export function deleteGroupRow(db: DB, id: string) {
  return db.delete(groups).where(eq(groups.id, id));
}

/** Adds a membership and stamps the group, atomically (one batch). */
export async function addMembership(db: DB, groupId: string, userId: string, now: Date): Promise<void> {
  await db.batch([
    db.insert(groupMembers).values({ groupId, userId, created: now }).onConflictDoNothing(),
    db.update(groups).set({ lastMembershipUpdated: now }).where(eq(groups.id, groupId)),
  ]);
}

/** Removes a membership and stamps the group, atomically (one batch). */
export async function removeMembership(db: DB, groupId: string, userId: string, now: Date): Promise<void> {
  await db.batch([
    db.delete(groupMembers).where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId))),
    db.update(groups).set({ lastMembershipUpdated: now }).where(eq(groups.id, groupId)),
  ]);
}

/**
 * Members, app assignments and push mappings per group, for a page of groups in three grouped
 * queries (not three per group), IN-lists chunked under D1's parameter limit.
 */
export async function groupStats(db: DB, groupIds: string[]): Promise<Map<string, { users: number; apps: number; pushes: number }>> {
  const stats = new Map(groupIds.map((id) => [id, { users: 0, apps: 0, pushes: 0 }]));
  for (const part of chunk(groupIds, MAX_BOUND_PARAMS - 1)) {
    const [members, assigned, pushed] = await Promise.all([
      db
        .select({ id: groupMembers.groupId, n: count() })
        .from(groupMembers)
        .where(inArray(groupMembers.groupId, part))
        .groupBy(groupMembers.groupId),
      db.select({ id: appGroups.groupId, n: count() }).from(appGroups).where(inArray(appGroups.groupId, part)).groupBy(appGroups.groupId),
      db
        .select({ id: groupPushMappings.sourceGroupId, n: count() })
        .from(groupPushMappings)
        .where(inArray(groupPushMappings.sourceGroupId, part))
        .groupBy(groupPushMappings.sourceGroupId),
    ]);
    for (const row of members) stats.get(row.id)!.users = row.n;
    for (const row of assigned) stats.get(row.id)!.apps = row.n;
    for (const row of pushed) stats.get(row.id)!.pushes = row.n;
  }
  return stats;
}
