import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { DB } from "../db/client";
import { isOktaScope, type OktaScope } from "../domain/scopes";
import { keyRing, TOKEN_ALG } from "./signing-keys";

/** Access tokens live an hour, as Okta's do (`expires_in` 3600). */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
const TOKEN_TYPE = "at+jwt";
const CLOCK_TOLERANCE_SECONDS = 30;

export interface AccessTokenClaims {
  clientId: string;
  scopes: OktaScope[];
  /** The SHA-256 thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  jkt?: string;
}

/** A verified token: its claims, and what revocation and introspection need (jti, iat, exp). */
export interface VerifiedAccessToken extends AccessTokenClaims {
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export class InvalidAccessToken extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = "InvalidAccessToken";
  }
}

/**
 * A signed JWT access token (RFC 9068): issuer and audience are the org URL, as for Okta's org
 * authorization server; `cid`/`sub` the client id, `scp` the scopes, `cnf.jkt` the DPoP binding.
 */
export async function issueAccessToken(env: Env, db: DB, issuer: string, claims: AccessTokenClaims): Promise<string> {
  const ring = await keyRing(env, db);
  const payload: JWTPayload = { ver: 1, cid: claims.clientId, scp: claims.scopes };
  if (claims.jkt) payload.cnf = { jkt: claims.jkt };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: TOKEN_ALG, kid: ring.kid, typ: TOKEN_TYPE })
    .setIssuer(issuer)
    .setAudience(issuer)
    .setSubject(claims.clientId)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
    .setJti(`AT.${crypto.randomUUID()}`)
    .sign(ring.privateKey);
}

/** Checks an access token's signature (provisio's keys), type, issuer, audience and lifetime; never says more than why. */
export async function verifyAccessToken(env: Env, db: DB, token: string, issuer: string): Promise<VerifiedAccessToken> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header) => {
        const ring = await keyRing(env, db, { kidMissing: header.kid });
        const key = header.kid ? ring.publicKeys.get(header.kid) : undefined;
        if (!key) throw new InvalidAccessToken("The access token was not signed by this org.");
        return key;
      },
      {
        issuer,
        audience: issuer,
        algorithms: [TOKEN_ALG],
        typ: TOKEN_TYPE,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp", "iat", "sub", "jti"],
      },
    ));
  } catch (error) {
    if (error instanceof InvalidAccessToken) throw error;
    if (error instanceof errors.JWTExpired) throw new InvalidAccessToken("The access token is expired.");
    if (error instanceof errors.JOSEError) throw new InvalidAccessToken("The access token is invalid.");
    throw error;
  }
  const scopes = Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === "string") : [];
  if (typeof payload.sub !== "string" || payload.cid !== payload.sub || typeof payload.jti !== "string") {
    throw new InvalidAccessToken("The access token is invalid.");
  }
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  return {
    clientId: payload.sub,
    scopes: scopes.filter(isOktaScope),
    ...(typeof cnf?.jkt === "string" ? { jkt: cnf.jkt } : {}),
    jti: payload.jti,
    issuedAt: payload.iat! * 1000,
    expiresAt: payload.exp! * 1000,
  };
}
