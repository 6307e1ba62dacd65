import type { Context } from "hono";
import { Hono } from "hono";
import { createDb } from "../db/client";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { OKTA_SCOPES } from "../domain/scopes";
import { CLIENT_ALGORITHMS } from "../oauth/client-keys";
import { DPOP_ALGORITHMS } from "../oauth/dpop";
import { OAuthError } from "../oauth/errors";
import { keyRing, TOKEN_ALG } from "../oauth/signing-keys";
import { countFailedClientAuth, TOKEN_PATH, tokenRequest } from "../oauth/token-endpoint";
import { introspectRequest, INTROSPECT_PATH, REVOKE_PATH, revokeRequest } from "../oauth/token-management";
import { TOKEN_ENDPOINT_METHODS } from "../oauth/client-registration";

/** OAuth's error shape (not Okta's E-envelope); a failed client authentication also counts against the caller's address. */
async function oauthError(c: Context<AppEnv>, error: unknown): Promise<Response> {
  if (!(error instanceof OAuthError)) throw error;
  let refusal = error;
  if (error.code === "invalid_client" && (await countFailedClientAuth(c))) {
    refusal = new OAuthError("slow_down", "Too many failed client authentications from this address; retry after X-Rate-Limit-Reset.");
  }
  for (const [name, value] of Object.entries(refusal.headers)) c.header(name, value);
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  return c.json(refusal.toJSON(), refusal.status as 400);
}

function noStore(c: Context<AppEnv>): void {
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
}

/** Okta's org authorization server endpoints that service apps use: token, revocation, introspection and keys. */
export const oauth2Routes = new Hono<AppEnv>()
  .post("/v1/token", async (c) => {
    c.header("Date", new Date().toUTCString());
    try {
      const token = await tokenRequest(c);
      noStore(c);
      return c.json(token);
    } catch (error) {
      return oauthError(c, error);
    }
  })
  .post("/v1/revoke", async (c) => {
    try {
      await revokeRequest(c);
      noStore(c);
      return c.body(null, 200);
    } catch (error) {
      return oauthError(c, error);
    }
  })
  .post("/v1/introspect", async (c) => {
    try {
      const answer = await introspectRequest(c);
      noStore(c);
      return c.json(answer);
    } catch (error) {
      return oauthError(c, error);
    }
  })
  .get("/v1/keys", async (c) => {
    const ring = await keyRing(c.env, createDb(c.env.DB));
    c.header("Cache-Control", "max-age=300");
    return c.json(ring.jwks);
  });

/** RFC 8414 metadata of the org authorization server (what provisio implements of it). */
export function authorizationServerMetadata(c: Context<AppEnv>) {
  const issuer = baseUrl(c);
  return {
    issuer,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    revocation_endpoint: `${issuer}${REVOKE_PATH}`,
    introspection_endpoint: `${issuer}${INTROSPECT_PATH}`,
    jwks_uri: `${issuer}/oauth2/v1/keys`,
    grant_types_supported: ["client_credentials"],
    response_types_supported: ["token"],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_METHODS],
    token_endpoint_auth_signing_alg_values_supported: Object.keys(CLIENT_ALGORITHMS),
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_METHODS],
    introspection_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_METHODS],
    scopes_supported: [...OKTA_SCOPES],
    dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
    access_token_signing_alg_values_supported: [TOKEN_ALG],
  };
}
