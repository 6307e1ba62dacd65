import { z } from "zod";
import type { AppRow } from "../db/schema";
import { href, iso, jsonObject } from "./common";
import { SIGN_ON_MODES } from "../domain/sign-on-modes";
import { logoPath } from "../catalog/logo";
import { launchPath, linkNameOf } from "../my-apps/links";

export { SIGN_ON_MODES };

const CREDENTIAL_SCHEMES = [
  "ADMIN_SETS_CREDENTIALS",
  "EDIT_PASSWORD_ONLY",
  "EDIT_USERNAME_AND_PASSWORD",
  "EXTERNAL_PASSWORD_SYNC",
  "SHARED_USERNAME_AND_PASSWORD",
] as const;

const appCredentialsSchema = z
  .object({
    scheme: z.enum(CREDENTIAL_SCHEMES).optional(),
    userNameTemplate: z
      .object({
        template: z.string().min(1).max(1024).optional(),
        type: z.enum(["NONE", "BUILT_IN", "CUSTOM"]).optional(),
        userSuffix: z.string().max(255).optional(),
        pushStatus: z.enum(["PUSH", "DONT_PUSH", "NOT_CONFIGURED"]).optional(),
      })
      .optional(),
    userName: z.string().max(100).optional(),
    password: z.object({ value: z.string().max(256).optional() }).optional(),
  })
  .catchall(z.unknown());

/** Okta's Application body; `id`, `status`, `features`, timestamps and `_links` are read-only. */
export const applicationSchema = z
  .object({
    name: z.string().min(1).max(255).optional(),
    label: z.string().min(1).max(255),
    signOnMode: z.enum(SIGN_ON_MODES),
    settings: jsonObject.optional(),
    credentials: appCredentialsSchema.optional(),
    accessibility: jsonObject.optional(),
    visibility: jsonObject.optional(),
    profile: jsonObject.nullable().optional(),
  })
  .catchall(z.unknown());
export type ApplicationInput = z.infer<typeof applicationSchema>;

/** Stored credentials keep a sealed password; the API only ever shows that one exists. */
function publicCredentials(credentials: Record<string, unknown>) {
  const { password, ...rest } = credentials as { password?: unknown };
  return password ? { ...rest, password: {} } : rest;
}

export function appJson(row: AppRow, base: string) {
  const self = `${base}/api/v1/apps/${row.id}`;
  const lifecycle = row.status === "ACTIVE" ? "deactivate" : "activate";
  return {
    id: row.id,
    name: row.name,
    label: row.label,
    status: row.status,
    created: iso(row.created),
    lastUpdated: iso(row.lastUpdated),
    signOnMode: row.signOnMode,
    features: row.features,
    accessibility: row.accessibility,
    visibility: row.visibility,
    credentials: publicCredentials(row.credentials),
    settings: row.settings,
    ...(row.profile ? { profile: row.profile } : {}),
    _links: {
      users: href(`${self}/users`),
      groups: href(`${self}/groups`),
      [lifecycle]: href(`${self}/lifecycle/${lifecycle}`, "POST"),
      // As Okta links them: the app's logo, and the link its users launch it by (My Apps).
      logo: [{ name: "medium", href: `${base}${logoPath(row.name)}`, type: "image/svg+xml" }],
      appLinks: [{ name: linkNameOf(row.name), href: `${base}${launchPath(row.name, row.id)}`, type: "text/html" }],
    },
  };
}

/** POST /apps/{appId}/clone (provisio extension): the new instance's label, and optionally its visibility. */
export const cloneRequestSchema = z.object({
  label: z.string().min(1).max(255),
  visibility: jsonObject.optional(),
});
/**
 * The answer to creating or replacing an app that was given a new client secret: Okta shows
 * `credentials.oauthClient.client_secret` in that answer only; it is never stored or shown again.
 */
export function appJsonWithSecret(row: AppRow, base: string, clientSecret: string | undefined) {
  const json = appJson(row, base);
  if (clientSecret === undefined) return json;
  const credentials = json.credentials as Record<string, unknown> & { oauthClient?: Record<string, unknown> };
  return { ...json, credentials: { ...credentials, oauthClient: { ...credentials.oauthClient, client_secret: clientSecret } } };
}
