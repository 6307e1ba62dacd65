import { fromBase64, toBase64 } from "./encoding";

// Okta user passwords are verified, never read back: PBKDF2-SHA256 with a per-password salt.
// 100,000 iterations is the most Workers' WebCrypto allows.
const ITERATIONS = 100_000;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, ITERATIONS);
  return `pbkdf2-sha256$${ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/**
 * Whether `password` is the one `stored` was made from (constant-time comparison). A malformed
 * stored hash verifies nothing.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split("$");
  if (scheme !== "pbkdf2-sha256" || !salt || !hash || !/^\d+$/.test(iterations) || Number(iterations) > ITERATIONS) return false;
  const derived = await derive(password, fromBase64(salt), Number(iterations));
  const expected = fromBase64(hash);
  return derived.length === expected.length && crypto.subtle.timingSafeEqual(derived, expected);
}

// Verified against when the login is unknown, so a wrong login takes as long as a wrong password.
export const DECOY_HASH = "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
