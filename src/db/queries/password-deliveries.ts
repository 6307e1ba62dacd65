import { and, asc, eq, gt, isNotNull, sql } from "drizzle-orm";
import type { DB } from "../client";
import { appProvisioning, appUsers, passwordDeliveries, users } from "../schema";

const candidateColumns = {
  userId: appUsers.userId,
  appId: appUsers.appId,
  assigned: appUsers.created,
  externalId: appUsers.externalId,
  passwordChanged: users.passwordChanged,
  passwordVersion: passwordDeliveries.passwordVersion,
  requested: passwordDeliveries.requested,
};

/**
 * One keyset page (by user id, plus one row) of an app's assignments made after the user's
 * password was last set: the ones that may be waiting for the Okta password.
 */
export async function passwordCandidatesOfApp(db: DB, appId: string, afterUserId: string | undefined, limit: number) {
  return db
    .select(candidateColumns)
    .from(appUsers)
    .innerJoin(users, eq(users.id, appUsers.userId))
    .leftJoin(passwordDeliveries, and(eq(passwordDeliveries.appId, appUsers.appId), eq(passwordDeliveries.userId, appUsers.userId)))
    .where(
      and(
        eq(appUsers.appId, appId),
        isNotNull(users.passwordHash),
        gt(appUsers.created, users.passwordChanged),
        afterUserId ? gt(appUsers.userId, afterUserId) : undefined,
      ),
    )
    .orderBy(asc(appUsers.userId))
    .limit(limit + 1);
}

/** The user's assignments made after their password was last set, on apps with an enabled connection, with each app's capabilities. */
export async function passwordCandidatesOfUser(db: DB, userId: string) {
  return db
    .select({ ...candidateColumns, capabilities: appProvisioning.capabilities })
    .from(appUsers)
    .innerJoin(users, eq(users.id, appUsers.userId))
    .innerJoin(appProvisioning, eq(appProvisioning.appId, appUsers.appId))
    .leftJoin(passwordDeliveries, and(eq(passwordDeliveries.appId, appUsers.appId), eq(passwordDeliveries.userId, appUsers.userId)))
    .where(and(eq(appUsers.userId, userId), eq(appProvisioning.connectionStatus, "ENABLED"), gt(appUsers.created, users.passwordChanged)));
}
export type PasswordCandidateRow = Awaited<ReturnType<typeof passwordCandidatesOfApp>>[number];

export async function recordDelivery(db: DB, appId: string, userId: string, passwordVersion: Date, requested: Date): Promise<void> {
  await db
    .insert(passwordDeliveries)
    .values({ appId, userId, passwordVersion, requested })
    .onConflictDoUpdate({
      target: [passwordDeliveries.appId, passwordDeliveries.userId],
      set: { passwordVersion: sql`excluded.password_version`, requested: sql`excluded.requested` },
    });
}
