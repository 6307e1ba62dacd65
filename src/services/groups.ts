import type { DB } from "../db/client";
import type { GroupRow, UserRow } from "../db/schema";
import * as groupQueries from "../db/queries/groups";
import { appIdsOfGroup } from "../db/queries/app-groups";
import { appIdsForUser } from "../db/queries/app-users";
import { pushMappingsOfGroup } from "../db/queries/group-push";
import { appCoordinator, reconcileUserInApps } from "../coordinator/client";
import { DomainError, isUniqueViolation } from "../domain/errors";
import { newId } from "../domain/ids";
import type { GroupProfileInput } from "../wire/group";
import { writeLog, type AuditContext } from "../audit/system-log";
import { groupEvent, membershipEvent } from "../audit/events";
import { deleteGroupWithCascades } from "./deletion-cascades";

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

export async function createGroup(db: DB, profile: GroupProfileInput, audit?: AuditContext): Promise<GroupRow> {
  if (await groupQueries.findGroupIdByName(db, profile.name)) throw nameTaken();
  const now = new Date();
  const row: GroupRow = {
    id: newId("00g"),
    type: "OKTA_GROUP",
    ...profileColumns(profile),
    created: now,
    lastUpdated: now,
    lastMembershipUpdated: now,
  };
  try {
    await groupQueries.insertGroup(db, row);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken();
    throw error;
  }
  await writeLog(db, [groupEvent("create", row, audit)]);
  return row;
}

/** PUT /groups/{id} replaces the profile (Okta allows it for OKTA_GROUP only). */
export async function replaceGroupProfile(db: DB, group: GroupRow, profile: GroupProfileInput, audit?: AuditContext): Promise<GroupRow> {
  if (group.type !== "OKTA_GROUP") throw DomainError.validation("type", "Only OKTA_GROUP profiles can be replaced");
  const holder = await groupQueries.findGroupIdByName(db, profile.name);
  if (holder && holder !== group.id) throw nameTaken();
  let updated: GroupRow;
  try {
    updated = (await groupQueries.updateGroup(db, group.id, { ...profileColumns(profile), lastUpdated: new Date() })) ?? group;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken();
    throw error;
  }
  await writeLog(db, [groupEvent("update", updated, audit)]);
  return updated;
}

/**
 * Deletes the group with its memberships, app assignments and push mappings (each removal in
 * the System Log), then has each app that assigned it re-check its group-controlled users.
 */
export async function deleteGroup(env: Env, db: DB, group: GroupRow, audit?: AuditContext): Promise<void> {
  const { groupAssignments, pushMappings: pushed } = await deleteGroupWithCascades(db, group, audit);
  await Promise.all([
    ...groupAssignments.map(({ appId }) => appCoordinator(env, appId, audit).groupDeleted()),
    // Its push mappings went with it: each app forgets what it pushed (the downstream group stays).
    ...pushed.map((mapping) => appCoordinator(env, mapping.appId, audit).pushMappingDeleted(mapping.id, null, false)),
  ]);
}

/** PUT /groups/{id}/users/{userId}: idempotent; the apps the group is assigned to follow. */
export async function addMember(env: Env, db: DB, group: GroupRow, user: UserRow, audit?: AuditContext): Promise<void> {
  if (group.type !== "OKTA_GROUP") throw DomainError.validation("type", "Only OKTA_GROUP memberships can be managed");
  if (await groupQueries.isMember(db, group.id, user.id)) return;
  await groupQueries.addMembership(db, group.id, user.id, new Date());
  await writeLog(db, [membershipEvent("add", group, user, audit)]);
  await membershipChanged(env, db, group.id, user.id, audit, "added");
}

/** DELETE /groups/{id}/users/{userId}: idempotent; the apps the group is assigned to follow. */
export async function removeMember(env: Env, db: DB, group: GroupRow, user: UserRow, audit?: AuditContext): Promise<void> {
  if (group.type !== "OKTA_GROUP") throw DomainError.validation("type", "Only OKTA_GROUP memberships can be managed");
  if (!(await groupQueries.isMember(db, group.id, user.id))) return;
  await groupQueries.removeMembership(db, group.id, user.id, new Date());
  await writeLog(db, [membershipEvent("remove", group, user, audit)]);
  await membershipChanged(env, db, group.id, user.id, audit, "removed");
}

/**
 * Apps that assign the group re-check the user, and so do apps where a group grants the user
 * an assignment now: a group being unassigned from an app at this moment may already be gone
 * from the first list while its fan-out, listing members, no longer sees this user. Apps that
 * push the group re-push its members.
 */
export async function membershipChanged(
  env: Env,
  db: DB,
  groupId: string,
  userId: string,
  audit?: AuditContext,
  change: "added" | "removed" = "added",
): Promise<void> {
  const [assigning, holding, pushing] = await Promise.all([
    appIdsOfGroup(db, groupId),
    appIdsForUser(db, userId, "GROUP"),
    pushMappingsOfGroup(db, groupId),
  ]);
  await reconcileUserInApps(env, [...assigning, ...holding], userId, audit, { reason: `group membership ${change}`, groupId });
  await Promise.all(pushing.map((mapping) => appCoordinator(env, mapping.appId, audit).pushMappingChanged(mapping.id)));
}
