import type { DB } from "../db/client";
import type { ApiTokenRow, UserRow } from "../db/schema";
import { deleteSessionsOf, deleteUserSessions } from "../db/queries/web-sessions";
import { writeLog, type AuditContext } from "../audit/system-log";

// Ending browser sessions from the API: a token's console sessions ("sign out everywhere"), and
// Okta's "clear user sessions" for a user (their My Apps sessions and the console sessions of
// API tokens recorded against them).

export async function endTokenSessions(
  db: DB,
  token: Pick<ApiTokenRow, "id" | "name" | "tokenHash">,
  audit: AuditContext,
): Promise<number> {
  const ended = await deleteSessionsOf(db, "admin", token.tokenHash);
  await writeLog(db, [
    {
      eventType: "user.session.clear",
      displayMessage: "Clear user session",
      audit,
      target: [{ id: token.id, type: "Token", displayName: token.name }],
      details: { endedSessions: ended },
    },
  ]);
  return ended;
}

export async function clearUserSessions(db: DB, user: UserRow, audit: AuditContext): Promise<number> {
  const ended = await deleteUserSessions(db, user.id);
  await writeLog(db, [
    {
      eventType: "user.session.clear",
      displayMessage: "Clear user session",
      audit,
      target: [
        {
          id: user.id,
          type: "User",
          alternateId: user.login,
          displayName: [user.firstName, user.lastName].filter(Boolean).join(" ") || user.login,
        },
      ],
      details: { endedSessions: ended },
    },
  ]);
  return ended;
}
