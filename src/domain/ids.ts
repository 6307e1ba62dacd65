// Okta ids are 20 base62 characters with a type prefix (00u users, 00g groups, 0oa apps, 00T API tokens, oag scope grants,
// ocs OAuth client secrets).
// Ours put a millisecond timestamp after the prefix so that ids sort by creation time, which
// makes keyset pages over ids come out in creation order. The alphabet is in ASCII order so
// that SQLite's binary collation sorts the encoded timestamps numerically.
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TIME_CHARS = 8; // 62^8 ms is about 6,900 years
const RANDOM_CHARS = 9;

export type IdPrefix = "00u" | "00g" | "0oa" | "00T" | "oag" | "ocs";

export function newId(prefix: IdPrefix, now = Date.now()): string {
  return prefix + encodeTime(now) + randomChars(RANDOM_CHARS);
}

export function encodeTime(ms: number): string {
  let out = "";
  let rest = Math.floor(ms);
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

export function randomChars(count: number): string {
  let out = "";
  // Rejection sampling keeps the characters uniform: 248 = 4 * 62.
  while (out.length < count) {
    for (const byte of crypto.getRandomValues(new Uint8Array(count * 2))) {
      if (byte < 248 && out.length < count) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function looksLikeId(value: string, prefix: IdPrefix): boolean {
  return value.length === 20 && value.startsWith(prefix) && /^[0-9A-Za-z]+$/.test(value);
}
