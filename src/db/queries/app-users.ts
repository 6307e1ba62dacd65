import { and, asc, between, eq, getTableColumns, gt, isNull, sql, type SQL } from "drizzle-orm";
import { prepared } from "../prepared";
import { tableRows } from "../table-rows";
import { jsonPayloads, writeRows } from "../json-rows";
import type { BatchItem } from "drizzle-orm/batch";
import type { AppUserScope } from "../../domain/app-user-states";
import type { DB } from "../client";
import { appUsers, groupMembers, users, type AppUserRow, type UserRow } from "../schema";
import { startsWithAny } from "./expression-sql";

export interface AppUserListQuery {
  appId: string;
  q?: string;
  scope?: AppUserScope;
  /** Only assignments without a downstream account that no run is making (syncState DISABLED). */
  unprovisioned?: boolean;
  where?: SQL;
  afterUserId?: string;
  limit: number;
  /** Join each row's user (for expand=user). */
  withUser?: boolean;
}

export type AppUserWithUser = { appUser: AppUserRow; user: UserRow };

export async function getAppUser(db: DB, appId: string, userId: string): Promise<AppUserRow | undefined> {
  const query = prepared(db, "getAppUser", (d) =>
    d
      .select()
      .from(appUsers)
      .where(and(eq(appUsers.appId, sql.placeholder("appId")), eq(appUsers.userId, sql.placeholder("userId"))))
      .prepare(),
  );
  return query.get({ appId, userId });
}

export async function getAppUserWithUser(db: DB, appId: string, userId: string): Promise<AppUserWithUser | undefined> {
  const query = prepared(db, "getAppUserWithUser", (d) =>
    d
      .select({ appUser: appUsers, user: users })
      .from(appUsers)
      .innerJoin(users, eq(users.id, appUsers.userId))
      .where(and(eq(appUsers.appId, sql.placeholder("appId")), eq(appUsers.userId, sql.placeholder("userId"))))
      .prepare(),
  );
  return query.get({ appId, userId });
}

/**
 * One keyset page (plus one row to detect a next page) ordered by user id. The users table is
 * joined only when the caller needs the user (`withUser`, for expand=user) or searches its names
 * (`q`): a plain page then reads limit + 1 rows, not twice that.
 */
export async function listAppUsers(db: DB, query: AppUserListQuery): Promise<{ appUser: AppUserRow; user?: UserRow }[]> {
  const conditions: (SQL | undefined)[] = [eq(appUsers.appId, query.appId), query.where];
  if (query.scope) conditions.push(eq(appUsers.scope, query.scope));
  if (query.unprovisioned) conditions.push(isNull(appUsers.externalId), eq(appUsers.syncState, "DISABLED"));
  if (query.afterUserId) conditions.push(gt(appUsers.userId, query.afterUserId));
  if (query.q) {
    conditions.push(startsWithAny(query.q, [appUsers.userName, users.firstName, users.lastName, users.email]));
  }
  if (query.withUser || query.q) {
    return db
      .select({ appUser: appUsers, user: users })
      .from(appUsers)
      .innerJoin(users, eq(users.id, appUsers.userId))
      .where(and(...conditions))
      .orderBy(asc(appUsers.userId))
      .limit(query.limit + 1);
  }
  const rows = await tableRows(
    db,
    appUsers,
    db
      .select()
      .from(appUsers)
      .where(and(...conditions))
      .orderBy(asc(appUsers.userId))
      .limit(query.limit + 1),
  );
  return rows.map((appUser) => ({ appUser }));
}

export function upsertAppUser(db: DB, row: AppUserRow): BatchItem<"sqlite"> {
  const { appId: _a, userId: _u, created: _c, ...changes } = row;
  return db
    .insert(appUsers)
    .values(row)
    .onConflictDoUpdate({ target: [appUsers.appId, appUsers.userId], set: changes });
}

export function deleteAppUser(db: DB, appId: string, userId: string): BatchItem<"sqlite"> {
  return db.delete(appUsers).where(and(eq(appUsers.appId, appId), eq(appUsers.userId, userId)));
}

/** The apps a user holds an assignment in (for cascades such as user deactivation). */
export async function appIdsForUser(db: DB, userId: string, scope?: AppUserScope): Promise<string[]> {
  const rows = await db
    .select({ appId: appUsers.appId })
    .from(appUsers)
    .where(scope ? and(eq(appUsers.userId, userId), eq(appUsers.scope, scope)) : eq(appUsers.userId, userId));
  return rows.map((row) => row.appId);
}

/** A chunk of an app's assignments with their users, in user-id order (for app-wide reconciles). */
export async function appUsersChunk(db: DB, appId: string, afterUserId: string | null, limit: number, scope?: AppUserScope) {
  return db
    .select({ appUser: appUsers, user: users })
    .from(appUsers)
    .innerJoin(users, eq(users.id, appUsers.userId))
    .where(
      and(
        eq(appUsers.appId, appId),
        afterUserId ? gt(appUsers.userId, afterUserId) : undefined,
        scope ? eq(appUsers.scope, scope) : undefined,
      ),
    )
    .orderBy(asc(appUsers.userId))
    .limit(limit);
}

/**
 * The app's assignments for users with ids in [fromId, toId], by user id; with `memberOf`, only
 * those of that group's members (so a chunk of a group does not read the app's other users).
 */
export async function appUsersInRange(
  db: DB,
  appId: string,
  fromId: string,
  toId: string,
  memberOf?: string,
): Promise<Map<string, AppUserRow>> {
  const range = and(eq(appUsers.appId, appId), between(appUsers.userId, fromId, toId));
  const rows = await tableRows(
    db,
    appUsers,
    memberOf
      ? db
          .select(getTableColumns(appUsers))
          .from(appUsers)
          .innerJoin(groupMembers, and(eq(groupMembers.userId, appUsers.userId), eq(groupMembers.groupId, memberOf)))
          .where(range)
      : db.select().from(appUsers).where(range),
  );
  return new Map(rows.map((row) => [row.userId, row]));
}

/**
 * Upserts app users with one bound parameter per statement (see jsonPayloads): a fan-out chunk
 * is one statement instead of one per six rows.
 */
export function upsertAppUsers(db: DB, rows: AppUserRow[]): BatchItem<"sqlite">[] {
  return writeRows(db, appUsers, rows, { target: [appUsers.appId, appUsers.userId], update: UPSERT_COLUMNS });
}

const UPSERT_COLUMNS = (Object.keys(getTableColumns(appUsers)) as (keyof AppUserRow)[]).filter(
  (key) => key !== "appId" && key !== "userId" && key !== "created",
);

/** Removes assignments with one statement per ~300,000 characters of ids (the ids are one JSON parameter). */
export function deleteAppUsers(db: DB, appId: string, userIds: string[]): BatchItem<"sqlite">[] {
  return jsonPayloads(userIds.map((id) => [id])).map((payload) =>
    db.delete(appUsers).where(and(eq(appUsers.appId, appId), sql`${appUsers.userId} IN (SELECT value ->> 0 FROM json_each(${payload}))`)),
  );
}

export async function countAppUsers(db: DB, appId: string, scope?: AppUserScope): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(appUsers)
    .where(and(eq(appUsers.appId, appId), scope ? eq(appUsers.scope, scope) : undefined));
  return row?.n ?? 0;
}
