import { compileRules, topGroup, type GroupGrant, type ProfileRules } from "../assignments/effective-profile";
import type { BatchItem } from "drizzle-orm/batch";
import { appUsersOf, grantsOf } from "../db/queries/bulk-lookups";
import { appUserEvents, type AssignmentCause } from "../audit/events";
import { logStatements, type AuditContext, type LogEventInput } from "../audit/system-log";
import { reconcile, type AppUserDraft, type AssignmentContext } from "../assignments/app-user-rules";
import { batchAll, type DB } from "../db/client";
import type { AppRow, AppUserRow, UserRow } from "../db/schema";
import { getApp } from "../db/queries/apps";
import { appUsersInRange, deleteAppUsers, getAppUser, upsertAppUsers } from "../db/queries/app-users";
import { grantsForUserRange } from "../db/queries/app-groups";
import { getMappingForApp } from "../db/queries/mappings";
import { getAppUserSchema } from "../db/queries/app-user-schemas";
import { getUser } from "../db/queries/users";
import { seal } from "../crypto/secret-box";
import type { ProvisioningMode } from "../provisioning/capabilities";

// The coordinator's reads and writes of assignment state in D1: it loads what the rules in
// src/assignments need and turns their decisions into batch statements.

export async function loadRules(db: DB, appId: string): Promise<ProfileRules> {
  const [mapping, schema] = await Promise.all([getMappingForApp(db, appId), getAppUserSchema(db, appId)]);
  return compileRules(mapping?.properties ?? {}, schema?.custom ?? {});
}

/** What the rules need for one user; app and user may be missing (the rules say 404). */
export async function loadOne(db: DB, appId: string, userId: string) {
  const [app, user, existing, grants, rules] = await Promise.all([
    getApp(db, appId),
    getUser(db, userId),
    getAppUser(db, appId, userId),
    grantsForUserRange(db, appId, userId, userId),
    loadRules(db, appId),
  ]);
  return { app, user, existing, grants: grants.get(userId) ?? [], rules };
}

/** Seals a draft's new password (if any) and gives the row to store. */
export async function toRow(draft: AppUserDraft, existing: AppUserRow | undefined, credentialsKey: string): Promise<AppUserRow> {
  const { newPassword, ...fields } = draft;
  const passwordCiphertext = newPassword === null ? (existing?.passwordCiphertext ?? null) : await seal(credentialsKey, newPassword);
  return { ...fields, passwordCiphertext };
}

export interface ChunkOutcome {
  /** Users whose assignment was created, changed or removed. */
  changed: string[];
  /** Of those, the users whose assignment was removed. */
  removed: string[];
}

/** What reconciling some users decided: rows to write and remove, and the events that record it. */
export interface ChunkDecision extends ChunkOutcome {
  upserts: AppUserRow[];
  events: LogEventInput[];
}

export interface ReconcileOptions {
  /** Attributes removed from the app-user schema: their per-user values go too. */
  dropAttributes?: string[];
  cause?: AssignmentCause;
  audit?: AuditContext;
}

/** Loads what reconciling these users needs: their assignments in the app and its groups' grants (2 queries). */
export async function loadAssignmentsOf(db: DB, appId: string, userIds: readonly string[]) {
  const [existing, grants] = await Promise.all([appUsersOf(db, appId, userIds), grantsOf(db, appId, userIds)]);
  return { existing, grants };
}

/** Decides each user's assignment with the rules; no I/O. */
export function decideAssignments(
  app: AppRow,
  rules: ProfileRules,
  provisioning: ProvisioningMode,
  users: readonly UserRow[],
  loaded: { existing: Map<string, AppUserRow>; grants: Map<string, GroupGrant[]> },
  now: Date,
  options: ReconcileOptions = {},
): ChunkDecision {
  const { dropAttributes = [], cause = { reason: "reconcile" }, audit } = options;
  const upserts: AppUserRow[] = [];
  const removed: string[] = [];
  const events: LogEventInput[] = [];
  for (const user of users) {
    const before = loaded.existing.get(user.id);
    const ctx: AssignmentContext = {
      app,
      user,
      existing: withoutAttributes(before, dropAttributes),
      grants: loaded.grants.get(user.id) ?? [],
      rules,
      provisioning,
      now,
    };
    const decision = reconcile(ctx);
    if (decision.kind === "upsert") upserts.push({ ...decision.draft, passwordCiphertext: ctx.existing?.passwordCiphertext ?? null });
    if (decision.kind === "delete") removed.push(user.id);
    if (decision.kind !== "none") {
      const after = decision.kind === "upsert" ? decision.draft : undefined;
      const grantGroupId = topGroup(ctx.grants)?.groupId;
      events.push(...appUserEvents({ app, user, before, after, grantGroupId }, cause, audit));
    }
  }
  return { upserts, events, changed: [...upserts.map((row) => row.userId), ...removed], removed };
}

/** The batch statements of a decision (with its events, so an event exists exactly when its change does). */
export function decisionStatements(db: DB, appId: string, decision: ChunkDecision, now: Date): BatchItem<"sqlite">[] {
  return [
    ...upsertAppUsers(db, decision.upserts),
    ...deleteAppUsers(db, appId, decision.removed),
    ...logStatements(db, decision.events, now),
  ];
}

/**
 * Reconciles a chunk of users (sorted by id) against the app's grants and writes the result in
 * one batch. `memberOf` narrows the range reads to one group's members.
 */
export async function reconcileChunk(
  db: DB,
  app: AppRow,
  rules: ProfileRules,
  provisioning: ProvisioningMode,
  users: UserRow[],
  now: Date,
  options: ReconcileOptions & { memberOf?: string } = {},
): Promise<ChunkOutcome> {
  if (users.length === 0) return { changed: [], removed: [] };
  const from = users[0].id;
  const to = users[users.length - 1].id;
  const [existing, grants] = await Promise.all([
    appUsersInRange(db, app.id, from, to, options.memberOf),
    grantsForUserRange(db, app.id, from, to, options.memberOf),
  ]);
  const decision = decideAssignments(app, rules, provisioning, users, { existing, grants }, now, options);
  await batchAll(db, decisionStatements(db, app.id, decision, now));
  return { changed: decision.changed, removed: decision.removed };
}

function withoutAttributes(row: AppUserRow | undefined, names: string[]): AppUserRow | undefined {
  if (!row || names.length === 0 || !names.some((name) => name in row.overrides)) return row;
  const overrides = Object.fromEntries(Object.entries(row.overrides).filter(([key]) => !names.includes(key)));
  return { ...row, overrides };
}
