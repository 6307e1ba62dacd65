import type { Context } from "hono";
import { countAuthFailure, countTokenRequest, useOnce } from "../access/gate-client";
import { clientAddressKey, limitsFrom, type Bucket } from "../access/rate-limits";
import { createDb } from "../db/client";
import { listGrants } from "../db/queries/oauth";
import { DomainError } from "../domain/errors";
import { isOktaScope, type OktaScope } from "../domain/scopes";
import type { AppEnv } from "../http/context";
import { baseUrl } from "../http/pagination";
import { capsFrom, readCappedBody } from "../http/request-caps";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "./access-token";
import { authenticateClient } from "./client-authentication";
import { InvalidProof, newNonce, nonceIsCurrent, verifyProof, type VerifiedProof } from "./dpop";
import { OAuthError } from "./errors";

export const TOKEN_PATH = "/oauth2/v1/token";
/** A token request is a few kilobytes; more is refused before it is parsed. */
const MAX_TOKEN_REQUEST_BYTES = 65_536;
const FORM = /^application\/x-www-form-urlencoded$/i;

export interface TokenResponse {
  token_type: "Bearer" | "DPoP";
  expires_in: number;
  access_token: string;
  scope: string;
}

/**
 * POST /oauth2/v1/token: the client credentials grant, as Okta's org authorization server does it
 * for service apps, for clients that authenticate with private_key_jwt, client_secret_basic or
 * client_secret_post. Answers the token or throws an OAuthError; never logs a secret, the
 * assertion, the proof or the token.
 */
export async function tokenRequest(c: Context<AppEnv>): Promise<TokenResponse> {
  const env = c.env;
  const params = await formParams(c);
  const grantType = params.get("grant_type");
  if (!grantType) throw new OAuthError("invalid_request", "The 'grant_type' parameter is required.");
  if (grantType !== "client_credentials") {
    throw new OAuthError(
      "unsupported_grant_type",
      `The grant type '${grantType.slice(0, 100)}' is not supported; provisio issues client_credentials tokens only.`,
    );
  }
  const db = createDb(env.DB);
  const tokenUrl = `${baseUrl(c)}${TOKEN_PATH}`;
  const { clientId, client, assertion } = await authenticateClient(c, db, params, tokenUrl);
  if (!client.grantTypes.includes("client_credentials")) {
    throw new OAuthError("unauthorized_client", "The client is not authorized to use the client_credentials grant type.");
  }

  // Counted once the client is authenticated (failed attempts count against the caller's address
  // instead), so nobody else can use up a client's token window; the window is the "other" family's.
  const limits = limitsFrom(env);
  if (limits.perFamily.other > 0) {
    const bucket = await countTokenRequest(env, clientId, limits.perFamily.other, limits.windowMs);
    if (bucket) {
      setRateHeaders(c, bucket);
      if (bucket.exceeded) throw new OAuthError("slow_down", "Too many token requests for this client; retry after X-Rate-Limit-Reset.");
    }
  }
  // A client registered with dpop_bound_access_tokens gets DPoP-bound tokens only. Other clients'
  // proofs are not looked at: the Okta SDK sends one on every token request but then uses Bearer
  // unless the server asked it for a nonce, as Okta does for apps that do not require DPoP.
  const proof = client.requiresDpop ? await tokenProof(c, tokenUrl) : undefined;

  const scopes = grantedScopes(
    params.get("scope"),
    (await listGrants(db, clientId)).map((grant) => grant.scopeId),
  );

  let fresh = true;
  try {
    if (assertion) fresh = await useOnce(env, clientId, `assertion:${assertion.jti}`, assertion.expiresAt);
    if (fresh && proof) fresh = await useOnce(env, clientId, `proof:${proof.jti}`, proof.expiresAt);
  } catch (error) {
    console.error(JSON.stringify({ event: "access_gate.unavailable", reason: error instanceof Error ? error.message : String(error) }));
    throw new OAuthError("temporarily_unavailable", "The token endpoint cannot check for replayed assertions right now; retry shortly.", {
      "Retry-After": "5",
    });
  }
  if (!fresh) {
    if (!assertion) throw new OAuthError("invalid_dpop_proof", "The DPoP proof has already been used.");
    throw new OAuthError(
      "invalid_client",
      proof ? "The client_assertion or DPoP proof has already been used." : "The client_assertion token has already been used.",
    );
  }

  const accessToken = await issueAccessToken(env, db, baseUrl(c), { clientId, scopes, ...(proof ? { jkt: proof.jkt } : {}) });
  return {
    token_type: proof ? "DPoP" : "Bearer",
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    access_token: accessToken,
    scope: scopes.join(" "),
  };
}

