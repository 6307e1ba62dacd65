import { and, asc, eq, lt } from "drizzle-orm";
import type { DB } from "../client";
import {
  apps,
  oauthGrants,
  oauthRevokedTokens,
  oauthSigningKeys,
  type AppRow,
  type OAuthGrantRow,
  type OAuthSigningKeyRow,
} from "../schema";

export async function listGrants(db: DB, appId: string): Promise<OAuthGrantRow[]> {
  return db.select().from(oauthGrants).where(eq(oauthGrants.appId, appId)).orderBy(asc(oauthGrants.id));
}

export async function getGrant(db: DB, appId: string, grantId: string): Promise<OAuthGrantRow | undefined> {
  return db.query.oauthGrants.findFirst({ where: and(eq(oauthGrants.appId, appId), eq(oauthGrants.id, grantId)) });
}

export async function findGrantByScope(db: DB, appId: string, scopeId: string): Promise<OAuthGrantRow | undefined> {
  return db.query.oauthGrants.findFirst({ where: and(eq(oauthGrants.appId, appId), eq(oauthGrants.scopeId, scopeId)) });
}

/** Inserts the grant unless the app already has one for the scope (a concurrent grant of the same scope wins). */
export async function insertGrant(db: DB, row: OAuthGrantRow): Promise<boolean> {
  const inserted = await db.insert(oauthGrants).values(row).onConflictDoNothing().returning({ id: oauthGrants.id });
  return inserted.length > 0;
}

export async function deleteGrant(db: DB, appId: string, grantId: string): Promise<void> {
  await db.delete(oauthGrants).where(and(eq(oauthGrants.appId, appId), eq(oauthGrants.id, grantId)));
}

/** A client app and the scopes granted to it, in one round trip. */
export async function loadClient(db: DB, clientId: string): Promise<{ app: AppRow; scopes: string[] } | undefined> {
  const [appRows, grantRows] = await db.batch([
    db.select().from(apps).where(eq(apps.id, clientId)),
    db.select({ scopeId: oauthGrants.scopeId }).from(oauthGrants).where(eq(oauthGrants.appId, clientId)),
  ]);
  const [app] = appRows;
  return app ? { app, scopes: grantRows.map((row) => row.scopeId) } : undefined;
}

/** Every signing key (the current one and any retired one), oldest first. */
export async function listSigningKeys(db: DB): Promise<OAuthSigningKeyRow[]> {
  return db.select().from(oauthSigningKeys).orderBy(asc(oauthSigningKeys.created), asc(oauthSigningKeys.kid));
}

/** Stores a first current key unless another isolate stored one first (the slot is unique). */
export async function insertCurrentSigningKey(db: DB, row: OAuthSigningKeyRow): Promise<void> {
  await db.insert(oauthSigningKeys).values(row).onConflictDoNothing();
}

/** Takes a key out of the current slot (it still verifies what it signed). */
export async function retireSigningKey(db: DB, kid: string): Promise<void> {
  await db
    .update(oauthSigningKeys)
    .set({ slot: null })
    .where(and(eq(oauthSigningKeys.kid, kid), eq(oauthSigningKeys.slot, "current")));
}

/** Records a revoked access token until it expires, and forgets those that have expired since. */
export async function recordRevokedToken(db: DB, jti: string, clientId: string, expiresAt: Date, now: Date): Promise<void> {
  await db.batch([
    db.delete(oauthRevokedTokens).where(lt(oauthRevokedTokens.expiresAt, now)),
    db.insert(oauthRevokedTokens).values({ jti, clientId, expiresAt, revoked: now }).onConflictDoNothing(),
  ]);
}

export async function isTokenRevoked(db: DB, jti: string): Promise<boolean> {
  const row = await db.query.oauthRevokedTokens.findFirst({ columns: { jti: true }, where: eq(oauthRevokedTokens.jti, jti) });
  return row !== undefined;
}
