import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { DomainError } from "../domain/errors";
import { hashToken, sameHash } from "../crypto/token-hash";
import { admit, admitClient, countAuthFailure, logAuthFailure } from "../access/gate-client";
import { createDb } from "../db/client";
import { InvalidAccessToken, verifyAccessToken } from "../oauth/access-token";
import { DPOP_ALGORITHMS, InvalidProof, verifyProof, type VerifiedProof } from "../oauth/dpop";
import { baseUrl } from "./pagination";
import { clientAddressKey, familyOf, limitsFrom, type Bucket } from "../access/rate-limits";
import type { RefusalReason } from "../domain/api-tokens";
import type { OktaScope } from "../domain/scopes";
import type { AppEnv } from "./context";

export { OKTA_SCOPES, isOktaScope, type OktaScope } from "../domain/scopes";

/** Who is calling. SSWS API tokens carry every scope, as in Okta; OAuth access tokens carry the scopes granted to their client. */
export type Principal = { kind: "ssws"; tokenHash: string; tokenId: string } | { kind: "oauth"; clientId: string; scopes: OktaScope[] };

const bootstrapHashes = new Map<string, Promise<string>>();

function bootstrapHash(token: string): Promise<string> {
  let hash = bootstrapHashes.get(token);
  if (!hash) {
    hash = hashToken(token);
    bootstrapHashes.set(token, hash);
  }
  return hash;
}

const SSWS = /^SSWS\s+(\S+)\s*$/i;
// RFC 6750 §2.1 token68 after the scheme (auth schemes are case-insensitive).
const OAUTH = /^(Bearer|DPoP)\s+([A-Za-z0-9._~+/-]+=*)\s*$/i;

/** Okta's rate-limit headers; Date too, which the Okta SDK needs to compute its wait after a 429. */
function setRateHeaders(c: Context<AppEnv>, bucket: Bucket): void {
  c.header("X-Rate-Limit-Limit", String(bucket.limit));
  c.header("X-Rate-Limit-Remaining", String(bucket.remaining));
  c.header("X-Rate-Limit-Reset", String(bucket.reset));
}

/**
 * `Authorization: SSWS <token>`, or an OAuth access token from /oauth2/v1/token as `Bearer
 * <token>` (or `DPoP <token>` with a `DPoP` proof when the token is DPoP-bound); anything else is
 * 401 E0000011, which the Okta SDK understands. The token's gate (one Durable Object call) both
 * lets it in and counts the request against its endpoint family's window: past the limit the
 * answer is 429 E0000047. OAuth clients are counted per client id.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  c.header("Date", new Date().toUTCString());
  const limits = limitsFrom(c.env);
  const header = c.req.header("Authorization");
  const oauth = header ? OAUTH.exec(header) : null;
  if (oauth) {
    c.set("principal", await oauthPrincipal(c, oauth[1].toLowerCase() === "dpop" ? "DPoP" : "Bearer", oauth[2]));
    return next();
  }
  const match = header ? SSWS.exec(header) : null;
  if (!match) return refuse(c, header ? "malformed" : "missing", undefined);
  const tokenHash = await hashToken(match[1]);
  const configured = c.env.BOOTSTRAP_API_TOKEN;
  const bootstrap = Boolean(configured) && sameHash(tokenHash, await bootstrapHash(configured));
  const family = familyOf(c.req.path);
  const admission = await admit(c.env, { tokenHash, bootstrap, family, limit: limits.perFamily[family], windowMs: limits.windowMs });
  if (!admission.ok) return refuse(c, admission.reason, admission.tokenId);
  if (admission.bucket) {
    setRateHeaders(c, admission.bucket);
    if (admission.bucket.exceeded) throw new DomainError("E0000047");
  }
  c.set("principal", { kind: "ssws", tokenHash, tokenId: admission.tokenId });
  await next();
});

/**
 * Verifies an access token (signature, issuer and audience = this org, lifetime), its DPoP
 * binding when it has one, and asks the client's gate whether the client is still honoured and
 * with which of the token's scopes (a grant revoked since the token was issued no longer counts).
 */
