import { and, asc, eq, gt, isNull, ne, or } from "drizzle-orm";
import type { DB } from "../client";
import { apiTokens, users, type ApiTokenRow } from "../schema";

export async function findTokenByHash(db: DB, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.query.apiTokens.findFirst({ where: eq(apiTokens.tokenHash, tokenHash) });
}

/** Active, unexpired tokens (what Okta lists), oldest first. */
const usable = (now: Date) => and(eq(apiTokens.status, "ACTIVE"), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)));

export async function listUsableTokens(db: DB, now: Date): Promise<ApiTokenRow[]> {
  return db.select().from(apiTokens).where(usable(now)).orderBy(asc(apiTokens.id));
}

export async function getUsableToken(db: DB, id: string, now: Date): Promise<ApiTokenRow | undefined> {
  return db.query.apiTokens.findFirst({ where: and(eq(apiTokens.id, id), usable(now)) });
}

export async function insertToken(db: DB, row: ApiTokenRow): Promise<void> {
  await db.insert(apiTokens).values(row);
}

/**
 * Records the configured bootstrap token on its first use; a previous bootstrap token (the
 * secret was rotated) is revoked in the same batch. A concurrent seed of the same hash is a no-op.
 */
export async function seedBootstrapToken(db: DB, row: ApiTokenRow): Promise<void> {
  await db.batch([
    db
      .update(apiTokens)
      .set({ status: "REVOKED", lastUpdated: row.created })
      .where(and(eq(apiTokens.bootstrap, true), eq(apiTokens.status, "ACTIVE"), ne(apiTokens.tokenHash, row.tokenHash))),
    db.insert(apiTokens).values(row).onConflictDoNothing({ target: apiTokens.tokenHash }),
  ]);
}

export async function revokeTokenRow(db: DB, id: string, now: Date): Promise<void> {
  await db.update(apiTokens).set({ status: "REVOKED", lastUpdated: now }).where(eq(apiTokens.id, id));
}

export async function recordTokenUse(db: DB, id: string, use: { lastUsed: Date; expiresAt: Date | null }): Promise<void> {
  await db.update(apiTokens).set(use).where(eq(apiTokens.id, id));
}

export async function renameToken(db: DB, id: string, name: string, now: Date): Promise<void> {
  await db.update(apiTokens).set({ name, lastUpdated: now }).where(eq(apiTokens.id, id));
}

/** A token's name and the Okta user it is recorded against (for the System Log's actor). */
export async function tokenWithOwner(db: DB, id: string) {
  const [row] = await db
    .select({ name: apiTokens.name, userId: apiTokens.userId, login: users.login, firstName: users.firstName, lastName: users.lastName })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.id, id))
    .limit(1);
  return row;
}
