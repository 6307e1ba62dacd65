import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import type { DB } from "../client";
import { jsonPayloads } from "../json-rows";
import { tableRows } from "../table-rows";
import { appGroups, appUsers, groupMembers, users, type AppUserRow, type UserRow } from "../schema";
import type { GroupGrant } from "../../assignments/effective-profile";

// Lookups of many keys at once for set-based work (imports, cascades): the keys travel as one
// JSON array parameter and are read with json_each, so a lookup is one query and one bound
// parameter however many keys it has (D1 allows 100 per statement). Keys are always tested with
// `column IN (SELECT value FROM json_each(?))`: SQLite materialises the list and probes the
// column's index per key. A join from json_each lets the planner put the table first and scan
// the keys once per row (seen: 1.2 s per 500-user lookup against 20,000 assignments).

const keys = (values: readonly string[]) => JSON.stringify(values);
/** The table's columns as the client names them (snake_case), for raw SQL selecting whole rows. */
function columnList(table: Parameters<typeof getTableColumns>[0], alias: string): SQL {
  return sql.raw(
    Object.keys(getTableColumns(table))
      .map((key) => `${alias}."${toSnakeCase(key)}"`)
      .join(", "),
  );
}

const USER_COLUMNS = columnList(users, "u");

/** Users by id. */
export async function usersByIds(db: DB, ids: readonly string[]): Promise<Map<string, UserRow>> {
  if (ids.length === 0) return new Map();
  const rows = await tableRows(
    db,
    users,
    rawQuery(sql`SELECT ${USER_COLUMNS} FROM users u WHERE u.id IN (SELECT value FROM json_each(${keys(ids)}))`),
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Users `match` selects, at most two per value of `key` (one is a match, two are a conflict),
 * exactly (case-sensitive, as Okta matches imports).
 */
async function usersMatching(db: DB, match: SQL, key: SQL): Promise<UserRow[]> {
  return tableRows(
    db,
    users,
    rawQuery(sql`SELECT ${USER_COLUMNS} FROM (SELECT u.*, row_number() OVER (PARTITION BY ${key} ORDER BY u.id) AS n FROM users u WHERE ${match}) u
      WHERE u.n <= 2`),
  );
}

/** By email (index users_email_idx). */
export async function usersByEmails(db: DB, emails: readonly string[]): Promise<UserRow[]> {
  if (emails.length === 0) return [];
  return usersMatching(db, sql`u.email IN (SELECT value FROM json_each(${keys([...new Set(emails)])}))`, sql`u.email`);
}

/** By login, exactly; found through the unique lower-case index, so at most one user per login. */
export async function usersByLogins(db: DB, logins: readonly string[]): Promise<UserRow[]> {
  if (logins.length === 0) return [];
  const values = keys([...new Set(logins)]);
  return usersMatching(
    db,
    sql`u.login_lower IN (SELECT lower(value) FROM json_each(${values})) AND u.login IN (SELECT value FROM json_each(${values}))`,
    sql`u.login`,
  );
}

/** By first and last name, exactly (index users_name_idx); `pairs` are [firstName, lastName]. */
export async function usersByNames(db: DB, pairs: readonly [string, string][]): Promise<UserRow[]> {
  if (pairs.length === 0) return [];
  const distinct = [...new Map(pairs.map((pair) => [JSON.stringify(pair), pair])).values()];
  return usersMatching(
    db,
    sql`(u.last_name, u.first_name) IN (SELECT value ->> 1, value ->> 0 FROM json_each(${JSON.stringify(distinct)}))`,
    sql`u.first_name, u.last_name`,
  );
}

/** Which of these lower-cased logins are taken (the unique index Okta logins are checked against). */
export async function takenLogins(db: DB, loginsLower: readonly string[]): Promise<Set<string>> {
  if (loginsLower.length === 0) return new Set();
  const rows = await db.all<{ login_lower: string }>(
    sql`SELECT login_lower FROM users WHERE login_lower IN (SELECT value FROM json_each(${keys(loginsLower)}))`,
  );
  return new Set(rows.map((row) => row.login_lower));
}

/** The app's assignments linked to these downstream accounts: external id -> user id. */
export async function linkedUsers(db: DB, appId: string, externalIds: readonly string[]): Promise<Map<string, string>> {
  if (externalIds.length === 0) return new Map();
  const rows = await db.all<{ external_id: string; user_id: string }>(
    sql`SELECT external_id, user_id FROM app_users WHERE app_id = ${appId} AND external_id IN (SELECT value FROM json_each(${keys(externalIds)}))`,
  );
  return new Map(rows.map((row) => [row.external_id, row.user_id]));
}

/** The app's assignments of these users. */
export async function appUsersOf(db: DB, appId: string, userIds: readonly string[]): Promise<Map<string, AppUserRow>> {
  if (userIds.length === 0) return new Map();
  const columns = columnList(appUsers, "au");
  const rows = await tableRows(
    db,
    appUsers,
    rawQuery(
      sql`SELECT ${columns} FROM app_users au WHERE au.app_id = ${appId} AND au.user_id IN (SELECT value FROM json_each(${keys(userIds)}))`,
    ),
  );
  return new Map(rows.map((row) => [row.userId, row]));
}

/** The app's group assignments that contain each of these users. */
export async function grantsOf(db: DB, appId: string, userIds: readonly string[]): Promise<Map<string, GroupGrant[]>> {
  const out = new Map<string, GroupGrant[]>();
  if (userIds.length === 0) return out;
  const rows = await db.all<{ user_id: string; group_id: string; priority: number; profile: string }>(
    sql`SELECT gm.user_id, ag.group_id, ag.priority, ag.profile FROM ${groupMembers} gm
        JOIN ${appGroups} ag ON ag.group_id = gm.group_id AND ag.app_id = ${appId}
        WHERE gm.user_id IN (SELECT value FROM json_each(${keys(userIds)}))`,
  );
  for (const row of rows) {
    const grant = { groupId: row.group_id, priority: row.priority, profile: JSON.parse(row.profile) as Record<string, unknown> };
    out.set(row.user_id, [...(out.get(row.user_id) ?? []), grant]);
  }
  return out;
}

/** The apps, other than `exceptAppId`, that assign these users directly or through a group. */
export async function otherAppsOf(db: DB, userIds: readonly string[], exceptAppId: string): Promise<Map<string, string[]>> {
  const byApp = new Map<string, string[]>();
  if (userIds.length === 0) return byApp;
  const rows = await db.all<{ app_id: string; user_id: string }>(
    sql`SELECT app_id, user_id FROM app_users WHERE user_id IN (SELECT value FROM json_each(${keys(userIds)})) AND app_id != ${exceptAppId}
        UNION
        SELECT ag.app_id, gm.user_id FROM ${groupMembers} gm JOIN ${appGroups} ag ON ag.group_id = gm.group_id
          WHERE gm.user_id IN (SELECT value FROM json_each(${keys(userIds)})) AND ag.app_id != ${exceptAppId}`,
  );
  for (const row of rows) byApp.set(row.app_id, [...(byApp.get(row.app_id) ?? []), row.user_id]);
  return byApp;
}

const dialect = new SQLiteAsyncDialect();

/** A raw SQL query in the shape tableRows reads (its SQL text and parameters). */
function rawQuery(query: SQL) {
  return { toSQL: () => dialect.sqlToQuery(query) };
}

/**
 * Updates columns of many users in one statement, each row found by id from the payload side
 * (UPDATE ... FROM json_each: the payload is scanned once and users are read by primary key).
 */
export function updateUsers(rows: readonly UserRow[], columns: readonly (keyof UserRow)[]): SQL[] {
  if (rows.length === 0) return [];
  const all = getTableColumns(users);
  const chosen = columns.map((key) => all[key]);
  const encoded = rows.map((row) => [
    row.id,
    ...columns.map((key, i) => {
      const value = row[key];
      if (value === null || value === undefined) return null;
      return chosen[i].columnType === "SQLiteTextJson" ? value : (chosen[i].mapToDriverValue(value) as unknown);
    }),
  ]);
  const assignments = sql.raw(columns.map((key, i) => `"${toSnakeCase(key)}" = p.c${i}`).join(", "));
  const fields = sql.raw(chosen.map((_, i) => `value ->> ${i + 1} AS c${i}`).join(", "));
  return jsonPayloads(encoded).map(
    (payload) =>
      sql`UPDATE users SET ${assignments} FROM (SELECT value ->> 0 AS id, ${fields} FROM json_each(${payload})) AS p WHERE users.id = p.id`,
  );
}
