import type { AppRow, AppUserRow, UserRow } from "../db/schema";
import type { AppUserScope } from "../domain/app-user-states";
import { DomainError } from "../domain/errors";
import { isInactiveForApps } from "../domain/user-lifecycle";
import { DEFAULT_USERNAME_TEMPLATE, renderUsername } from "../domain/username-template";

export interface AppUserCredentialsInput {
  userName?: string;
  password?: { value?: string };
}

export interface AssignInput {
  id: string;
  scope?: AppUserScope;
  credentials?: AppUserCredentialsInput;
  profile?: Record<string, unknown>;
}

export type UpdateInput = Omit<AssignInput, "id">;

/** An app-user row as the rules decide it; the password travels separately to be sealed. */
export type AppUserDraft = Omit<AppUserRow, "passwordCiphertext"> & { newPassword: string | null };

// Sign-on modes whose users hold their own app password (Okta's password-vaulting schemes).
const PASSWORD_SIGN_ON_MODES = new Set(["AUTO_LOGIN", "BASIC_AUTH", "BROWSER_PLUGIN", "SECURE_PASSWORD_STORE"]);

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

export function requireAppUser(appUser: AppUserRow | undefined, appId: string, userId: string): AppUserRow {
  if (!appUser) throw DomainError.notFound(`${appId}/${userId}`, "AppUser");
  return appUser;
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
 * Until group assignments exist a user can only hold a direct grant, so `scope: GROUP` has
 * nothing to return the assignment to.
 */
function resolveScope(requested: AppUserScope | undefined): AppUserScope {
  if (requested === "GROUP") {
    throw DomainError.validation("scope", "scope: GROUP requires a group assignment that grants this app to the user");
  }
  return "USER";
}

function userNameFor(app: AppRow, user: UserRow): string | null {
  const template = (app.credentials as { userNameTemplate?: { template?: string; type?: string } }).userNameTemplate;
  if (template?.type === "NONE") return null;
  return renderUsername(template?.template ?? DEFAULT_USERNAME_TEMPLATE, user.profile);
}

/** A direct assignment (POST /apps/{appId}/users); re-assigning keeps the row and applies changes. */
export function planAssign(app: AppRow, user: UserRow, existing: AppUserRow | undefined, input: AssignInput, now: Date): AppUserDraft {
  checkCredentials(app, input.credentials);
  const scope = resolveScope(input.scope);
  if (existing) return applyChanges(existing, { ...input, scope }, now);
  const password = input.credentials?.password?.value ?? null;
  return {
    appId: app.id,
    userId: user.id,
    scope,
    // Without provisioning an assignment is SSO-only: ACTIVE and not synced (Okta §2.2).
    status: "ACTIVE",
    syncState: "DISABLED",
    externalId: null,
    userName: input.credentials?.userName ?? userNameFor(app, user),
    profile: input.profile ?? {},
    created: now,
    lastUpdated: now,
    statusChanged: now,
    passwordChanged: password === null ? null : now,
    lastSync: null,
    newPassword: password,
  };
}

/** POST /apps/{appId}/users/{userId}: credentials merge, a given profile replaces the old one. */
export function planUpdate(app: AppRow, user: UserRow, existing: AppUserRow, input: UpdateInput, now: Date): AppUserDraft {
  requireAssignableUser(user, user.id);
  checkCredentials(app, input.credentials);
  const scope = input.scope === undefined ? existing.scope : resolveScope(input.scope);
  return applyChanges(existing, { ...input, scope }, now);
}

function applyChanges(existing: AppUserRow, input: UpdateInput & { scope: AppUserScope }, now: Date): AppUserDraft {
  const { passwordCiphertext: _sealed, ...row } = existing;
  const password = input.credentials?.password?.value ?? null;
  return {
    ...row,
    scope: input.scope,
    userName: input.credentials?.userName ?? existing.userName,
    profile: input.profile ?? existing.profile,
    lastUpdated: now,
    passwordChanged: password === null ? existing.passwordChanged : now,
    newPassword: password,
  };
}
