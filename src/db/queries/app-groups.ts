import { and, asc, between, eq, gt, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { GroupGrant } from "../../assignments/effective-profile";
import type { DB } from "../client";
import { appGroups, apps, groupMembers, groups, type AppGroupRow, type AppRow, type GroupRow } from "../schema";
import { startsWith } from "./expression-sql";

export async function getAppGroup(db: DB, appId: string, groupId: string): Promise<AppGroupRow | undefined> {
  return db.query.appGroups.findFirst({ where: and(eq(appGroups.appId, appId), eq(appGroups.groupId, groupId)) });
}

/** All of an app's group assignments in priority order (apps have tens to hundreds of them). */
export async function appGroupsByPriority(db: DB, appId: string): Promise<AppGroupRow[]> {
  return db.select().from(appGroups).where(eq(appGroups.appId, appId)).orderBy(asc(appGroups.priority), asc(appGroups.groupId));
}

export interface AppGroupListQuery {
  appId: string;
  q?: string;
  after?: { priority: number; groupId: string };
  limit: number;
}

/** A keyset page of an app's group assignments in priority order, with each group. */
export async function listAppGroups(db: DB, query: AppGroupListQuery): Promise<{ assignment: AppGroupRow; group: GroupRow }[]> {
  const conditions: (SQL | undefined)[] = [eq(appGroups.appId, query.appId)];
  if (query.q) conditions.push(startsWith(groups.name, query.q));
  if (query.after) {
    const { priority, groupId } = query.after;
    conditions.push(or(gt(appGroups.priority, priority), and(eq(appGroups.priority, priority), gt(appGroups.groupId, groupId))));
  }
  return db
    .select({ assignment: appGroups, group: groups })
    .from(appGroups)
    .innerJoin(groups, eq(groups.id, appGroups.groupId))
    .where(and(...conditions))
    .orderBy(asc(appGroups.priority), asc(appGroups.groupId))
    .limit(query.limit + 1);
}

/** A keyset page of the apps a group is assigned to (GET /groups/{id}/apps). */
export async function listAppsOfGroup(db: DB, groupId: string, afterAppId: string | undefined, limit: number): Promise<AppRow[]> {
  const rows = await db
    .select({ app: apps })
    .from(appGroups)
    .innerJoin(apps, eq(apps.id, appGroups.appId))
    .where(and(eq(appGroups.groupId, groupId), afterAppId ? gt(appGroups.appId, afterAppId) : undefined))
    .orderBy(asc(appGroups.appId))
    .limit(limit + 1);
  return rows.map((row) => row.app);
}

export async function appIdsOfGroup(db: DB, groupId: string): Promise<string[]> {
  const rows = await db.select({ appId: appGroups.appId }).from(appGroups).where(eq(appGroups.groupId, groupId));
  return rows.map((row) => row.appId);
}

/** Apps that assign any group the user belongs to. */
export async function appIdsGrantedByGroups(db: DB, userId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ appId: appGroups.appId })
    .from(groupMembers)
    .innerJoin(appGroups, eq(appGroups.groupId, groupMembers.groupId))
    .where(eq(groupMembers.userId, userId));
  return rows.map((row) => row.appId);
}

/**
 * The group grants of an app for every user whose id is in [fromId, toId]: which assigned
 * groups contain each user. A range rather than an IN-list keeps it to four bound parameters
 * however many users a chunk holds.
 */
export async function grantsForUserRange(
  db: DB,
  appId: string,
  fromId: string,
  toId: string,
  memberOf?: string,
): Promise<Map<string, GroupGrant[]>> {
  const inGroup = memberOf
    ? sql`${groupMembers.userId} IN (SELECT ${groupMembers.userId} FROM ${groupMembers} WHERE ${groupMembers.groupId} = ${memberOf} AND ${groupMembers.userId} BETWEEN ${fromId} AND ${toId})`
    : undefined;
  const rows = await db
    .select({ userId: groupMembers.userId, groupId: appGroups.groupId, priority: appGroups.priority, profile: appGroups.profile })
    .from(appGroups)
    .innerJoin(groupMembers, eq(groupMembers.groupId, appGroups.groupId))
    .where(and(eq(appGroups.appId, appId), between(groupMembers.userId, fromId, toId), inGroup));
  const out = new Map<string, GroupGrant[]>();
  for (const { userId, ...grant } of rows) out.set(userId, [...(out.get(userId) ?? []), grant]);
  return out;
}

export function upsertAppGroup(db: DB, row: AppGroupRow): BatchItem<"sqlite"> {
  const { appId: _a, groupId: _g, created: _c, ...changes } = row;
  return db
    .insert(appGroups)
    .values(row)
    .onConflictDoUpdate({ target: [appGroups.appId, appGroups.groupId], set: changes });
}

export function deleteAppGroup(db: DB, appId: string, groupId: string): BatchItem<"sqlite"> {
  return db.delete(appGroups).where(and(eq(appGroups.appId, appId), eq(appGroups.groupId, groupId)));
}

/** Statements that give each listed group its new priority (only those that moved). */
export function setPriorities(db: DB, appId: string, moves: { groupId: string; priority: number }[]): BatchItem<"sqlite">[] {
  return moves.map(({ groupId, priority }) =>
    db
      .update(appGroups)
      .set({ priority })
      .where(and(eq(appGroups.appId, appId), eq(appGroups.groupId, groupId))),
  );
}
