import { requireApp } from "../assignments/app-user-rules";
import { applyPatch, type GroupAssignmentChange, type JsonPatchOperation } from "../assignments/group-assignment-patch";
import { placeGroup, priorityMoves, removeGroup } from "../assignments/group-priority";
import { sameJson } from "../assignments/effective-profile";
import { groupAssignmentEvent } from "../audit/events";
import { logStatements, type AuditContext } from "../audit/system-log";
import { batchAll, type DB } from "../db/client";
import { getApp } from "../db/queries/apps";
import { countAppUsers } from "../db/queries/app-users";
import { appGroupsByPriority, deleteAppGroup, getAppGroup, setPriorities, upsertAppGroup } from "../db/queries/app-groups";
import { countMembers, getGroup } from "../db/queries/groups";
import { pushMappingForSource } from "../db/queries/group-push";
import type { AppGroupRow } from "../db/schema";
import { DomainError } from "../domain/errors";
import { checkProfileValues } from "../mappings/app-user-schema";
import { loadRules } from "./assignment-store";
import type { FanOut } from "./fan-out";

// Group assignments of one app (okta.apps.manage /apps/{appId}/groups): the assignment and its
// neighbours' shifted priorities are written in one batch, then the group's members are fanned
// out (FanOut). Called inside the coordinator's critical section.

/**
 * PUT (and PATCH) /apps/{appId}/groups/{groupId}. An assignment that would not change writes
 * nothing and starts nothing.
 */
export async function assignGroup(
  db: DB,
  fanOut: FanOut,
  appId: string,
  groupId: string,
  change: GroupAssignmentChange | { patch: JsonPatchOperation[] },
  audit?: AuditContext,
): Promise<AppGroupRow> {
  const [app, group, existing, ordered, pushed] = await Promise.all([
    getApp(db, appId),
    getGroup(db, groupId),
    getAppGroup(db, appId, groupId),
    appGroupsByPriority(db, appId),
    pushMappingForSource(db, appId, groupId),
  ]);
  requireApp(app, appId);
  if (!group) throw DomainError.notFound(groupId, "UserGroup");
  if (pushed) throw sameGroupForAssignmentAndPush();
  if ("patch" in change && !existing) throw DomainError.notFound(`${appId}/${groupId}`, "ApplicationGroupAssignment");
  const wanted = "patch" in change ? applyPatch(existing!, change.patch) : change;
  if (wanted.profile) checkProfileValues((await loadRules(db, appId)).attributes, wanted.profile, { fromGroup: true });

  const order = placeGroup(
    ordered.map((g) => g.groupId),
    groupId,
    wanted.priority,
  );
  const moves = priorityMoves(order, new Map(ordered.map((g) => [g.groupId, g.priority])));
  const profile = wanted.profile ?? existing?.profile ?? {};
  if (existing && moves.length === 0 && sameJson(profile, existing.profile)) return existing;

  const now = new Date();
  const row: AppGroupRow = {
    appId,
    groupId,
    priority: order.indexOf(groupId),
    profile,
    created: existing?.created ?? now,
    lastUpdated: now,
  };
  const others = moves.filter((m) => m.groupId !== groupId);
  const event = groupAssignmentEvent(existing ? "update" : "add", app!, group, existing, row, audit);
  await db.batch([upsertAppGroup(db, row), ...setPriorities(db, appId, others), ...logStatements(db, [event], now)]);
  // Only this group's members can see a different outcome: the others kept their relative order.
  const reason = existing ? "group assignment changed" : "group assigned";
  await fanOut.start({ kind: "group-members", groupId, reason, total: await countMembers(db, groupId) }, audit);
  return row;
}

/** DELETE /apps/{appId}/groups/{groupId}: members keep the app only through another grant. */
export async function unassignGroup(db: DB, fanOut: FanOut, appId: string, groupId: string, audit?: AuditContext): Promise<null> {
  const [app, ordered, group] = await Promise.all([getApp(db, appId), appGroupsByPriority(db, appId), getGroup(db, groupId)]);
  requireApp(app, appId);
  const assignment = ordered.find((g) => g.groupId === groupId);
  if (!assignment) throw DomainError.notFound(`${appId}/${groupId}`, "ApplicationGroupAssignment");
  const order = removeGroup(
    ordered.map((g) => g.groupId),
    groupId,
  );
  const moves = priorityMoves(order, new Map(ordered.map((g) => [g.groupId, g.priority])));
  const event = groupAssignmentEvent("remove", app!, group ?? groupId, assignment, undefined, audit);
  await db.batch([deleteAppGroup(db, appId, groupId), ...setPriorities(db, appId, moves), ...logStatements(db, [event])]);
  await fanOut.start({ kind: "group-members", groupId, reason: "group unassigned", total: await countMembers(db, groupId) }, audit);
  return null;
}

/**
 * A group this app assigned was deleted (its memberships and assignment went with it): close
 * the priority gap and re-check every group-controlled assignment.
 */
export async function groupDeleted(db: DB, fanOut: FanOut, appId: string, audit?: AuditContext): Promise<null> {
  const ordered = await appGroupsByPriority(db, appId);
  const moves = priorityMoves(
    ordered.map((g) => g.groupId),
    new Map(ordered.map((g) => [g.groupId, g.priority])),
  );
  await batchAll(db, setPriorities(db, appId, moves));
  await fanOut.start({ kind: "app-users", scope: "GROUP", reason: "group deleted", total: await countAppUsers(db, appId, "GROUP") }, audit);
  return null;
}

function sameGroupForAssignmentAndPush(): DomainError {
  return new DomainError("E0000027", "this group is pushed to the app", [
    "Okta doesn't support using the same group for app assignment and Group Push: assign the app to one group and push another (for example Accounting and AppPushGroup).",
  ]);
}
