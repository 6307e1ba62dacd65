import { and, asc, eq, gt, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { AppUserScope } from "../../domain/app-user-states";
import type { DB } from "../client";
import { appUsers, users, type AppUserRow, type UserRow } from "../schema";
import { startsWithAny } from "./expression-sql";

export interface AppUserListQuery {
  appId: string;
  q?: string;
  scope?: AppUserScope;
  where?: SQL;
  afterUserId?: string;
  limit: number;
}

export type AppUserWithUser = { appUser: AppUserRow; user: UserRow };

export async function getAppUser(db: DB, appId: string, userId: string): Promise<AppUserRow | undefined> {
  return db.query.appUsers.findFirst({ where: and(eq(appUsers.appId, appId), eq(appUsers.userId, userId)) });
}

export async function getAppUserWithUser(db: DB, appId: string, userId: string): Promise<AppUserWithUser | undefined> {
  const [row] = await db
    .select({ appUser: appUsers, user: users })
    .from(appUsers)
    .innerJoin(users, eq(users.id, appUsers.userId))
    .where(and(eq(appUsers.appId, appId), eq(appUsers.userId, userId)));
  return row;
}

/** One keyset page (plus one row to detect a next page) ordered by user id. */
export async function listAppUsers(db: DB, query: AppUserListQuery): Promise<AppUserWithUser[]> {
  const conditions: (SQL | undefined)[] = [eq(appUsers.appId, query.appId), query.where];
  if (query.scope) conditions.push(eq(appUsers.scope, query.scope));
  if (query.afterUserId) conditions.push(gt(appUsers.userId, query.afterUserId));
  if (query.q) {
    conditions.push(startsWithAny(query.q, [appUsers.userName, users.firstName, users.lastName, users.email]));
  }
  return db
    .select({ appUser: appUsers, user: users })
    .from(appUsers)
    .innerJoin(users, eq(users.id, appUsers.userId))
    .where(and(...conditions))
    .orderBy(asc(appUsers.userId))
    .limit(query.limit + 1);
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

export function deleteAllAppUsers(db: DB, appId: string): BatchItem<"sqlite"> {
  return db.delete(appUsers).where(eq(appUsers.appId, appId));
}

/** The apps a user holds an assignment in (for cascades such as user deactivation). */
export async function appIdsForUser(db: DB, userId: string): Promise<string[]> {
  const rows = await db.select({ appId: appUsers.appId }).from(appUsers).where(eq(appUsers.userId, userId));
  return rows.map((row) => row.appId);
}
