import type { AppGroupRow, AppRow, AppUserRow, GroupRow, UserRow } from "../db/schema";
import type { AuditContext, LogEventInput, LogTarget } from "./system-log";

// The System Log events provisio writes, in Okta's event types (okta-reference.md §18, Okta's
// event-types catalog). Builders only: callers put them in the batch of the change they record,
// or write them with writeLog. No builder takes a secret; changed attributes are named, not valued.

type Json = Record<string, unknown>;

/** Why an assignment changed: the API call or the cascade that led to it. */
export interface AssignmentCause {
  /** "direct assignment", "group assigned", "group membership removed", "user deactivated", "import", ... */
  reason: string;
  /** The group the change came through (assigned, unassigned, or whose membership changed). */
  groupId?: string;
}

type AppRef = Pick<AppRow, "id" | "label">;
type UserRef = Pick<UserRow, "id" | "login" | "firstName" | "lastName">;
/** An assignment as stored, or as planned (without its sealed password). */
type AppUserState = Omit<AppUserRow, "passwordCiphertext">;

export interface AppUserChange {
  app: AppRef;
  user: UserRef;
  before: AppUserState | undefined;
  after: AppUserState | undefined;
  /** A new per-user app password was set (its value is never logged). */
  passwordSet?: boolean;
  /** The group that grants a GROUP-scoped assignment, when the cause does not name one. */
  grantGroupId?: string;
}

export const appTarget = (app: AppRef | string): LogTarget =>
  typeof app === "string" ? { id: app, type: "AppInstance" } : { id: app.id, type: "AppInstance", displayName: app.label };

export function userTarget(user: UserRef | string): LogTarget {
  if (typeof user === "string") return { id: user, type: "User" };
  const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
  return { id: user.id, type: "User", alternateId: user.login, displayName: name || user.login };
}

export const groupTarget = (group: Pick<GroupRow, "id" | "name"> | string): LogTarget =>
  typeof group === "string" ? { id: group, type: "UserGroup" } : { id: group.id, type: "UserGroup", displayName: group.name };

function appUserTarget(user: UserRef, row: AppUserState): LogTarget {
  const name = row.userName ?? user.login;
  return { id: row.userId, type: "AppUser", alternateId: name, displayName: name };
}

/** Attribute names whose values differ between two profiles. */
export function changedKeys(from: Json, to: Json): string[] {
  const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
  return [...keys].filter((key) => JSON.stringify(from[key]) !== JSON.stringify(to[key])).sort();
}

/**
 * Events for one assignment change: application.user_membership.add / .remove, and on an
 * existing assignment .change_username, .change_password and .update (scope or profile). A
 * change of provisioning state alone (status, syncState) is the provisioning events' business.
 */
export function appUserEvents(change: AppUserChange, cause: AssignmentCause, audit: AuditContext | undefined): LogEventInput[] {
  const { app, user, before, after } = change;
  const row = after ?? before;
  if (!row) return [];
  const details = (state: AppUserState) => {
    const source = state.scope === "USER" ? "DIRECT" : "GROUP";
    const groupId = source === "GROUP" ? (cause.groupId ?? change.grantGroupId) : cause.groupId;
    return { scope: state.scope, source, ...(groupId ? { groupId } : {}), reason: cause.reason };
  };
  const event = (eventType: string, displayMessage: string, state: AppUserState, extra: Partial<LogTarget> = {}): LogEventInput => ({
    eventType,
    displayMessage,
    audit,
    target: [appTarget(app), userTarget(user), { ...appUserTarget(user, state), ...extra }],
    details: details(state),
  });
  if (!before) return [event("application.user_membership.add", "Add user to application membership", after!)];
  if (!after) return [event("application.user_membership.remove", "Remove user from application membership", before)];

  const events: LogEventInput[] = [];
  if (after.userName !== before.userName) {
    events.push(
      event("application.user_membership.change_username", "Change users application username", after, {
        changeDetails: { from: { userName: before.userName }, to: { userName: after.userName } },
      }),
    );
  }
  if (change.passwordSet) events.push(event("application.user_membership.change_password", "Change users application password", after));
  const attributes = changedKeys(before.profile, after.profile);
  const overridden = changedKeys(before.overrides, after.overrides);
  if (after.scope !== before.scope || attributes.length > 0 || overridden.length > 0) {
    const update = event("application.user_membership.update", "Update user's application membership", after, {
      ...(after.scope !== before.scope ? { changeDetails: { from: { scope: before.scope }, to: { scope: after.scope } } } : {}),
    });
    update.details = { ...update.details, changedAttributes: [...new Set([...attributes, ...overridden])].sort() };
    events.push(update);
  }
  return events;
}

/** group.application_assignment.add / .update / .remove. */
export function groupAssignmentEvent(
  kind: "add" | "update" | "remove",
  app: AppRef | string,
  group: Pick<GroupRow, "id" | "name"> | string,
  before: AppGroupRow | undefined,
  after: AppGroupRow | undefined,
  audit: AuditContext | undefined,
): LogEventInput {
  const message = {
    add: "Add assigned application to group",
    update: "Update assigned application in group",
    remove: "Remove assigned application from group",
  }[kind];
  const target: LogTarget = { ...groupTarget(group) };
  if (kind === "update" && before && after) {
    target.changeDetails = { from: { priority: before.priority }, to: { priority: after.priority } };
  }
  const row = after ?? before;
  return {
    eventType: `group.application_assignment.${kind}`,
    displayMessage: message,
    audit,
    target: [appTarget(app), target],
    details: {
      ...(row ? { priority: row.priority } : {}),
      ...(kind === "update" && before && after ? { changedAttributes: changedKeys(before.profile, after.profile) } : {}),
    },
  };
}

