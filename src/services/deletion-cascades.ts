import type { BatchItem } from "drizzle-orm/batch";
import { batchAll, type DB } from "../db/client";
import type { AppRow, GroupRow, UserRow } from "../db/schema";
import { deleteAppRow } from "../db/queries/apps";
import { deleteGroupRow } from "../db/queries/groups";
import { deleteUserRow } from "../db/queries/users";
import {
  appAssignmentsOfGroup,
  appUsersToRemove,
  assignmentsOfUser,
  deleteListedAppUsers,
  deleteListedMembers,
  deleteListedMemberships,
  deleteListedAssignmentsOfUser,
  groupAssignmentsOfApp,
  membersToRemove,
  membershipsToRemove,
  pushMappingsOf,
} from "../db/queries/cascades";
import { logStatements, type AuditContext, type LogEventInput } from "../audit/system-log";
import {
  appEvent,
  appUserEvents,
  groupAssignmentEvent,
  groupEvent,
  membershipEvent,
  pushMappingRemovedEvent,
  userLifecycleEvent,
} from "../audit/events";

// Deleting an app, a user or a group takes rows with it (ON DELETE CASCADE) that each had their
// own System Log events when they were made: assignments, memberships, push mappings. Each one
// removed gets its own event here (.remove, as if removed by hand, with `reason` saying why), in
// the same D1 batch as the delete that removes it, so an event exists exactly when its removal does.
//
// A big parent (an app with 100,000 assignments) is emptied a chunk at a time: each chunk is
// one batch of one DELETE (its ids as one JSON parameter) and its events (one JSON parameter per
// statement, at most 300,000 characters: src/db/json-rows.ts), so no statement nears D1's 100
// bound parameters or 1 MB per string, and no read returns more than a chunk. The last chunk
// goes in the same batch as the parent's own delete: a small delete stays one atomic batch. A
// delete interrupted between chunks leaves the parent in place, with the removed rows logged,
// and running the delete again finishes it.

export const CASCADE_CHUNK = 1_000;

type Statement = BatchItem<"sqlite">;

/**
 * Removes rows `next` reads, a full chunk per batch, until fewer than a chunk remain; returns
 * the statements removing those (and logging them) for the caller's final batch.
 */
async function drain<Row>(
  db: DB,
  chunkSize: number,
  next: (limit: number) => Promise<Row[]>,
  remove: (rows: Row[]) => Statement[],
  mayContinue: () => boolean = () => true,
): Promise<{ removed: number; last: Statement[]; done: boolean }> {
  let removed = 0;
  for (;;) {
    const rows = await next(chunkSize);
    removed += rows.length;
    if (rows.length < chunkSize) return { removed, last: rows.length > 0 ? remove(rows) : [], done: true };
    await batchAll(db, remove(rows));
    if (!mayContinue()) return { removed, last: [], done: false };
  }
}

/** How many rows a delete took with it; for a group, also which apps assigned or pushed it (their coordinators follow). */
export interface CascadeReport {
  assignments: number;
  memberships: number;
  groupAssignments: { appId: string }[];
  pushMappings: { id: string; appId: string }[];
}

const mappingIds = (mappings: { id: string; app: { id: string } }[]) => mappings.map((m) => ({ id: m.id, appId: m.app.id }));

/**
 * An app with its assignments, group assignments and push mappings (the app's coordinator calls
 * this inside its critical section). `mayContinue` is asked after each full chunk: when it says
 * no (the invocation's D1 budget is spent), the app stays, with the assignments removed so far
 * gone and logged, and `done` is false: calling again goes on from there.
 */
