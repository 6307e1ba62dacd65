import { compileRules, topGroup, type ProfileRules } from "../assignments/effective-profile";
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

/**
 * Reconciles a chunk of users (sorted by id) against the app's grants and writes the result in
 * one batch, with the System Log events that record it (so an event exists exactly when its
 * change does, at no extra round trip). `memberOf` narrows the range reads to one group's
 * members; `dropAttributes` removes per-user values of attributes the schema no longer has.
 */
export async function reconcileChunk(
  db: DB,
  app: AppRow,
  rules: ProfileRules,
  provisioning: ProvisioningMode,
  users: UserRow[],
  now: Date,
  options: { memberOf?: string; dropAttributes?: string[]; cause?: AssignmentCause; audit?: AuditContext } = {},
): Promise<ChunkOutcome> {
  const { memberOf, dropAttributes = [], cause = { reason: "reconcile" }, audit } = options;
  if (users.length === 0) return { changed: [], removed: [] };
  const from = users[0].id;
  const to = users[users.length - 1].id;
  const [existing, grants] = await Promise.all([
    appUsersInRange(db, app.id, from, to, memberOf),
    grantsForUserRange(db, app.id, from, to, memberOf),
  ]);
  const upserts: AppUserRow[] = [];
  const deletes: string[] = [];
  const events: LogEventInput[] = [];
  for (const user of users) {
    const ctx: AssignmentContext = {
      app,
      user,
      existing: withoutAttributes(existing.get(user.id), dropAttributes),
      grants: grants.get(user.id) ?? [],
      rules,
      provisioning,
      now,
    };
    const decision = reconcile(ctx);
    if (decision.kind === "upsert") upserts.push({ ...decision.draft, passwordCiphertext: ctx.existing?.passwordCiphertext ?? null });
    if (decision.kind === "delete") deletes.push(user.id);
    if (decision.kind !== "none") {
      const after = decision.kind === "upsert" ? decision.draft : undefined;
      const grantGroupId = topGroup(ctx.grants)?.groupId;
      events.push(...appUserEvents({ app, user, before: existing.get(user.id), after, grantGroupId }, cause, audit));
    }
  }
  await batchAll(db, [...upsertAppUsers(db, upserts), ...deleteAppUsers(db, app.id, deletes), ...logStatements(db, events, now)]);
  return { changed: [...upserts.map((row) => row.userId), ...deletes], removed: deletes };
}

function withoutAttributes(row: AppUserRow | undefined, names: string[]): AppUserRow | undefined {
  if (!row || names.length === 0 || !names.some((name) => name in row.overrides)) return row;
  const overrides = Object.fromEntries(Object.entries(row.overrides).filter(([key]) => !names.includes(key)));
  return { ...row, overrides };
}
