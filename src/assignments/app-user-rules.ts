import type { AppRow, AppUserRow, UserRow } from "../db/schema";
import type { AppUserScope } from "../domain/app-user-states";
import { DomainError } from "../domain/errors";
import { isInactiveForApps } from "../domain/user-lifecycle";
import { DEFAULT_USERNAME_TEMPLATE, renderUsername } from "../domain/username-template";
import { checkProfileValues } from "../mappings/app-user-schema";
import type { ProvisioningMode } from "../provisioning/capabilities";
import {
  baselineProfile,
  composeProfile,
  mappedDefaults,
  overridesFrom,
  sameJson,
  type GroupGrant,
  type ProfileRules,
} from "./effective-profile";

type Json = Record<string, unknown>;

export interface AppUserCredentialsInput {
  userName?: string;
  password?: { value?: string };
}

export interface AssignInput {
  id: string;
  scope?: AppUserScope;
  credentials?: AppUserCredentialsInput;
  profile?: Json;
}

export type UpdateInput = Omit<AssignInput, "id">;

/** An app-user row as the rules decide it; the password travels separately to be sealed. */
export type AppUserDraft = Omit<AppUserRow, "passwordCiphertext"> & { newPassword: string | null };

/** Everything the rules need to decide one user's assignment in one app. */
export interface AssignmentContext {
  app: AppRow;
  user: UserRow;
  existing: AppUserRow | undefined;
  /** The app's group assignments that contain the user. */
  grants: GroupGrant[];
  rules: ProfileRules;
  /** Whether the app provisions users downstream (new assignments start STAGED then). */
  provisioning: ProvisioningMode;
  now: Date;
}

export type Decision = { kind: "upsert"; draft: AppUserDraft } | { kind: "delete" } | { kind: "none" };

// Sign-on modes whose users hold their own app password (Okta's password-vaulting schemes).
const PASSWORD_SIGN_ON_MODES = new Set(["AUTO_LOGIN", "BASIC_AUTH", "BROWSER_PLUGIN", "SECURE_PASSWORD_STORE"]);

export const GROUP_GRANT_CAUSE = "The application cannot be unassigned from the user while their group memberships grant them access";

export function requireApp(app: AppRow | undefined, appId: string): AppRow {
  if (!app) throw DomainError.notFound(appId, "AppInstance");
  return app;
}

/** The user must exist (404 E0000007) and not be deactivated (403 E0000117). */
export function requireAssignableUser(user: UserRow | undefined, userId: string): UserRow {
  if (!user) throw DomainError.notFound(userId, "User");
  if (isInactiveForApps(user.status)) throw new DomainError("E0000117");
  return user;
}

function requireAppUser(ctx: AssignmentContext): AppUserRow {
  if (!ctx.existing) throw DomainError.notFound(`${ctx.app.id}/${ctx.user.id}`, "AppUser");
  return ctx.existing;
}

/**
 * Okta's E0000041: per-user credentials only where the app's scheme lets users have them.
 * Shared-credential apps take neither a user name nor a password; only password-vaulting
 * sign-on modes (or apps that push passwords) take a password.
 */
export function checkCredentials(app: AppRow, credentials: AppUserCredentialsInput | undefined): void {
  if (!credentials) return;
  const scheme = (app.credentials as { scheme?: string }).scheme;
  const setsPassword = credentials.password?.value !== undefined;
  const takesPassword = PASSWORD_SIGN_ON_MODES.has(app.signOnMode) || app.features.includes("PUSH_PASSWORD_UPDATES");
  const shared = scheme === "SHARED_USERNAME_AND_PASSWORD";
  if (shared || (setsPassword && !takesPassword)) {
    throw new DomainError("E0000041", "", ["User level credentials should not be provided for this scheme."]);
  }
}

/**
 * The scope an assignment ends up with. USER is a direct grant ("Administrator overrides
 * group"); GROUP hands the assignment to group control, which needs a group that grants it.
 */
function resolveScope(ctx: AssignmentContext, requested: AppUserScope | undefined, fallback: AppUserScope): AppUserScope {
  const scope = requested ?? fallback;
  if (scope === "GROUP" && ctx.grants.length === 0) {
    throw DomainError.validation("scope", "scope: GROUP requires a group assignment of this app that contains the user");
  }
  return scope;
}

function userNameFor(app: AppRow, user: UserRow): string | null {
  const template = (app.credentials as { userNameTemplate?: { template?: string; type?: string } }).userNameTemplate;
  if (template?.type === "NONE") return null;
  return renderUsername(template?.template ?? DEFAULT_USERNAME_TEMPLATE, user.profile);
}

/** What an app user's attributes are without per-user overrides: the values "reset" returns to. */
export function baselineFor(ctx: Pick<AssignmentContext, "user" | "grants" | "rules">, scope: AppUserScope): Json {
  return baselineProfile(mappedDefaults(ctx.rules.mapping, ctx.user.profile), ctx.grants, scope === "GROUP", ctx.rules.personal);
}

