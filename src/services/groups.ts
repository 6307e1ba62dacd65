import { and, eq } from "drizzle-orm";
import type { DB } from "../db/client";
import { groupMembers, groups, type GroupRow, type UserRow } from "../db/schema";
import { findGroupIdByName, isMember } from "../db/queries/groups";
import { DomainError } from "../domain/errors";
import { newId } from "../domain/ids";
import type { GroupProfileInput } from "../wire/group";

function nameTaken(): DomainError {
  return DomainError.validation("name", "name: An object with this field already exists in the current organization");
}

function profileColumns(profile: GroupProfileInput) {
  return {
    profile,
    name: profile.name,
    nameLower: profile.name.toLowerCase(),
    description: typeof profile.description === "string" ? profile.description : null,
  };
}

export async function createGroup(db: DB, profile: GroupProfileInput): Promise<GroupRow> {
  if (await findGroupIdByName(db, profile.name)) throw nameTaken();
  const now = new Date();
  const row: GroupRow = {
    id: newId("00g"),
    type: "OKTA_GROUP",
    ...profileColumns(profile),
    created: now,
    lastUpdated: now,
    lastMembershipUpdated: now,
  };
  await db.insert(groups).values(row);
  return row;
}

/** PUT /groups/{id} replaces the profile (Okta allows it for OKTA_GROUP only). */
export async function replaceGroupProfile(db: DB, group: GroupRow, profile: GroupProfileInput): Promise<GroupRow> {
  if (group.type !== "OKTA_GROUP") throw DomainError.validation("type", "Only OKTA_GROUP profiles can be replaced");
  const holder = await findGroupIdByName(db, profile.name);
  if (holder && holder !== group.id) throw nameTaken();
  const [row] = await db
    .update(groups)
    .set({ ...profileColumns(profile), lastUpdated: new Date() })
    .where(eq(groups.id, group.id))
    .returning();
  return row ?? group;
}

export async function deleteGroup(db: DB, group: GroupRow): Promise<void> {
  // Memberships go with the group (ON DELETE CASCADE).
  await db.delete(groups).where(eq(groups.id, group.id));
}

/** PUT /groups/{id}/users/{userId}: idempotent. */
export async function addMember(db: DB, group: GroupRow, user: UserRow): Promise<void> {
  if (group.type !== "OKTA_GROUP") throw DomainError.validation("type", "Only OKTA_GROUP memberships can be managed");
  if (await isMember(db, group.id, user.id)) return;
  const now = new Date();
  await db.batch([
    db.insert(groupMembers).values({ groupId: group.id, userId: user.id, created: now }).onConflictDoNothing(),
    db.update(groups).set({ lastMembershipUpdated: now }).where(eq(groups.id, group.id)),
  ]);
}

/** DELETE /groups/{id}/users/{userId}: idempotent. */
export async function removeMember(db: DB, group: GroupRow, user: UserRow): Promise<void> {
  if (group.type !== "OKTA_GROUP") throw DomainError.validation("type", "Only OKTA_GROUP memberships can be managed");
  if (!(await isMember(db, group.id, user.id))) return;
  await db.batch([
    db.delete(groupMembers).where(and(eq(groupMembers.groupId, group.id), eq(groupMembers.userId, user.id))),
    db.update(groups).set({ lastMembershipUpdated: new Date() }).where(eq(groups.id, group.id)),
  ]);
}
