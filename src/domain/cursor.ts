import { DomainError } from "./errors";

// Cursors are opaque to clients (Okta: "after" is an opaque cursor) but carry the last row's
// sort key, so the next page is a keyset seek and never an OFFSET scan.
type CursorKey = (string | number)[];

const VERSION = 1;

export function encodeCursor(key: CursorKey): string {
  const bytes = new TextEncoder().encode(JSON.stringify([VERSION, ...key]));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes a cursor made by `encodeCursor` with `arity` key parts; anything else is E0000029. */
export function decodeCursor(cursor: string, arity: number): CursorKey {
  try {
    const base64 = cursor.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
    if (
      Array.isArray(parsed) &&
      parsed[0] === VERSION &&
      parsed.length === arity + 1 &&
      parsed.slice(1).every((part) => typeof part === "string" || typeof part === "number")
    ) {
      return parsed.slice(1) as CursorKey;
    }
  } catch {
    // fall through to the Okta error below
  }
  throw new DomainError("E0000029", "", ["after: the cursor is not one this server issued"]);
}

/** A numeric part of a decoded cursor; anything else is the same E0000029. */
export function cursorNumber(part: string | number | undefined): number {
  const n = typeof part === "number" ? part : Number.NaN;
  if (!Number.isFinite(n)) throw new DomainError("E0000029", "", ["after: the cursor is not one this server issued"]);
  return n;
}
