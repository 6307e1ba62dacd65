import type { DB } from "../db/client";
import type { UserRow } from "../db/schema";
import { existingGroupIds } from "../db/queries/groups";
import * as userQueries from "../db/queries/users";
import { appIdsForUser } from "../db/queries/app-users";
import { appIdsGrantedByGroups } from "../db/queries/app-groups";
import { hashPassword } from "../crypto/password-hash";
import { DomainError, isUniqueViolation } from "../domain/errors";
import { newId } from "../domain/ids";
import { applyLifecycle, statusAfterCreate, type LifecycleOperation } from "../domain/user-lifecycle";
import { appCoordinator, reconcileUserInApps } from "../coordinator/client";
import { membershipChanged } from "./groups";
import { deleteUserWithCascades } from "./deletion-cascades";
import { seal } from "../crypto/secret-box";
import type { CreateUserInput, UserChangesInput } from "../wire/user";
import { writeLog, type AuditContext, type LogEventInput } from "../audit/system-log";
import { changedKeys, membershipEvent, passwordUpdateEvent, profileUpdateEvent, userLifecycleEvent } from "../audit/events";

type Profile = Record<string, unknown>;
type Credentials = CreateUserInput["credentials"];

/** login/email/firstName/lastName are kept in columns as well as in the profile (see schema). */
function profileColumns(profile: Profile) {
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  const login = String(profile.login);
  return {
    profile,
    login,
    loginLower: login.toLowerCase(),
    email: text(profile.email),
    firstName: text(profile.firstName),
    lastName: text(profile.lastName),
  };
}

async function credentialColumns(credentials: Credentials, now: Date): Promise<Partial<UserRow>> {
  const columns: Partial<UserRow> = {};
  if (credentials?.password) {
    columns.passwordHash = await hashPassword(credentials.password.value);
    columns.passwordChanged = now;
  }
  if (credentials?.recovery_question) {
    columns.recoveryQuestion = credentials.recovery_question.question;
    columns.recoveryAnswerHash = await hashPassword(credentials.recovery_question.answer.toLowerCase());
  }
  if (credentials?.provider) {
    columns.providerType = credentials.provider.type;
    columns.providerName = credentials.provider.name;
  }
  return columns;
}

async function assertLoginFree(db: DB, login: string, exceptUserId?: string): Promise<void> {
  const holder = await userQueries.findUserIdByLogin(db, login);
  if (holder && holder !== exceptUserId) throw loginTaken();
}

function loginTaken(): DomainError {
  return DomainError.validation("login", "login: An object with this field already exists in the current organization");
}

export async function createUser(env: Env, db: DB, input: CreateUserInput, activate: boolean, audit?: AuditContext): Promise<UserRow> {
  await assertLoginFree(db, input.profile.login);
  const groupIds = [...new Set(input.groupIds ?? [])];
  const found = await existingGroupIds(db, groupIds);
  const missing = groupIds.filter((id) => !found.has(id));
  if (missing.length > 0) throw DomainError.validation("groupIds", ...missing.map((id) => `groupIds: group ${id} does not exist`));

  const now = new Date();
  const credentials = await credentialColumns(input.credentials, now);
  const status = statusAfterCreate(activate, Boolean(credentials.passwordHash));
  const row: UserRow = {
    id: newId("00u"),
    status,
    transitioningToStatus: null,
    ...profileColumns(input.profile),
    passwordHash: null,
    recoveryQuestion: null,
    recoveryAnswerHash: null,
    providerType: "OKTA",
    providerName: "OKTA",
    created: now,
    activated: status === "STAGED" ? null : now,
    statusChanged: status === "STAGED" ? null : now,
    lastLogin: null,
    lastUpdated: now,
    passwordChanged: null,
    ...credentials,
  };
  try {
    await userQueries.insertUserWithGroups(db, row, groupIds);
  } catch (error) {
    if (isUniqueViolation(error)) throw loginTaken();
    throw error;
  }
  await writeLog(db, [
    userLifecycleEvent("create", row, { to: row.status }, audit),
    ...groupIds.map((groupId) => membershipEvent("add", groupId, row, audit)),
  ]);
  // The first memberships grant (and push) what those groups grant, as later ones do.
  for (const groupId of groupIds) await membershipChanged(env, db, groupId, row.id, audit, "added");
  return row;
}