/** The form of a request to an OAuth endpoint: urlencoded, capped, each parameter once. */
export async function formParams(c: Context<AppEnv>): Promise<URLSearchParams> {
  const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0].trim();
  if (!FORM.test(mediaType)) throw new OAuthError("invalid_request", "The request must be application/x-www-form-urlencoded.");
  let body: Uint8Array;
  try {
    body = await readCappedBody(c.req.raw, Math.min(capsFrom(c.env).bodyBytes, MAX_TOKEN_REQUEST_BYTES));
  } catch (error) {
    if (error instanceof DomainError) throw new OAuthError("invalid_request", "The request body is too large.");
    throw error;
  }
  const params = new URLSearchParams(new TextDecoder().decode(body));
  const names = [...params.keys()];
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) throw new OAuthError("invalid_request", `The '${repeated[0]}' parameter was given more than once.`);
  return params;
}

/** The DPoP proof of a token request from a client that must use DPoP, with a nonce provisio handed out. */
async function tokenProof(c: Context<AppEnv>, tokenUrl: string): Promise<VerifiedProof> {
  const header = c.req.header("DPoP");
  if (!header) throw new OAuthError("invalid_dpop_proof", "The client requires DPoP: the token request must carry a DPoP proof.");
  if (header.includes(",")) throw new OAuthError("invalid_dpop_proof", "Exactly one DPoP proof is allowed.");
  let proof: VerifiedProof;
  try {
    proof = await verifyProof(header.trim(), { method: "POST", url: tokenUrl });
  } catch (error) {
    if (error instanceof InvalidProof) throw new OAuthError("invalid_dpop_proof", error.description);
    throw error;
  }
  if (!proof.nonce || !(await nonceIsCurrent(c.env.CREDENTIALS_KEY, proof.nonce))) {
    throw new OAuthError("use_dpop_nonce", "Authorization server requires nonce in DPoP proof.", {
      "DPoP-Nonce": await newNonce(c.env.CREDENTIALS_KEY),
    });
  }
  return proof;
}

/** Every requested scope must be a known okta.* scope granted to the client (Okta refuses the request otherwise). */
function grantedScopes(requested: string | null, granted: string[]): OktaScope[] {
  const asked = [...new Set((requested ?? "").split(" ").filter(Boolean))];
  if (asked.length === 0) {
    throw new OAuthError(
      "invalid_scope",
      "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
    );
  }
  const refused = asked.filter((scope) => !isOktaScope(scope) || !granted.includes(scope));
  if (refused.length > 0)
    throw new OAuthError("invalid_scope", `The following scopes are not allowed: ${refused.join(" ").slice(0, 1000)}`);
  return asked as OktaScope[];
}

function setRateHeaders(c: Context<AppEnv>, bucket: Bucket): void {
  c.header("X-Rate-Limit-Limit", String(bucket.limit));
  c.header("X-Rate-Limit-Remaining", String(bucket.remaining));
  c.header("X-Rate-Limit-Reset", String(bucket.reset));
}

/** Failed client authentications count against the caller's address, as failed API authentications do. */
export async function countFailedClientAuth(c: Context<AppEnv>): Promise<boolean> {
  const limits = limitsFrom(c.env);
  if (limits.authFailures <= 0) return false;
  const bucket = await countAuthFailure(c.env, clientAddressKey(c.req.header("CF-Connecting-IP")), limits);
  if (!bucket) return false;
  setRateHeaders(c, bucket);
  return bucket.exceeded;
}
