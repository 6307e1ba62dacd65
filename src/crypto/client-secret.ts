import { base64url } from "jose";
import { fromBase64, toBase64 } from "./encoding";

// OAuth client secrets are verified, never read back. A secret may be chosen by the client's
// owner (Okta accepts 14 characters), so it is kept as PBKDF2-SHA256 with a per-secret salt,
// as user passwords are, rather than as a plain digest that a short secret would not survive.
// 100,000 iterations is the most Workers' WebCrypto allows.
const ITERATIONS = 100_000;
const PREFIX = "pbkdf2-sha256";

/** A new secret: 48 random bytes, 64 URL-safe characters (Okta's generated secrets are 40 to 64). */
export function generateClientSecret(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(48)));
}

export async function hashClientSecret(secret: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return `${PREFIX}$${ITERATIONS}$${toBase64(salt)}$${toBase64(await derive(secret, salt, ITERATIONS))}`;
}

/** Whether `secret` is the one `stored` was made from, compared in constant time. */
export async function verifyClientSecret(secret: string, stored: string): Promise<boolean> {
  const [prefix, iterations, salt, hash] = stored.split("$");
  if (prefix !== PREFIX || !salt || !hash) return false;
  const expected = fromBase64(hash);
  const actual = await derive(secret, fromBase64(salt), Number(iterations));
  return actual.length === expected.length && crypto.subtle.timingSafeEqual(actual, expected);
}

/** Okta's `secret_hash`: 16 bytes of SHA-256 over the stored hash, so it says nothing the hash does not. */
export async function secretFingerprint(stored: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(stored)));
  return base64url.encode(digest.slice(0, 16));
}

async function derive(secret: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
}