function newRow(ctx: AssignmentContext, scope: AppUserScope, overrides: Json): AppUserDraft {
  // With Create Users the assignment waits STAGED while its account is made downstream;
  // without provisioning it is SSO-only: ACTIVE and not synced (Okta §2.2).
  const provisioned = ctx.provisioning.enabled && ctx.provisioning.create;
  return {
    appId: ctx.app.id,
    userId: ctx.user.id,
    scope,
    status: provisioned ? "STAGED" : "ACTIVE",
    syncState: provisioned ? "SYNCING" : "DISABLED",
    externalId: null,
    userName: userNameFor(ctx.app, ctx.user),
    profile: composeProfile(baselineFor(ctx, scope), overrides),
    overrides,
    created: ctx.now,
    lastUpdated: ctx.now,
    statusChanged: ctx.now,
    passwordChanged: null,
    lastSync: null,
    newPassword: null,
  };
}

/** A planned row and whether it differs from what is stored (nothing is written when not). */
export interface Plan {
  draft: AppUserDraft;
  changed: boolean;
}

function withChanges(ctx: AssignmentContext, existing: AppUserRow, scope: AppUserScope, overrides: Json, input: UpdateInput): Plan {
  const { passwordCiphertext: _sealed, ...row } = existing;
  const password = input.credentials?.password?.value ?? null;
  const next = {
    ...row,
    scope,
    userName: input.credentials?.userName ?? existing.userName,
    overrides,
    profile: composeProfile(baselineFor(ctx, scope), overrides),
    passwordChanged: password === null ? existing.passwordChanged : ctx.now,
    newPassword: password,
  };
  const changed =
    password !== null ||
    next.scope !== row.scope ||
    next.userName !== row.userName ||
    !sameJson(next.profile, row.profile) ||
    !sameJson(next.overrides, row.overrides);
  // A provisioned account whose profile changed waits for the push (Okta's OUT_OF_SYNC).
  const pending = changed && row.externalId !== null && ctx.provisioning.enabled && ctx.provisioning.pushProfile;
  const syncState = pending && row.syncState === "SYNCHRONIZED" ? "OUT_OF_SYNC" : row.syncState;
  // lastUpdated moves only when something visible changed.
  return { draft: { ...next, syncState, lastUpdated: changed ? ctx.now : row.lastUpdated }, changed };
}

/** POST /apps/{appId}/users: a direct assignment; re-assigning keeps the row and applies changes. */
export function planAssign(ctx: AssignmentContext, input: AssignInput): Plan {
  requireAssignableUser(ctx.user, ctx.user.id);
  checkCredentials(ctx.app, input.credentials);
  if (input.profile) checkProfileValues(ctx.rules.attributes, input.profile);
  const scope = resolveScope(ctx, input.scope, "USER");
  const overrides = input.profile ? overridesFrom(input.profile, baselineFor(ctx, scope)) : (ctx.existing?.overrides ?? {});
  if (ctx.existing) return withChanges(ctx, ctx.existing, scope, overrides, input);
  const row = newRow(ctx, scope, overrides);
  const password = input.credentials?.password?.value ?? null;
  const draft = {
    ...row,
    userName: input.credentials?.userName ?? row.userName,
    passwordChanged: password === null ? null : ctx.now,
    newPassword: password,
  };
  return { draft, changed: true };
}

/** POST /apps/{appId}/users/{userId}: credentials merge, a posted profile sets the overrides. */
export function planUpdate(ctx: AssignmentContext, input: UpdateInput): Plan {
  const existing = requireAppUser(ctx);
  requireAssignableUser(ctx.user, ctx.user.id);
  checkCredentials(ctx.app, input.credentials);
  if (input.profile) checkProfileValues(ctx.rules.attributes, input.profile);
  const scope = resolveScope(ctx, input.scope, existing.scope);
  const overrides = input.profile ? overridesFrom(input.profile, baselineFor(ctx, scope)) : existing.overrides;
  return withChanges(ctx, existing, scope, overrides, input);
}

/**
 * DELETE /apps/{appId}/users/{userId}. A user only granted by groups cannot be unassigned
 * (Okta's 403 E0000046); a user granted directly and by groups loses only the direct grant.
 */
export function planUnassign(ctx: AssignmentContext): { kind: "delete" } | { kind: "retain-by-group"; plan: Plan } {
  const existing = requireAppUser(ctx);
  if (ctx.grants.length === 0) return { kind: "delete" };
  if (existing.scope === "GROUP") throw new DomainError("E0000046", "", [GROUP_GRANT_CAUSE]);
  return { kind: "retain-by-group", plan: withChanges(ctx, existing, "GROUP", existing.overrides, {}) };
}

/**
 * What a user's assignment should be after something around it changed (a group assigned or
 * unassigned, a membership, the user's profile, the mapping): created when a group grants the
 * app, removed when nothing grants it any more, else recomputed. Writes nothing when unchanged.
 */
export function reconcile(ctx: AssignmentContext): Decision {
  const { existing } = ctx;
  const inactive = isInactiveForApps(ctx.user.status);
  const direct = existing?.scope === "USER";
  if (inactive || (!direct && ctx.grants.length === 0)) return existing ? { kind: "delete" } : { kind: "none" };
  if (!existing) return { kind: "upsert", draft: newRow(ctx, "GROUP", {}) };
  const plan = withChanges(ctx, existing, existing.scope, existing.overrides, {});
  return plan.changed ? { kind: "upsert", draft: plan.draft } : { kind: "none" };
}
