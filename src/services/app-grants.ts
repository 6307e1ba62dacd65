import { forgetClient } from "../access/gate-client";
import type { DB } from "../db/client";
import * as oauthQueries from "../db/queries/oauth";
import type { AppRow, OAuthGrantRow } from "../db/schema";
import { DomainError } from "../domain/errors";
import { newId } from "../domain/ids";
import { isOktaScope, OKTA_SCOPES } from "../domain/scopes";
import type { Principal } from "../http/auth";
import type { GrantInput } from "../wire/grant";

export async function requireGrant(db: DB, appId: string, grantId: string): Promise<OAuthGrantRow> {
  const grant = await oauthQueries.getGrant(db, appId, grantId);
  if (!grant) throw DomainError.notFound(grantId, "OAuth2ScopeConsentGrant");
  return grant;
}

const sameIssuer = (given: string, org: string) => given.replace(/\/+$/, "").toLowerCase() === org.toLowerCase();

/**
 * POST /apps/{appId}/grants: lets an OAuth 2.0 client app ask the token endpoint for one of the
 * okta.* scopes provisio serves. The issuer must be this org (its org authorization server).
 * Granting a scope the app already has answers the existing grant (200) instead of a second one.
 */
export async function grantScope(
  env: Env,
  db: DB,
  app: AppRow,
  input: GrantInput,
  org: string,
  principal: Principal,
): Promise<{ grant: OAuthGrantRow; created: boolean }> {
  const problems: string[] = [];
  if (app.signOnMode !== "OPENID_CONNECT") problems.push("scopes are granted to OAuth 2.0 client apps (signOnMode OPENID_CONNECT) only");
  if (!sameIssuer(input.issuer, org)) problems.push(`issuer: must be this org's authorization server, ${org}`);
  if (!isOktaScope(input.scopeId))
    problems.push(`scopeId: "${input.scopeId}" is not one of the Okta scopes provisio serves (${OKTA_SCOPES.join(", ")})`);
  if (problems.length > 0) throw DomainError.validation("grant", ...problems);

  const existing = await oauthQueries.findGrantByScope(db, app.id, input.scopeId);
  if (existing) return { grant: existing, created: false };
  const now = new Date();
  const row: OAuthGrantRow = {
    id: newId("oag", now.getTime()),
    appId: app.id,
    scopeId: input.scopeId,
    issuer: org,
    createdById: principal.kind === "ssws" ? principal.tokenId : principal.clientId,
    createdByType: principal.kind === "ssws" ? "Token" : "Client",
    created: now,
    lastUpdated: now,
  };
  if (!(await oauthQueries.insertGrant(db, row))) {
    const raced = await oauthQueries.findGrantByScope(db, app.id, input.scopeId);
    if (raced) return { grant: raced, created: false };
    throw DomainError.notFound(app.id, "AppInstance");
  }
  await forgetClient(env, app.id);
  return { grant: row, created: true };
}

/** DELETE /apps/{appId}/grants/{grantId}: tokens lose the scope at once (the client's gate is told). */
export async function revokeGrant(env: Env, db: DB, grant: OAuthGrantRow): Promise<void> {
  await oauthQueries.deleteGrant(db, grant.appId, grant.id);
  await forgetClient(env, grant.appId);
}
