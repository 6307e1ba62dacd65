import type { DB } from "../db/client";
import type { AppRow, GroupRow, UserRow } from "../db/schema";
import { getApp } from "../db/queries/apps";
import { getGroup } from "../db/queries/groups";
import { getUser } from "../db/queries/users";
import { DomainError } from "../domain/errors";

// The lookups every route starts with: the resource, or Okta's 404 E0000007 naming it.

export async function requireApp(db: DB, appId: string): Promise<AppRow> {
  const app = await getApp(db, appId);
  if (!app) throw DomainError.notFound(appId, "AppInstance");
  return app;
}

export async function requireGroup(db: DB, groupId: string): Promise<GroupRow> {
  const group = await getGroup(db, groupId);
  if (!group) throw DomainError.notFound(groupId, "UserGroup");
  return group;
}

export async function requireUserById(db: DB, userId: string): Promise<UserRow> {
  const user = await getUser(db, userId);
  if (!user) throw DomainError.notFound(userId, "User");
  return user;
}
