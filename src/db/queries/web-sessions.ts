import { and, eq, gt, inArray, lt, or } from "drizzle-orm";
import type { DB } from "../client";
import { apiTokens, webSessions, type WebSessionRow } from "../schema";

export function insertSession(db: DB, row: WebSessionRow) {
  return db.insert(webSessions).values(row);
}

export async function findLiveSession(db: DB, idHash: string, kind: WebSessionRow["kind"], now: Date): Promise<WebSessionRow | undefined> {
  const [row] = await db
    .select()
    .from(webSessions)
    .where(and(eq(webSessions.idHash, idHash), eq(webSessions.kind, kind), gt(webSessions.expires, now)))
    .limit(1);
  return row;
}

export async function deleteSession(db: DB, idHash: string): Promise<void> {
  await db.delete(webSessions).where(eq(webSessions.idHash, idHash));
}

/** Ends every session of one subject (an API token's hash, or a user id); returns how many there were. */
export async function deleteSessionsOf(db: DB, kind: WebSessionRow["kind"], subject: string): Promise<number> {
  const rows = await db
    .delete(webSessions)
    .where(and(eq(webSessions.kind, kind), eq(webSessions.subject, subject)))
    .returning({ idHash: webSessions.idHash });
  return rows.length;
}

/** A user's My Apps sessions and the console sessions signed in with an API token recorded against them. */
export async function deleteUserSessions(db: DB, userId: string): Promise<number> {
  const rows = await db
    .delete(webSessions)
    .where(
      or(
        and(eq(webSessions.kind, "end-user"), eq(webSessions.subject, userId)),
        and(
          eq(webSessions.kind, "admin"),
          inArray(webSessions.subject, db.select({ hash: apiTokens.tokenHash }).from(apiTokens).where(eq(apiTokens.userId, userId))),
        ),
      ),
    )
    .returning({ idHash: webSessions.idHash });
  return rows.length;
}

/** Expired sessions are refused on read; this removes up to `limit` of them (run at sign-in, so the table stays small). */
export async function deleteExpiredSessions(db: DB, now: Date, limit = 200): Promise<void> {
  await db
    .delete(webSessions)
    .where(
      inArray(webSessions.idHash, db.select({ id: webSessions.idHash }).from(webSessions).where(lt(webSessions.expires, now)).limit(limit)),
    );
}
