import { tokenGate } from "../access/gate-client";
import { writeLog, type AuditContext, type LogEventInput } from "../audit/system-log";
import { hashToken } from "../crypto/token-hash";
import type { DB } from "../db/client";
import type { ApiTokenRow } from "../db/schema";
import { getUsableToken, insertToken, renameToken, revokeTokenRow } from "../db/queries/api-tokens";
import { getUser } from "../db/queries/users";
import { deleteSessionsOf } from "../db/queries/web-sessions";
import { newTokenValue, TOKEN_CLIENT_NAME, TOKEN_WINDOW_MS } from "../domain/api-tokens";
import { DomainError } from "../domain/errors";
import { newId } from "../domain/ids";

// API tokens: minted here (a provisio extension), listed, renamed and revoked as in Okta. Every
// change is written to the System Log; no value or hash ever is.

export async function requireToken(db: DB, id: string): Promise<ApiTokenRow> {
  const row = await getUsableToken(db, id, new Date());
  if (!row) throw DomainError.notFound(id, "ApiToken");
  return row;
}

function tokenEvent(kind: "create" | "revoke" | "update", row: ApiTokenRow, audit: AuditContext): LogEventInput {
  const verb = { create: "Create", revoke: "Revoke", update: "Update" }[kind];
  return {
    eventType: `system.api_token.${kind}`,
    displayMessage: `${verb} API token`,
    audit,
    target: [{ id: row.id, type: "Token", displayName: row.name }],
  };
}

/** Mints a token: the value is returned once and only its SHA-256 hash is kept. */
export async function mintToken(
  db: DB,
  input: { name: string; userId?: string },
  audit: AuditContext,
): Promise<{ row: ApiTokenRow; value: string }> {
  if (input.userId && !(await getUser(db, input.userId)))
    throw DomainError.validation("userId", `userId: no user has the id ${input.userId}`);
  const value = newTokenValue();
  const now = new Date();
  const row: ApiTokenRow = {
    id: newId("00T", now.getTime()),
    name: input.name,
    tokenHash: await hashToken(value),
    userId: input.userId ?? null,
    clientName: TOKEN_CLIENT_NAME,
    bootstrap: false,
    status: "ACTIVE",
    network: { connection: "ANYWHERE" },
    created: now,
    lastUpdated: now,
    lastUsed: null,
    expiresAt: new Date(now.getTime() + TOKEN_WINDOW_MS),
  };
  await insertToken(db, row);
  await writeLog(db, [tokenEvent("create", row, audit)]);
  return { row, value };
}

/**
 * Revokes a token: its gate refuses it from the next request on (and remembers that in its own
 * storage), then D1 records it, so it leaves the list, and the console sessions that use it end.
 * Revoking twice is harmless.
 */
export async function revokeToken(env: Env, db: DB, row: ApiTokenRow, audit: AuditContext): Promise<void> {
  await tokenGate(env, row.tokenHash).revoke();
  await revokeTokenRow(db, row.id, new Date());
  // Console sessions signed in with it end now, not when their next API call is refused.
  await deleteSessionsOf(db, "admin", row.tokenHash);
  await writeLog(db, [tokenEvent("revoke", row, audit)]);
}

export async function updateToken(db: DB, row: ApiTokenRow, name: string | undefined, audit: AuditContext) {
  if (name === undefined || name === row.name) return row;
  const now = new Date();
  await renameToken(db, row.id, name, now);
  const updated = { ...row, name, lastUpdated: now };
  await writeLog(db, [tokenEvent("update", updated, audit)]);
  return updated;
}