export async function deleteAppWithCascades(
  db: DB,
  app: AppRow,
  audit?: AuditContext,
  chunkSize = CASCADE_CHUNK,
  mayContinue: () => boolean = () => true,
): Promise<CascadeReport & { done: boolean }> {
  const cause = { reason: "app deleted" };
  const assignments = await drain(
    db,
    chunkSize,
    (limit) => appUsersToRemove(db, app.id, limit),
    (rows) => [
      deleteListedAppUsers(
        db,
        app.id,
        rows.map((row) => row.appUser.userId),
      ),
      ...logStatements(
        db,
        rows.flatMap(({ appUser, user }) => appUserEvents({ app, user, before: appUser, after: undefined }, cause, audit)),
      ),
    ],
    mayContinue,
  );
  if (!assignments.done) return { assignments: assignments.removed, memberships: 0, groupAssignments: [], pushMappings: [], done: false };
  const [groupAssignments, pushMappings] = await Promise.all([groupAssignmentsOfApp(db, app.id), pushMappingsOf(db, { appId: app.id })]);
  const events: LogEventInput[] = [
    ...groupAssignments.map(({ group, priority }) =>
      withReason(groupAssignmentEvent("remove", app, group, undefined, undefined, audit), cause.reason, { priority }),
    ),
    ...pushMappings.map((mapping) => pushMappingRemovedEvent(mapping, cause.reason, audit)),
    appEvent("delete", app, audit),
  ];
  await batchAll(db, [...assignments.last, deleteAppRow(db, app.id), ...logStatements(db, events)]);
  return {
    assignments: assignments.removed,
    memberships: 0,
    groupAssignments: groupAssignments.map(() => ({ appId: app.id })),
    pushMappings: mappingIds(pushMappings),
    done: true,
  };
}

/** A group with its memberships, app assignments and push mappings (the apps' coordinators then re-check their group-granted users). */
export async function deleteGroupWithCascades(
  db: DB,
  group: GroupRow,
  audit?: AuditContext,
  chunkSize = CASCADE_CHUNK,
): Promise<CascadeReport> {
  const reason = "group deleted";
  const memberships = await drain(
    db,
    chunkSize,
    (limit) => membersToRemove(db, group.id, limit),
    (users) => [
      deleteListedMembers(
        db,
        group.id,
        users.map((user) => user.id),
      ),
      ...logStatements(
        db,
        users.map((user) => membershipEvent("remove", group, user, audit, { reason })),
      ),
    ],
  );
  const [apps, pushMappings] = await Promise.all([appAssignmentsOfGroup(db, group.id), pushMappingsOf(db, { groupId: group.id })]);
  const events: LogEventInput[] = [
    ...apps.map(({ app, priority }) =>
      withReason(groupAssignmentEvent("remove", app, group, undefined, undefined, audit), reason, { priority }),
    ),
    ...pushMappings.map((mapping) => pushMappingRemovedEvent(mapping, reason, audit)),
    groupEvent("delete", group, audit),
  ];
  await batchAll(db, [...memberships.last, deleteGroupRow(db, group.id), ...logStatements(db, events)]);
  return {
    assignments: 0,
    memberships: memberships.removed,
    groupAssignments: apps.map(({ app }) => ({ appId: app.id })),
    pushMappings: mappingIds(pushMappings),
  };
}

/**
 * A (DEPROVISIONED) user with their memberships and any assignment left. Deactivation already
 * removed the user's assignments through each app's coordinator; one made since (none should
 * be: apps refuse deactivated users) would otherwise vanish unrecorded.
 */
export async function deleteUserWithCascades(
  db: DB,
  user: UserRow,
  audit?: AuditContext,
  chunkSize = CASCADE_CHUNK,
): Promise<CascadeReport> {
  const reason = "user deleted";
  const memberships = await drain(
    db,
    chunkSize,
    (limit) => membershipsToRemove(db, user.id, limit),
    (groups) => [
      deleteListedMemberships(
        db,
        user.id,
        groups.map((group) => group.id),
      ),
      ...logStatements(
        db,
        groups.map((group) => membershipEvent("remove", group, user, audit, { reason })),
      ),
    ],
  );
  const assignments = await drain(
    db,
    chunkSize,
    (limit) => assignmentsOfUser(db, user.id, limit),
    (rows) => [
      deleteListedAssignmentsOfUser(
        db,
        user.id,
        rows.map(({ appUser }) => appUser.appId),
      ),
      ...logStatements(
        db,
        rows.flatMap(({ appUser, app }) => appUserEvents({ app, user, before: appUser, after: undefined }, { reason }, audit)),
      ),
    ],
  );
  await batchAll(db, [
    ...memberships.last,
    ...assignments.last,
    deleteUserRow(db, user.id),
    ...logStatements(db, [userLifecycleEvent("delete.initiated", user, {}, audit)]),
  ]);
  return { assignments: assignments.removed, memberships: memberships.removed, groupAssignments: [], pushMappings: [] };
}

function withReason(event: LogEventInput, reason: string, details: Record<string, unknown>): LogEventInput {
  return { ...event, details: { ...event.details, ...details, reason } };
}
