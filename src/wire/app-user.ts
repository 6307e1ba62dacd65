import { z } from "zod";
import type { AppUserRow, UserRow } from "../db/schema";
import { APP_USER_SCOPES } from "../domain/app-user-states";
import { iso, jsonObject } from "./common";
import { userJson } from "./user";

const appUserCredentialsSchema = z.object({
  userName: z.string().min(1).max(100).optional(),
  password: z.object({ value: z.string().min(1).max(256).optional() }).optional(),
});

/** AppUserAssignRequest: only `id` is required. */
export const assignAppUserSchema = z.object({
  id: z.string().min(1).max(64),
  scope: z.enum(APP_USER_SCOPES).optional(),
  credentials: appUserCredentialsSchema.optional(),
  profile: jsonObject.optional(),
});

/** AppUserUpdateRequest (credentials and/or profile); the Okta SDK also sends `scope`. */
export const updateAppUserSchema = z.object({
  scope: z.enum(APP_USER_SCOPES).optional(),
  credentials: appUserCredentialsSchema.optional(),
  profile: jsonObject.optional(),
});

export function appUserJson(row: AppUserRow, base: string, embeddedUser?: UserRow) {
  const credentials: Record<string, unknown> = {};
  if (row.userName !== null) credentials.userName = row.userName;
  if (row.passwordCiphertext) credentials.password = {};
  return {
    id: row.userId,
    // Okta's schema types these as strings: unset, they are left out ("properties with null
    // values may be omitted"), whereas passwordChanged is nullable and stays.
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    scope: row.scope,
    status: row.status,
    statusChanged: iso(row.statusChanged),
    passwordChanged: iso(row.passwordChanged),
    syncState: row.syncState,
    ...(row.lastSync !== null ? { lastSync: iso(row.lastSync) } : {}),
    credentials,
    profile: row.profile,
    ...(embeddedUser ? { _embedded: { user: userJson(embeddedUser, base, { inCollection: true }) } } : {}),
    _links: {
      app: { href: `${base}/api/v1/apps/${row.appId}` },
      user: { href: `${base}/api/v1/users/${row.userId}` },
    },
  };
}
