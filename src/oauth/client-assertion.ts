import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWK } from "jose";
import { CLIENT_ALGORITHMS, type ClientJwk } from "./client-keys";
import { OAuthError } from "./errors";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** An assertion may be valid for five minutes at most (Okta's rule); the SDK makes them exactly that long. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Allowed difference between the client's clock and provisio's. */
export const CLOCK_TOLERANCE_SECONDS = 30;

export interface VerifiedAssertion {
  jti: string;
  /** The assertion's exp, in epoch ms: its jti is refused until then. */
  expiresAt: number;
}

const invalid = (description: string) => new OAuthError("invalid_client", description);

/**
 * Verifies a private_key_jwt client assertion (RFC 7523 §3): signed with RS256 or ES256 by one
 * of the client's registered keys (by `kid` when it names one), `iss` and `sub` the client id,
 * `aud` exactly the token endpoint's URL, not expired, `exp` at most five minutes ahead, and a
 * `jti` (whose single use the caller enforces).
 */
export async function verifyClientAssertion(
  assertion: string,
  client: { clientId: string; keys: ClientJwk[]; tokenUrl: string },
  now = Date.now(),
): Promise<VerifiedAssertion> {
  let alg: unknown;
  let kid: unknown;
  try {
    ({ alg, kid } = decodeProtectedHeader(assertion));
  } catch {
    throw invalid("The client_assertion is not a JWT.");
  }
  if (typeof alg !== "string" || !(alg in CLIENT_ALGORITHMS)) {
    throw invalid(
      `The client_assertion must be signed with ${Object.keys(CLIENT_ALGORITHMS).join(" or ")}; it says "${String(alg).slice(0, 20)}".`,
    );
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: client.keys as JWK[] }), {
      algorithms: Object.keys(CLIENT_ALGORITHMS),
      issuer: client.clientId,
      subject: client.clientId,
      audience: client.tokenUrl,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
      requiredClaims: ["exp", "jti"],
    }));
  } catch (error) {
    throw invalid(assertionProblem(error, typeof kid === "string" ? kid : undefined));
  }
  const { jti, exp } = payload as { jti: unknown; exp: number };
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256)
    throw invalid("The client_assertion's jti must be a string of 1 to 256 characters.");
  if (exp > now / 1000 + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
    throw invalid("The client_assertion token has an expiration too far into the future (at most 5 minutes).");
  }
  return { jti, expiresAt: exp * 1000 };
}

function assertionProblem(error: unknown, kid: string | undefined): string {
  if (error instanceof errors.JWKSNoMatchingKey) {
    return kid === undefined
      ? "No key registered for the client can verify the client_assertion."
      : `No key registered for the client has the client_assertion's kid "${kid.slice(0, 100)}".`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSMultipleMatchingKeys) {
    return "The client_assertion signature is invalid.";
  }
  if (error instanceof errors.JWTExpired) return "The client_assertion token is expired.";
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return "The audience claim for client_assertion must be the endpoint invoking the client_assertion.";
      case "iss":
      case "sub":
        return "The client_assertion's iss and sub must both be the client_id.";
      case "jti":
        return "The client_assertion must carry a jti.";
      case "exp":
        return "The client_assertion must carry an exp.";
      case "nbf":
        return "The client_assertion is not valid yet (nbf).";
      case "iat":
        return "The client_assertion's iat is in the future.";
      default:
        return `The client_assertion's ${error.claim} claim is invalid.`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return "The client_assertion's alg is not allowed.";
  return "The client_assertion is invalid.";
}