/** POST /users/{id} (partial: given profile keys are merged) and PUT (the profile is replaced). */
export async function changeUser(
  env: Env,
  db: DB,
  user: UserRow,
  input: UserChangesInput,
  mode: "merge" | "replace",
  audit?: AuditContext,
): Promise<UserRow> {
  const now = new Date();
  const changes: Partial<UserRow> = { lastUpdated: now, ...(await credentialColumns(input.credentials, now)) };
  if (input.profile) {
    const profile = mode === "merge" ? { ...user.profile, ...input.profile } : input.profile;
    for (const [key, value] of Object.entries(profile)) if (value === undefined) delete profile[key];
    const columns = profileColumns(profile);
    if (columns.loginLower !== user.loginLower) await assertLoginFree(db, columns.login, user.id);
    Object.assign(changes, columns);
  }
  let updated: UserRow;
  try {
    updated = (await userQueries.updateUser(db, user.id, changes)) ?? user;
  } catch (error) {
    if (isUniqueViolation(error)) throw loginTaken();
    throw error;
  }
  const events: LogEventInput[] = [];
  const changed = input.profile ? changedKeys(user.profile, updated.profile) : [];
  if (changed.length > 0) events.push(profileUpdateEvent(updated, changed, audit));
  if (input.credentials?.password) events.push(passwordUpdateEvent(updated, audit));
  await writeLog(db, events);
  // Mapped app-user attributes follow the Okta profile.
  if (input.profile) await reconcileEverywhere(env, db, user.id, audit, "user profile changed");
  if (input.credentials?.password) await announcePasswordChange(env, db, user.id, input.credentials.password.value, audit);
  return updated;
}

/**
 * Offers a new Okta password to the user's apps (those that sync Okta passwords push it). It
 * crosses to the coordinators sealed, and is only ever stored sealed.
 */
async function announcePasswordChange(env: Env, db: DB, userId: string, password: string, audit?: AuditContext): Promise<void> {
  const appIds = await appIdsForUser(db, userId);
  if (appIds.length === 0) return;
  const box = await seal(env.CREDENTIALS_KEY, password);
  await Promise.all(appIds.map((appId) => appCoordinator(env, appId, audit).passwordChanged(userId, box)));
}

/**
 * Applies a lifecycle operation, then lets every affected app's coordinator follow it (after
 * the status change, so that no new assignment can slip in for a deactivated user).
 */
export async function changeLifecycle(env: Env, db: DB, user: UserRow, op: LifecycleOperation, audit?: AuditContext): Promise<UserRow> {
  const status = applyLifecycle(op, user.status, Boolean(user.passwordHash));
  const now = new Date();
  const changes: Partial<UserRow> = { status, statusChanged: now, lastUpdated: now };
  if (op === "activate") changes.activated = now;
  const updated = (await userQueries.updateUser(db, user.id, changes)) ?? user;
  await writeLog(db, [userLifecycleEvent(op, updated, { from: user.status, to: status }, audit)]);
  await reconcileEverywhere(env, db, user.id, audit, `user ${op.endsWith("e") ? `${op}d` : `${op}ed`}`);
  return updated;
}

/**
 * Re-checks the user in every app that assigns them or assigns one of their groups: mapped
 * defaults follow a profile change, deactivation removes assignments, reactivation restores
 * the group-granted ones.
 */
async function reconcileEverywhere(env: Env, db: DB, userId: string, audit: AuditContext | undefined, reason: string): Promise<void> {
  const [assigned, granted] = await Promise.all([appIdsForUser(db, userId), appIdsGrantedByGroups(db, userId)]);
  await reconcileUserInApps(env, [...assigned, ...granted], userId, audit, { reason });
}

/**
 * DELETE /users/{id}: a user that is not yet DEPROVISIONED is deactivated (Okta requires a
 * second delete to remove it); a DEPROVISIONED user is deleted with its memberships.
 */
export async function deleteUser(env: Env, db: DB, user: UserRow, audit?: AuditContext): Promise<"deactivated" | "deleted"> {
  if (user.status !== "DEPROVISIONED") {
    await changeLifecycle(env, db, user, "deactivate", audit);
    return "deactivated";
  }
  await reconcileEverywhere(env, db, user.id, audit, "user deleted");
  await deleteUserWithCascades(db, user, audit);
  return "deleted";
}
