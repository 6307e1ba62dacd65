/** Okta's management scopes (okta-reference.md §15.1) that provisio's routes declare; only these can be granted to an OAuth client. */
export const OKTA_SCOPES = [
  "okta.users.read",
  "okta.users.manage",
  "okta.groups.read",
  "okta.groups.manage",
  "okta.apps.read",
  "okta.apps.manage",
  "okta.appGrants.read",
  "okta.appGrants.manage",
  "okta.schemas.read",
  "okta.schemas.manage",
  "okta.profileMappings.read",
  "okta.profileMappings.manage",
  "okta.logs.read",
  "okta.inlineHooks.read",
  "okta.inlineHooks.manage",
  "okta.apiTokens.read",
  "okta.apiTokens.manage",
] as const;
export type OktaScope = (typeof OKTA_SCOPES)[number];

export function isOktaScope(value: string): value is OktaScope {
  return (OKTA_SCOPES as readonly string[]).includes(value);
}