// ---- Okta users, groups and apps ------------------------------------------------------------

const LIFECYCLE_MESSAGES: Record<string, string> = {
  create: "Create Okta user",
  activate: "Activate Okta user",
  deactivate: "Deactivate Okta user",
  reactivate: "Reactivate Okta user",
  suspend: "Suspend Okta user",
  unsuspend: "Unsuspend Okta user",
  "delete.initiated": "Delete Okta user",
};

/** user.lifecycle.create / activate / deactivate / reactivate / suspend / unsuspend / delete.initiated. */
export function userLifecycleEvent(
  op: keyof typeof LIFECYCLE_MESSAGES,
  user: UserRef,
  statuses: { from?: string; to?: string },
  audit: AuditContext | undefined,
  details: Json = {},
): LogEventInput {
  return {
    eventType: `user.lifecycle.${op}`,
    displayMessage: LIFECYCLE_MESSAGES[op] ?? `${op} Okta user`,
    audit,
    target: [
      {
        ...userTarget(user),
        ...(statuses.to
          ? { changeDetails: { ...(statuses.from ? { from: { status: statuses.from } } : {}), to: { status: statuses.to } } }
          : {}),
      },
    ],
    details,
  };
}

/** user.account.update_profile, naming (not valuing) the changed attributes. */
export function profileUpdateEvent(user: UserRef, changed: string[], audit: AuditContext | undefined, details: Json = {}): LogEventInput {
  return {
    eventType: "user.account.update_profile",
    displayMessage: "Update user profile for Okta",
    audit,
    target: [userTarget(user)],
    details: { changedAttributes: changed, ...details },
  };
}

/** user.account.update_password: that the password changed, never what it is. */
export function passwordUpdateEvent(user: UserRef, audit: AuditContext | undefined): LogEventInput {
  return { eventType: "user.account.update_password", displayMessage: "Update password for Okta", audit, target: [userTarget(user)] };
}

/** group.user_membership.add / .remove. */
export function membershipEvent(
  kind: "add" | "remove",
  group: Pick<GroupRow, "id" | "name"> | string,
  user: UserRef,
  audit: AuditContext | undefined,
  details?: Json,
): LogEventInput {
  return {
    eventType: `group.user_membership.${kind}`,
    displayMessage: kind === "add" ? "Add user to group membership" : "Remove user from group membership",
    audit,
    target: [userTarget(user), groupTarget(group)],
    ...(details ? { details } : {}),
  };
}

/**
 * application.provision.group_push.removed for a push mapping that went with its app or its
 * source group (the downstream group stays; `targetGroupDeleted: false` says so).
 */
export function pushMappingRemovedEvent(
  mapping: { id: string; targetGroupId: string | null; targetGroupName: string | null; app: AppRef; group: Pick<GroupRow, "id" | "name"> },
  reason: string,
  audit: AuditContext | undefined,
): LogEventInput {
  return {
    eventType: "application.provision.group_push.removed",
    displayMessage: "Remove group push mapping",
    audit,
    target: [
      appTarget(mapping.app),
      groupTarget(mapping.group),
      { id: mapping.id, type: "GroupPushMapping", displayName: mapping.targetGroupName ?? mapping.group.name },
    ],
    details: { reason, targetGroupDeleted: false, ...(mapping.targetGroupId ? { targetGroupId: mapping.targetGroupId } : {}) },
  };
}

/** group.lifecycle.create / delete, group.profile.update. */
export function groupEvent(kind: "create" | "delete" | "update", group: Pick<GroupRow, "id" | "name">, audit: AuditContext | undefined) {
  const types = {
    create: ["group.lifecycle.create", "Create Okta group"],
    delete: ["group.lifecycle.delete", "Delete Okta group"],
    update: ["group.profile.update", "Update Okta group profile"],
  } as const;
  const [eventType, displayMessage] = types[kind];
  return { eventType, displayMessage, audit, target: [groupTarget(group)] } satisfies LogEventInput;
}

/** application.lifecycle.create / update / activate / deactivate / delete. */
export function appEvent(kind: "create" | "update" | "activate" | "deactivate" | "delete", app: AppRef, audit: AuditContext | undefined) {
  const messages = {
    create: "Create application",
    update: "Update application",
    activate: "Activate application",
    deactivate: "Deactivate application",
    delete: "Delete application",
  };
  return {
    eventType: `application.lifecycle.${kind}`,
    displayMessage: messages[kind],
    audit,
    target: [appTarget(app)],
  } satisfies LogEventInput;
}

/**
 * app.oauth2.credentials.lifecycle.create / activate / deactivate / delete for an OAuth client's
 * secret: which secret (its id and `secret_hash`), never its value.
 */
export function clientSecretEvent(
  kind: "create" | "activate" | "deactivate" | "delete",
  app: AppRef,
  secret: { id: string; fingerprint: string },
  audit: AuditContext | undefined,
): LogEventInput {
  const messages = {
    create: "Create OAuth client secret",
    activate: "Activate OAuth client secret",
    deactivate: "Deactivate OAuth client secret",
    delete: "Delete OAuth client secret",
  };
  return {
    eventType: `app.oauth2.credentials.lifecycle.${kind}`,
    displayMessage: messages[kind],
    audit,
    target: [appTarget(app), { id: secret.id, type: "OAuth2ClientSecret", displayName: secret.fingerprint }],
    details: { secretHash: secret.fingerprint },
  };
}
