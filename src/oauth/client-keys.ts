import { base64url, importJWK, type JWK } from "jose";

type Json = Record<string, unknown>;

/** The algorithms a client may sign its assertions with (and the key types they need). */
export const CLIENT_ALGORITHMS = { RS256: "RSA", ES256: "EC" } as const;
export type ClientAlgorithm = keyof typeof CLIENT_ALGORITHMS;
export const MAX_CLIENT_KEYS = 20;

// RFC 7518 §6.2.2 and §6.3.2 (and "k", a symmetric key): none of these may be registered.
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const KEPT_MEMBERS = ["kid", "kty", "alg", "use", "status", "n", "e", "crv", "x", "y"];

/** A registered public signing key, as stored and shown (Okta's OAuth2ClientJsonSigningKeyResponse members). */
export interface ClientJwk extends Json {
  kty: "RSA" | "EC";
  alg: ClientAlgorithm;
  use: "sig";
  status: "ACTIVE" | "INACTIVE";
  kid?: string;
}

function bits(value: string): number {
  try {
    const bytes = base64url.decode(value);
    let leading = 0;
    while (leading < bytes.length && bytes[leading] === 0) leading++;
    return (bytes.length - leading) * 8;
  } catch {
    return 0;
  }
}

/**
 * Checks the public keys a client registers in `settings.oauthClient.jwks.keys` and returns them
 * as stored, or the problems (one per key and member). Only public RSA (2048 to 8192 bits,
 * RS256) and EC P-256 (ES256) signing keys are taken; a private member is refused outright.
 */
export async function checkClientKeys(keys: unknown[], path: string): Promise<{ keys: ClientJwk[]; problems: string[] }> {
  const problems: string[] = [];
  const out: ClientJwk[] = [];
  const kids = new Set<string>();
  if (keys.length > MAX_CLIENT_KEYS) problems.push(`${path}: at most ${MAX_CLIENT_KEYS} keys`);
  for (const [index, raw] of keys.slice(0, MAX_CLIENT_KEYS).entries()) {
    const at = `${path}[${index}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
      problems.push(`${at}: must be a JSON Web Key object`);
      continue;
    }
    const jwk = raw as Json;
    const secret = PRIVATE_MEMBERS.filter((member) => member in jwk);
    if (secret.length > 0) {
      problems.push(
        `${at}: private key member${secret.length > 1 ? "s" : ""} ${secret.map((m) => `"${m}"`).join(", ")} given; register public keys only`,
      );
      continue;
    }
    const own: string[] = [];
    const { kty, alg, use, kid, status } = jwk;
    if (kty !== "RSA" && kty !== "EC") {
      problems.push(`${at}.kty: must be "RSA" or "EC"`);
      continue;
    }
    const expectedAlg: ClientAlgorithm = kty === "RSA" ? "RS256" : "ES256";
    if (alg !== undefined && alg !== expectedAlg) own.push(`${at}.alg: must be ${expectedAlg} for an ${kty} key`);
    if (use !== undefined && use !== "sig") own.push(`${at}.use: must be "sig" (only signing keys are used)`);
    if (status !== undefined && status !== "ACTIVE" && status !== "INACTIVE") own.push(`${at}.status: must be ACTIVE or INACTIVE`);
    if (kid !== undefined && kid !== null) {
      if (typeof kid !== "string" || kid.length === 0 || kid.length > 255) own.push(`${at}.kid: must be a string of 1 to 255 characters`);
      else if (kids.has(kid)) own.push(`${at}.kid: "${kid}" is used by another key`);
      else kids.add(kid);
    }
    if (kty === "RSA") {
      if (typeof jwk.n !== "string" || typeof jwk.e !== "string") own.push(`${at}: an RSA key needs "n" and "e"`);
      else if (bits(jwk.n) < 2048 || bits(jwk.n) > 8192) own.push(`${at}.n: the modulus must be 2048 to 8192 bits`);
    } else {
      if (jwk.crv !== "P-256") own.push(`${at}.crv: must be "P-256" (ES256)`);
      if (typeof jwk.x !== "string" || typeof jwk.y !== "string") own.push(`${at}: an EC key needs "x" and "y"`);
    }
    if (own.length === 0) {
      const publicPart: JWK =
        kty === "RSA" ? { kty, n: jwk.n as string, e: jwk.e as string } : { kty, crv: "P-256", x: jwk.x as string, y: jwk.y as string };
      try {
        await importJWK(publicPart, expectedAlg);
      } catch {
        own.push(`${at}: not a valid ${kty} public key`);
      }
    }
    if (own.length > 0) {
      problems.push(...own);
      continue;
    }
    const stored = Object.fromEntries(Object.entries(jwk).filter(([member]) => KEPT_MEMBERS.includes(member)));
    if (stored.kid === null) delete stored.kid;
    out.push({ ...stored, kty, alg: expectedAlg, use: "sig", status: (status as ClientJwk["status"] | undefined) ?? "ACTIVE" });
  }
  return { keys: out, problems };
}
