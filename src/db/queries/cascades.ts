import { and, asc, eq, getTableColumns, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { DB } from "../client";
import { appGroups, apps, appUsers, groupMembers, groupPushMappings, groups, users, type AppUserRow } from "../schema";

// Reads and deletes for the rows a parent's delete takes with it (an app's assignments, a
// group's memberships, ...), a chunk at a time, so each removed row can get its own System Log
// event in the batch that removes it (src/services/deletion-cascades.ts). Listed ids travel as
// one JSON parameter, so a statement has three bound parameters whatever the chunk's size.

const userRef = { id: users.id, login: users.login, firstName: users.firstName, lastName: users.lastName };
type IdColumn = typeof appUsers.userId | typeof appUsers.appId | typeof groupMembers.userId | typeof groupMembers.groupId;
const inList = (column: IdColumn, ids: readonly string[]) => sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

export type UserRef = { id: string; login: string; firstName: string | null; lastName: string | null };
export type GroupRef = { id: string; name: string };
export type AppRef = { id: string; label: string };

/** The first `limit` assignments of an app (by user id), with their users. */
export async function appUsersToRemove(db: DB, appId: string, limit: number): Promise<{ appUser: AppUserRow; user: UserRef }[]> {
  return db
    .select({ appUser: getTableColumns(appUsers), user: userRef })
    .from(appUsers)
    .innerJoin(users, eq(users.id, appUsers.userId))
    .where(eq(appUsers.appId, appId))
    .orderBy(asc(appUsers.userId))
    .limit(limit);
}

/** The first `limit` assignments a user holds (by app id), with their apps. */
export async function assignmentsOfUser(db: DB, userId: string, limit: number): Promise<{ appUser: AppUserRow; app: AppRef }[]> {
  return db
    .select({ appUser: getTableColumns(appUsers), app: { id: apps.id, label: apps.label } })
    .from(appUsers)
    .innerJoin(apps, eq(apps.id, appUsers.appId))
    .where(eq(appUsers.userId, userId))
    .orderBy(asc(appUsers.appId))
    .limit(limit);
}

export function deleteListedAppUsers(db: DB, appId: string, userIds: readonly string[]): BatchItem<"sqlite"> {
  return db.delete(appUsers).where(and(eq(appUsers.appId, appId), inList(appUsers.userId, userIds)));
}

export function deleteListedAssignmentsOfUser(db: DB, userId: string, appIds: readonly string[]): BatchItem<"sqlite"> {
  return db.delete(appUsers).where(and(eq(appUsers.userId, userId), inList(appUsers.appId, appIds)));
}

/** The first `limit` members of a group (by user id). */
export async function membersToRemove(db: DB, groupId: string, limit: number): Promise<UserRef[]> {
  return db
    .select(userRef)
    .from(groupMembers)
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(eq(groupMembers.groupId, groupId))
    .orderBy(asc(groupMembers.userId))
    .limit(limit);
}

export function deleteListedMembers(db: DB, groupId: string, userIds: readonly string[]): BatchItem<"sqlite"> {
  return db.delete(groupMembers).where(and(eq(groupMembers.groupId, groupId), inList(groupMembers.userId, userIds)));
}

/** The first `limit` groups a user belongs to (by group id). */
export async function membershipsToRemove(db: DB, userId: string, limit: number): Promise<GroupRef[]> {
  return db
    .select({ id: groups.id, name: groups.name })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(eq(groupMembers.userId, userId))
    .orderBy(asc(groupMembers.groupId))
    .limit(limit);
}

export function deleteListedMemberships(db: DB, userId: string, groupIds: readonly string[]): BatchItem<"sqlite"> {
  return db.delete(groupMembers).where(and(eq(groupMembers.userId, userId), inList(groupMembers.groupId, groupIds)));
}

/** An app's group assignments with their groups (an app has tens to hundreds). */
export async function groupAssignmentsOfApp(db: DB, appId: string): Promise<{ priority: number; group: GroupRef }[]> {
  return db
    .select({ priority: appGroups.priority, group: { id: groups.id, name: groups.name } })
    .from(appGroups)
    .innerJoin(groups, eq(groups.id, appGroups.groupId))
    .where(eq(appGroups.appId, appId))
    .orderBy(asc(appGroups.priority));
}

/** A group's assignments to apps, with the apps. */
export async function appAssignmentsOfGroup(db: DB, groupId: string): Promise<{ priority: number; app: AppRef }[]> {
  return db
    .select({ priority: appGroups.priority, app: { id: apps.id, label: apps.label } })
    .from(appGroups)
    .innerJoin(apps, eq(apps.id, appGroups.appId))
    .where(eq(appGroups.groupId, groupId))
    .orderBy(asc(appGroups.appId));
}

export type PushMappingRef = { id: string; targetGroupId: string | null; targetGroupName: string | null; app: AppRef; group: GroupRef };

/** Push mappings of an app, or of a source group, with both ends named. */
export async function pushMappingsOf(db: DB, of: { appId: string } | { groupId: string }): Promise<PushMappingRef[]> {
  return db
    .select({
      id: groupPushMappings.id,
      targetGroupId: groupPushMappings.targetGroupId,
      targetGroupName: groupPushMappings.targetGroupName,
      app: { id: apps.id, label: apps.label },
      group: { id: groups.id, name: groups.name },
    })
    .from(groupPushMappings)
    .innerJoin(apps, eq(apps.id, groupPushMappings.appId))
    .innerJoin(groups, eq(groups.id, groupPushMappings.sourceGroupId))
    .where("appId" in of ? eq(groupPushMappings.appId, of.appId) : eq(groupPushMappings.sourceGroupId, of.groupId))
    .orderBy(asc(groupPushMappings.id));
}
