import type { Context } from "hono";
import { revokeAtGate, tokenStanding, useOnce } from "../access/gate-client";
import { writeLog } from "../audit/system-log";
import { createDb, type DB } from "../db/client";
import { isTokenRevoked, recordRevokedToken } from "../db/queries/oauth";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { InvalidAccessToken, verifyAccessToken, type VerifiedAccessToken } from "./access-token";
import { authenticateClient, type AuthenticatedClient } from "./client-authentication";
import { OAuthError } from "./errors";
import { formParams } from "./token-endpoint";

// Token revocation (RFC 7009) and introspection (RFC 7662) at the org authorization server, for
// the access tokens it issues. Both need the client to authenticate as it does at the token
// endpoint, and both concern only that client's own tokens.

export const REVOKE_PATH = "/oauth2/v1/revoke";
export const INTROSPECT_PATH = "/oauth2/v1/introspect";

/** The authenticated client and the token it asks about (undefined when it is not a valid token of this org). */
async function clientAndToken(
  c: Context<AppEnv>,
  path: string,
): Promise<{ db: DB; client: AuthenticatedClient; token: VerifiedAccessToken | undefined }> {
  const params = await formParams(c);
  const db = createDb(c.env.DB);
  const client = await authenticateClient(c, db, params, `${baseUrl(c)}${path}`);
  await useAssertionOnce(c.env, client);
  const value = params.get("token");
  if (!value) throw new OAuthError("invalid_request", "The 'token' parameter is required.");
  // token_type_hint is only a hint (RFC 7009 §2.1): provisio issues access tokens only, so every token is looked up as one.
  try {
    return { db, client, token: await verifyAccessToken(c.env, db, value, baseUrl(c)) };
  } catch (error) {
    if (error instanceof InvalidAccessToken) return { db, client, token: undefined };
    throw error;
  }
}

/** A private_key_jwt assertion is good once, here as at the token endpoint. */
async function useAssertionOnce(env: Env, client: AuthenticatedClient): Promise<void> {
  if (!client.assertion) return;
  let fresh: boolean;
  try {
    fresh = await useOnce(env, client.clientId, `assertion:${client.assertion.jti}`, client.assertion.expiresAt);
  } catch {
    throw new OAuthError("temporarily_unavailable", "Replayed assertions cannot be checked right now; retry shortly.", {
      "Retry-After": "5",
    });
  }
  if (!fresh) throw new OAuthError("invalid_client", "The client_assertion token has already been used.");
}

/**
 * POST /oauth2/v1/revoke: the token is refused by the API from then on (its client's gate holds
 * the revocation, D1 a copy). A token that is invalid or already expired needs no revoking and
 * is answered 200 too (RFC 7009 §2.2); another client's token is refused.
 */
export async function revokeRequest(c: Context<AppEnv>): Promise<void> {
  const { db, client, token } = await clientAndToken(c, REVOKE_PATH);
  if (!token) return;
  if (token.clientId !== client.clientId) throw new OAuthError("unauthorized_client", "The token was not issued to this client.");
  // Revoking again records nothing new, but makes sure the gate has it (an earlier try may have stopped at the gate).
  const already = await isTokenRevoked(db, token.jti);
  if (!already) await recordRevokedToken(db, token.jti, token.clientId, new Date(token.expiresAt), new Date());
  try {
    await revokeAtGate(c.env, token.clientId, token.jti, token.expiresAt);
  } catch {
    // D1 has it; the gate, which admits the token's calls, must have it too before the answer says so.
    throw new OAuthError("temporarily_unavailable", "The revocation could not be applied right now; retry shortly.", {
      "Retry-After": "5",
    });
  }
  if (already) return;
  await writeLog(db, [
    {
      eventType: "app.oauth2.token.revoke",
      displayMessage: "OAuth2 access token revocation request",
      actor: { id: client.clientId, type: "PublicClientApp", alternateId: client.clientId, displayName: client.app.label },
      requestId: c.get("requestId"),
      target: [
        { id: client.clientId, type: "AppInstance", displayName: client.app.label },
        { id: token.jti, type: "AccessToken" },
      ],
      details: { tokenType: "access_token", expiresAt: new Date(token.expiresAt).toISOString(), authMethod: client.method },
    },
  ]);
}

/**
 * POST /oauth2/v1/introspect: `{active: false}` for anything the API would refuse (invalid,
 * expired, revoked, another client's, a client no longer honoured); else the token's claims,
 * with the scopes still granted.
 */
export async function introspectRequest(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const { client, token } = await clientAndToken(c, INTROSPECT_PATH);
  if (!token || token.clientId !== client.clientId) return { active: false };
  const standing = await tokenStanding(c.env, token.clientId, token.jti);
  if (!standing.verdict.ok || standing.revoked) return { active: false };
  const granted = standing.verdict.scopes;
  const issuer = baseUrl(c);
  return {
    active: true,
    scope: token.scopes.filter((scope) => granted.includes(scope)).join(" "),
    client_id: token.clientId,
    token_type: token.jkt ? "DPoP" : "Bearer",
    exp: Math.floor(token.expiresAt / 1000),
    iat: Math.floor(token.issuedAt / 1000),
    sub: token.clientId,
    aud: issuer,
    iss: issuer,
    jti: token.jti,
    ...(token.jkt ? { cnf: { jkt: token.jkt } } : {}),
  };
}
