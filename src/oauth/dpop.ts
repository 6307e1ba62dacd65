import { base64url, calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify, type JWTPayload } from "jose";
import { fromBase64 } from "../crypto/encoding";

/** The algorithms a DPoP proof may use (those Okta lists in its `WWW-Authenticate: DPoP algs=`). */
export const DPOP_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];
/** A proof is fresh for a minute after its `iat` (and may be up to 30 s ahead of provisio's clock); its jti is kept that long. */
export const PROOF_MAX_AGE_SECONDS = 60;
const PROOF_FUTURE_SECONDS = 30;
/** A nonce provisio hands out at the token endpoint is good for five minutes. */
const NONCE_TTL_SECONDS = 300;

export class InvalidProof extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = "InvalidProof";
  }
}

export interface VerifiedProof {
  /** The SHA-256 JWK thumbprint of the proof's key (what a token is bound to, `cnf.jkt`). */
  jkt: string;
  jti: string;
  /** Until when the jti must not be seen again (epoch ms). */
  expiresAt: number;
  nonce?: string;
}

export interface ProofExpectation {
  method: string;
  url: string;
  /** For a call to a resource: the access token the proof must hash (`ath`). */
  accessToken?: string;
}

/**
 * Checks a DPoP proof (RFC 9449 §4.3): one compact JWT with `typ: dpop+jwt`, an asymmetric
 * `alg`, the public key in its `jwk` header and signed by it; `htm` and `htu` naming this
 * request; a fresh `iat`; a `jti`; and for resources `ath`, the hash of the token it goes with.
 * `htu` is compared without query and fragment, with repeated slashes collapsed and percent-escapes
 * decoded (so "//api/v1/..." from a trailing-slash orgUrl, and "%40" for "@", match).
 */
export async function verifyProof(proof: string, expected: ProofExpectation, now = Date.now()): Promise<VerifiedProof> {
  let payload: JWTPayload;
  let jwk: Record<string, unknown>;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { typ: "dpop+jwt", algorithms: DPOP_ALGORITHMS, currentDate: new Date(now) });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as Record<string, unknown>;
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidProof(`The DPoP proof JWT is invalid: ${proofProblem(error)}`);
    throw error;
  }
  const { htm, htu, iat, jti, ath, nonce } = payload as Record<string, unknown>;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256)
    throw new InvalidProof("'jti' claim in the DPoP proof JWT is missing or invalid.");
  if (typeof htm !== "string" || htm.toUpperCase() !== expected.method.toUpperCase())
    throw new InvalidProof("'htm' claim in the DPoP proof JWT is invalid.");
  if (typeof htu !== "string" || !sameResource(htu, expected.url)) throw new InvalidProof("'htu' claim in the DPoP proof JWT is invalid.");
  const nowSeconds = now / 1000;
  if (typeof iat !== "number" || iat > nowSeconds + PROOF_FUTURE_SECONDS || iat < nowSeconds - PROOF_MAX_AGE_SECONDS)
    throw new InvalidProof("'iat' claim in the DPoP proof JWT is missing or not fresh.");
  if (expected.accessToken !== undefined) {
    if (typeof ath !== "string" || ath !== (await tokenHash(expected.accessToken)))
      throw new InvalidProof("'ath' claim in the DPoP proof JWT does not match the access token.");
  }
  return {
    jkt: await calculateJwkThumbprint(jwk as never),
    jti,
    expiresAt: (iat + PROOF_MAX_AGE_SECONDS) * 1000,
    ...(typeof nonce === "string" ? { nonce } : {}),
  };
}

function proofProblem(error: errors.JOSEError): string {
  if (error instanceof errors.JOSEAlgNotAllowed) return `"alg" must be one of ${DPOP_ALGORITHMS.join(", ")}.`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the signature does not verify with its jwk.";
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === "typ") return '"typ" must be dpop+jwt.';
  if (error instanceof errors.JWTExpired) return "it is expired.";
  return "it must be a JWT signed by the public key in its jwk header.";
}

/** `ath`: base64url of the SHA-256 of the access token's ASCII. */
export async function tokenHash(accessToken: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken))));
}

function resource(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
    let path = parsed.pathname.replace(/\/{2,}/g, "/");
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
    try {
      path = decodeURIComponent(path);
    } catch {
      // A malformed escape is compared as it is.
    }
    return `${parsed.protocol}//${parsed.host}${path}`;
  } catch {
    return undefined;
  }
}

export function sameResource(htu: string, requestUrl: string): boolean {
  const claimed = resource(htu);
  return claimed !== undefined && claimed === resource(requestUrl);
}

// Nonces (RFC 9449 §8) are stateless: the issue time and an HMAC of it under a key derived from
// CREDENTIALS_KEY, so any isolate can check one another handed out.
const nonceKeys = new Map<string, Promise<CryptoKey>>();

function nonceKey(secret: string): Promise<CryptoKey> {
  let key = nonceKeys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", fromBase64(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: new TextEncoder().encode("provisio dpop-nonce v1") },
          base,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign", "verify"],
        ),
      );
    nonceKeys.set(secret, key);
  }
  return key;
}

export async function newNonce(secret: string, now = Date.now()): Promise<string> {
  const issued = String(Math.floor(now / 1000));
  const mac = await crypto.subtle.sign("HMAC", await nonceKey(secret), new TextEncoder().encode(issued));
  return `${issued}.${base64url.encode(new Uint8Array(mac))}`;
}

export async function nonceIsCurrent(secret: string, nonce: string, now = Date.now()): Promise<boolean> {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(nonce);
  if (!match) return false;
  const issued = Number(match[1]);
  const nowSeconds = now / 1000;
  if (issued > nowSeconds + 5 || issued < nowSeconds - NONCE_TTL_SECONDS) return false;
  let mac: Uint8Array;
  try {
    mac = base64url.decode(match[2]);
  } catch {
    return false;
  }
  return crypto.subtle.verify("HMAC", await nonceKey(secret), mac, new TextEncoder().encode(match[1]));
}
