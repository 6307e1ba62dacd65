import { z } from "zod";
import type { OAuthGrantRow } from "../db/schema";
import { iso } from "./common";

/** Okta's OAuth2ScopeConsentGrant request: the org's issuer and one okta.* scope. */
export const grantSchema = z
  .object({
    issuer: z.string().min(1).max(1024),
    scopeId: z.string().min(1).max(255),
  })
  .catchall(z.unknown());
export type GrantInput = z.infer<typeof grantSchema>;

/** Okta's OAuth2ScopeConsentGrant (source ADMIN: granted through this API). */
export function grantJson(row: OAuthGrantRow, base: string, appLabel: string) {
  const app = `${base}/api/v1/apps/${row.appId}`;
  return {
    id: row.id,
    status: "ACTIVE",
    created: iso(row.created),
    createdBy: { id: row.createdById, type: row.createdByType },
    lastUpdated: iso(row.lastUpdated),
    issuer: row.issuer,
    clientId: row.appId,
    scopeId: row.scopeId,
    source: "ADMIN",
    _embedded: { scope: { id: row.scopeId } },
    _links: {
      app: { href: app, title: appLabel },
      self: { href: `${app}/grants/${row.id}`, hints: { allow: ["GET", "DELETE"] } },
      client: { href: `${base}/oauth2/v1/clients/${row.appId}`, title: appLabel },
    },
  };
}
