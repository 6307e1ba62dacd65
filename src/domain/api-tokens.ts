import { toBase64 } from "../crypto/encoding";
import type { ApiTokenRow } from "../db/schema";
import { newId } from "./ids";

/**
 * Okta's API tokens live for a sliding window: each use renews it, and a token unused for the
 * window expires (Okta shows `tokenWindow: "P30D"` and `expiresAt`). provisio records use at
 * most once an hour (TOUCH_INTERVAL_MS), so expiry is exact to the hour.
 */
export const TOKEN_WINDOW = "P30D";
export const TOKEN_WINDOW_MS = 30 * 24 * 3_600_000;
export const TOUCH_INTERVAL_MS = 3_600_000;
/** The client name shown on tokens provisio mints (Okta shows the app the token was made in). */
export const TOKEN_CLIENT_NAME = "provisio";
export const BOOTSTRAP_TOKEN_NAME = "bootstrap";

/** What provisio needs to know of a stored token to let it in. */
export interface TokenRecord {
  id: string;
  userId: string | null;
  bootstrap: boolean;
  status: "ACTIVE" | "REVOKED";
  expiresAt: Date | null;
  lastUsed: Date | null;
}

export type RefusalReason =
  | "missing"
  | "malformed"
  | "unknown"
  | "revoked"
  | "expired"
  | "rotated"
  // OAuth access tokens (Bearer / DPoP)
  | "invalid_token"
  | "invalid_dpop_proof"
  | "client_inactive"
  | "token_revoked";

export type TokenVerdict = { ok: true; tokenId: string; userId: string | null } | { ok: false; reason: RefusalReason; tokenId?: string };

/**
 * Whether a presented token is let in. `isConfiguredBootstrap` says the value equals the
 * current BOOTSTRAP_API_TOKEN: a row marked bootstrap that is no longer configured was rotated
 * out and is refused, and the bootstrap token never expires (it is replaced by rotating the secret).
 */
export function judgeToken(record: TokenRecord | undefined, isConfiguredBootstrap: boolean, now: number): TokenVerdict {
  if (!record) return { ok: false, reason: "unknown" };
  if (record.status === "REVOKED") return { ok: false, reason: "revoked", tokenId: record.id };
  if (record.bootstrap && !isConfiguredBootstrap) return { ok: false, reason: "rotated", tokenId: record.id };
  if (!record.bootstrap && record.expiresAt && record.expiresAt.getTime() <= now)
    return { ok: false, reason: "expired", tokenId: record.id };
  return { ok: true, tokenId: record.id, userId: record.userId };
}

/** The use to record now, or undefined while the last recorded one is recent enough. */
export function useToRecord(record: TokenRecord, now: number): { lastUsed: Date; expiresAt: Date | null } | undefined {
  if (record.lastUsed && now - record.lastUsed.getTime() < TOUCH_INTERVAL_MS) return undefined;
  return { lastUsed: new Date(now), expiresAt: record.bootstrap ? null : new Date(now + TOKEN_WINDOW_MS) };
}

/** A new token value: "00" and 40 base64url characters (240 random bits), shaped like Okta's 42-character tokens. */
export function newTokenValue(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(30));
  return `00${toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_")}`;
}

/** The row the configured bootstrap token gets on its first use. */
export function bootstrapRow(tokenHash: string, now: Date): ApiTokenRow {
  return {
    id: newId("00T", now.getTime()),
    name: BOOTSTRAP_TOKEN_NAME,
    tokenHash,
    userId: null,
    clientName: TOKEN_CLIENT_NAME,
    bootstrap: true,
    status: "ACTIVE",
    network: { connection: "ANYWHERE" },
    created: now,
    lastUpdated: now,
    lastUsed: null,
    expiresAt: null,
  };
}
