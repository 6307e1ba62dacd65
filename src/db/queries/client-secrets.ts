import { and, asc, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { DB } from "../client";
import { oauthClientSecrets, type OAuthClientSecretRow } from "../schema";

export async function listClientSecrets(db: DB, appId: string): Promise<OAuthClientSecretRow[]> {
  return db.select().from(oauthClientSecrets).where(eq(oauthClientSecrets.appId, appId)).orderBy(asc(oauthClientSecrets.id));
}

export async function getClientSecret(db: DB, appId: string, id: string): Promise<OAuthClientSecretRow | undefined> {
  return db.query.oauthClientSecrets.findFirst({ where: and(eq(oauthClientSecrets.appId, appId), eq(oauthClientSecrets.id, id)) });
}

export function insertClientSecret(db: DB, row: OAuthClientSecretRow): BatchItem<"sqlite"> {
  return db.insert(oauthClientSecrets).values(row);
}

export function deleteClientSecrets(db: DB, appId: string): BatchItem<"sqlite"> {
  return db.delete(oauthClientSecrets).where(eq(oauthClientSecrets.appId, appId));
}

export async function deleteClientSecret(db: DB, appId: string, id: string): Promise<void> {
  await db.delete(oauthClientSecrets).where(and(eq(oauthClientSecrets.appId, appId), eq(oauthClientSecrets.id, id)));
}

export async function setClientSecretStatus(
  db: DB,
  appId: string,
  id: string,
  status: OAuthClientSecretRow["status"],
  now: Date,
): Promise<OAuthClientSecretRow | undefined> {
  const [row] = await db
    .update(oauthClientSecrets)
    .set({ status, lastUpdated: now })
    .where(and(eq(oauthClientSecrets.appId, appId), eq(oauthClientSecrets.id, id)))
    .returning();
  return row;
}
