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

/**
 * The first 30 characters of a version 7 UUID (RFC 9562: 48-bit millisecond time, version,
 * random bits, variant) whose last 6 hex digits a caller fills with a counter: many rows written
 * at once (System Log events of a fan-out chunk) get distinct, time-ordered UUIDs, which also
 * append to the end of their index instead of landing at random places in it.
 */
export function uuidV7Prefix(now = Date.now()): string {
  const time = Math.floor(now).toString(16).padStart(12, "0").slice(-12);
  const random = crypto.getRandomValues(new Uint8Array(8));
  const hex = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  const variant = ((parseInt(hex[3], 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex.slice(0, 3)}-${variant}${hex.slice(4, 7)}-${hex.slice(7, 13)}`;
}

/** A version 7 UUID: time-ordered, random below the millisecond. */
export function uuidV7(now = Date.now()): string {
  const tail = crypto.getRandomValues(new Uint8Array(3));
  return uuidV7Prefix(now) + [...tail].map((b) => b.toString(16).padStart(2, "0")).join("");
}