async function oauthPrincipal(c: Context<AppEnv>, scheme: "Bearer" | "DPoP", token: string): Promise<Principal> {
  const limits = limitsFrom(c.env);
  const issuer = baseUrl(c);
  let claims;
  try {
    claims = await verifyAccessToken(c.env, createDb(c.env.DB), token, issuer);
  } catch (error) {
    if (error instanceof InvalidAccessToken) return refuseOAuth(c, scheme, "invalid_token", error.description);
    throw error;
  }
  let proof: VerifiedProof | undefined;
  if (claims.jkt) {
    if (scheme !== "DPoP")
      return refuseOAuth(
        c,
        "DPoP",
        "invalid_token",
        "The access token is DPoP-bound: send it as 'DPoP <token>' with a DPoP proof.",
        claims.clientId,
      );
    const header = c.req.header("DPoP");
    if (!header || header.includes(","))
      return refuseOAuth(c, scheme, "invalid_dpop_proof", "The request must carry exactly one DPoP proof.", claims.clientId);
    try {
      proof = await verifyProof(header.trim(), { method: c.req.method, url: c.req.url, accessToken: token });
    } catch (error) {
      if (error instanceof InvalidProof) return refuseOAuth(c, scheme, "invalid_dpop_proof", error.description, claims.clientId);
      throw error;
    }
    if (proof.jkt !== claims.jkt)
      return refuseOAuth(
        c,
        scheme,
        "invalid_dpop_proof",
        "The DPoP proof is not signed by the key the access token is bound to.",
        claims.clientId,
      );
  } else if (scheme === "DPoP") {
    return refuseOAuth(c, scheme, "invalid_token", "The access token is not DPoP-bound: send it as 'Bearer <token>'.", claims.clientId);
  }
  const family = familyOf(c.req.path);
  const admission = await admitClient(c.env, {
    clientId: claims.clientId,
    family,
    limit: limits.perFamily[family],
    windowMs: limits.windowMs,
    tokenId: claims.jti,
    ...(proof ? { once: { key: `proof:${proof.jti}`, expiresAt: proof.expiresAt } } : {}),
  });
  if (!admission.ok) {
    if (admission.reason === "replayed")
      return refuseOAuth(c, scheme, "invalid_dpop_proof", "The DPoP proof JWT has already been used.", claims.clientId);
    if (admission.reason === "token_revoked")
      return refuseOAuth(c, scheme, "invalid_token", "The access token has been revoked.", claims.clientId, "token_revoked");
    return refuseOAuth(
      c,
      scheme,
      "invalid_token",
      "The client of this access token is unknown or no longer active.",
      claims.clientId,
      "client_inactive",
    );
  }
  if (admission.bucket) {
    setRateHeaders(c, admission.bucket);
    if (admission.bucket.exceeded) throw new DomainError("E0000047");
  }
  return { kind: "oauth", clientId: claims.clientId, scopes: claims.scopes.filter((scope) => admission.scopes.includes(scope)) };
}

/** RFC 6750 §3 / RFC 9449 §7.1: the challenge says what was wrong; then the usual 401 E0000011. */
function refuseOAuth(
  c: Context<AppEnv>,
  scheme: "Bearer" | "DPoP",
  error: "invalid_token" | "invalid_dpop_proof",
  description: string,
  clientId?: string,
  reason: RefusalReason = error,
): Promise<never> {
  c.header("WWW-Authenticate", `${challenge(c, scheme)}, error="${error}", error_description="${description.replace(/["\\]/g, "'")}"`);
  return refuse(c, reason, clientId);
}

function challenge(c: Context<AppEnv>, scheme: "Bearer" | "DPoP"): string {
  const realm = `realm="${baseUrl(c)}"`;
  return scheme === "DPoP" ? `DPoP algs="${DPOP_ALGORITHMS.join(" ")}", ${realm}` : `Bearer ${realm}`;
}

/**
 * 401 E0000011, counted per client address (past AUTH_FAILURES_PER_MINUTE the answer is 429)
 * and recorded in the System Log after the response, within AUTH_FAILURE_LOGS_PER_MINUTE
 * events org-wide, so failed calls can neither flood the log nor slow the answer.
 */
async function refuse(c: Context<AppEnv>, reason: RefusalReason, tokenId: string | undefined): Promise<never> {
  const limits = limitsFrom(c.env);
  const address = clientAddressKey(c.req.header("CF-Connecting-IP"));
  if (limits.authFailures > 0) {
    const bucket = await countAuthFailure(c.env, address, limits);
    if (bucket) {
      setRateHeaders(c, bucket);
      if (bucket.exceeded) throw new DomainError("E0000047");
    }
  }
  afterResponse(
    c,
    logAuthFailure(c.env, limits, {
      reason,
      tokenId,
      address,
      method: c.req.method,
      path: c.req.path,
      scheme: c.req.header("Authorization")?.split(/\s/, 1)[0] ?? "",
      requestId: c.get("requestId"),
    }),
  );
  throw new DomainError("E0000011");
}

/** Lets work finish after the response (waitUntil); without an execution context (unit tests) it is awaited. */
function afterResponse(c: Context<AppEnv>, work: Promise<void>): void {
  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx as ExecutionContext;
  } catch {
    ctx = undefined;
  }
  if (ctx) ctx.waitUntil(work);
  else void work;
}

export const SCOPE_MARK = Symbol.for("provisio.scope");

/**
 * Declares the Okta scope a route needs and refuses principals without it (403 E0000006).
 * The returned middleware is marked so a test can prove that every route declares one.
 */
export function requireScope(scope: OktaScope) {
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get("principal");
    if (principal.kind === "oauth" && !principal.scopes.includes(scope)) {
      c.header("WWW-Authenticate", `Bearer realm="${baseUrl(c)}", error="insufficient_scope", scope="${scope}"`);
      throw new DomainError("E0000006");
    }
    await next();
  });
  return Object.assign(middleware, { [SCOPE_MARK]: scope });
}
