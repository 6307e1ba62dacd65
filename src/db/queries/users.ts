import { eq, ne, sql, type SQL } from "drizzle-orm";
import { prepared } from "../prepared";
import type { DB } from "../client";
import { keysetPage } from "./keyset";
import { groupMembers, users, type UserRow } from "../schema";
import { startsWith, startsWithAny } from "./expression-sql";

export async function getUser(db: DB, id: string): Promise<UserRow | undefined> {
  const query = prepared(db, "getUser", (d) =>
    d
      .select()
      .from(users)
      .where(eq(users.id, sql.placeholder("id")))
      .prepare(),
  );
  return query.get({ id });
}

/**
 * Okta's `{idOrLogin}`: an id, a login (case-insensitive), or a short login (the part before
 * "@") when exactly one user has it.
 */
export async function findUserByIdOrLogin(db: DB, idOrLogin: string): Promise<UserRow | undefined> {
  const lower = idOrLogin.toLowerCase();
  const exact = await db.query.users.findFirst({ where: sql`${users.id} = ${idOrLogin} OR ${users.loginLower} = ${lower}` });
  if (exact || idOrLogin.includes("@")) return exact;
  const short = await db
    .select()
    .from(users)
    .where(startsWith(users.loginLower, `${lower}@`, false))
    .limit(2);
  return short.length === 1 ? short[0] : undefined;
}

export async function findUserIdByLogin(db: DB, login: string): Promise<string | undefined> {
  const row = await db.query.users.findFirst({ columns: { id: true }, where: eq(users.loginLower, login.toLowerCase()) });
  return row?.id;
}

export interface UserListQuery {
  q?: string;
  where?: SQL;
  includeDeprovisioned: boolean;
  afterId?: string;
  limit: number;
}

export async function listUsers(db: DB, query: UserListQuery): Promise<UserRow[]> {
  const conditions: (SQL | undefined)[] = [query.where];
  // Okta omits DEPROVISIONED users unless the caller filters or searches.
  if (!query.includeDeprovisioned) conditions.push(ne(users.status, "DEPROVISIONED"));
  if (query.q) conditions.push(startsWithAny(query.q, [users.firstName, users.lastName, users.email]));
  return keysetPage(db, users, users.id, conditions, query.afterId, query.limit);
}

/** One batch: the user and its first group memberships appear together or not at all. */
export async function insertUserWithGroups(db: DB, row: UserRow, groupIds: string[]): Promise<void> {
  await db.batch([
    db.insert(users).values(row),
    ...groupIds.map((groupId) => db.insert(groupMembers).values({ groupId, userId: row.id, created: row.created })),
  ]);
}

export async function updateUser(db: DB, id: string, changes: Partial<UserRow>): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set(changes).where(eq(users.id, id)).returning();
  return row;
}

/** Memberships and assignments go with the user (ON DELETE CASCADE). */
export function deleteUserRow(db: DB, id: string) {
  return db.delete(users).where(eq(users.id, id));
}

/** The user with this login (case-insensitive, exact: sign-in takes no short logins). */
export async function findUserByLogin(db: DB, login: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.loginLower, login.toLowerCase()) });
}
