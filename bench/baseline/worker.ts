// The benchmarks' baseline: what the same runtime and local D1 do with no application logic.
//   GET  /noop                       the cheapest Worker response (scenario 1's baseline)
//   POST /insert?app=&group=&form=   the app-user rows of a group's members, written with raw D1
//                                    batched inserts and nothing else (scenario 3's baseline)
//   POST /insert-imported?app=&n=     the Okta users and app users an import of n new users leaves, by
//                                    raw D1 batched inserts and nothing else (scenario 4's baseline)
//   POST /rows-read?app=&after=&limit=
//                                    runs provisio's own app-user page query (listAppUsers) and
//                                    reports D1's meta.rows_read for each statement it issued
import { createDb } from "../../src/db/client";
import { listAppUsers } from "../../src/db/queries/app-users";

interface Env {
  DB: D1Database;
}

const APP_USER_COLUMNS = [
  "app_id",
  "user_id",
  "scope",
  "status",
  "sync_state",
  "external_id",
  "user_name",
  "password_ciphertext",
  "profile",
  "overrides",
  "created",
  "last_updated",
  "status_changed",
  "password_changed",
  "last_sync",
] as const;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/noop") return Response.json({});
    if (url.pathname === "/insert" && request.method === "POST") return insert(env.DB, url);
    if (url.pathname === "/insert-imported" && request.method === "POST") return insertImported(env.DB, url);
    if (url.pathname === "/rows-read" && request.method === "POST") return rowsRead(env.DB, url);
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;

async function insert(db: D1Database, url: URL): Promise<Response> {
  const app = url.searchParams.get("app")!;
  const group = url.searchParams.get("group")!;
  const form = url.searchParams.get("form") ?? "values";
  const started = Date.now();
  const { results: members } = await db
    .prepare(
      `SELECT u.id, u.login, u.first_name, u.last_name, u.email FROM group_members m JOIN users u ON u.id = m.user_id
       WHERE m.group_id = ? ORDER BY u.id`,
    )
    .bind(group)
    .all<{ id: string; login: string; first_name: string; last_name: string; email: string }>();
  const now = Date.now();
  const rows = members.map((u) => [
    app,
    u.id,
    "GROUP",
    "ACTIVE",
    "DISABLED",
    null,
    u.login,
    null,
    JSON.stringify({ nickName: u.first_name, email: u.email }),
    "{}",
    now,
    now,
    now,
    null,
    null,
  ]);
  const statements: D1PreparedStatement[] = [];
  if (form === "json") {
    // One bound parameter holding up to 1,000 rows: inside D1's 100-parameter limit.
    const select = APP_USER_COLUMNS.map((_, i) => `value ->> ${i}`).join(", ");
    for (let i = 0; i < rows.length; i += 1000) {
      statements.push(
        db
          .prepare(`INSERT INTO app_users (${APP_USER_COLUMNS.join(", ")}) SELECT ${select} FROM json_each(?)`)
          .bind(JSON.stringify(rows.slice(i, i + 1000))),
      );
    }
  } else {
    // Multi-row VALUES, as many rows per statement as 100 bound parameters allow.
    const perStatement = Math.floor(100 / APP_USER_COLUMNS.length);
    const tuple = `(${APP_USER_COLUMNS.map(() => "?").join(", ")})`;
    for (let i = 0; i < rows.length; i += perStatement) {
      const part = rows.slice(i, i + perStatement);
      statements.push(
        db
          .prepare(`INSERT INTO app_users (${APP_USER_COLUMNS.join(", ")}) VALUES ${part.map(() => tuple).join(", ")}`)
          .bind(...part.flat()),
      );
    }
  }
  const perBatch = Number(url.searchParams.get("batch") ?? 500);
  for (let i = 0; i < statements.length; i += perBatch) await db.batch(statements.slice(i, i + perBatch));
  return Response.json({ rows: rows.length, statements: statements.length, ms: Date.now() - started });
}

const USER_COLUMNS = [
  "id",
  "status",
  "login",
  "login_lower",
  "email",
  "first_name",
  "last_name",
  "profile",
  "provider_type",
  "provider_name",
  "created",
  "activated",
  "status_changed",
  "last_updated",
] as const;

/**
 * What an import of `n` new users leaves in the store of record, written with raw D1 batched
 * inserts and nothing else: the Okta users and their app users (scenario 4's baseline). Rows are
 * built here, as the import builds them from what it fetched, and inserted 1,000 to a statement.
 */
async function insertImported(db: D1Database, url: URL): Promise<Response> {
  const app = url.searchParams.get("app")!;
  const n = Number(url.searchParams.get("n"));
  const started = Date.now();
  const now = Date.now();
  const statements: D1PreparedStatement[] = [];
  const insert = (table: string, columns: readonly string[], rows: unknown[][]) => {
    const select = columns.map((_, i) => `value ->> ${i}`).join(", ");
    for (let i = 0; i < rows.length; i += 1000)
      statements.push(
        db
          .prepare(`INSERT INTO ${table} (${columns.join(", ")}) SELECT ${select} FROM json_each(?)`)
          .bind(JSON.stringify(rows.slice(i, i + 1000))),
      );
  };
  const users: unknown[][] = [];
  const appUsers: unknown[][] = [];
  for (let k = 1; k <= n; k += 1) {
    const id = `00uRaw${String(k).padStart(14, "0")}`;
    const login = `imported${k}@example.com`;
    users.push([
      id,
      "ACTIVE",
      login,
      login,
      login,
      `Given${k}`,
      `Family${k}`,
      JSON.stringify({ login, email: login, firstName: `Given${k}`, lastName: `Family${k}` }),
      "IMPORT",
      "IMPORT",
      now,
      now,
      now,
      now,
    ]);
    appUsers.push([
      app,
      id,
      "USER",
      "ACTIVE",
      "SYNCHRONIZED",
      `ext-${String(k).padStart(7, "0")}`,
      login,
      null,
      "{}",
      "{}",
      now,
      now,
      now,
      null,
      now,
    ]);
  }
  insert("users", USER_COLUMNS, users);
  insert("app_users", APP_USER_COLUMNS, appUsers);
  for (let i = 0; i < statements.length; i += 50) await db.batch(statements.slice(i, i + 50));
  return Response.json({ rows: users.length + appUsers.length, statements: statements.length, ms: Date.now() - started });
}

/** Wraps D1 to note every statement drizzle prepares, with its bound values. */
function recording(db: D1Database, seen: { sql: string; params: unknown[] }[]): D1Database {
  return new Proxy(db, {
    get(target, key) {
      if (key === "prepare")
        return (sql: string) => {
          const record = { sql, params: [] as unknown[] };
          seen.push(record);
          const statement = target.prepare(sql);
          return new Proxy(statement, {
            get(stmt, k) {
              if (k === "bind")
                return (...params: unknown[]) => {
                  record.params = params;
                  return stmt.bind(...params);
                };
              const value = Reflect.get(stmt, k) as unknown;
              return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(stmt) : value;
            },
          });
        };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function rowsRead(db: D1Database, url: URL): Promise<Response> {
  const seen: { sql: string; params: unknown[] }[] = [];
  const appId = url.searchParams.get("app")!;
  const limit = Number(url.searchParams.get("limit") ?? 500);
  const after = url.searchParams.get("after") ?? undefined;
  const rows = await listAppUsers(createDb(recording(db, seen)), { appId, afterUserId: after, limit });
  // drizzle reads with .raw(), which carries no meta: run each statement again with .all() for it.
  const statements = [];
  for (const { sql, params } of seen) {
    const { meta } = await db
      .prepare(sql)
      .bind(...params)
      .all();
    statements.push({ sql, rowsRead: meta.rows_read, rowsWritten: meta.rows_written });
  }
  return Response.json({ rows: rows.length, lastUserId: rows.at(-1)?.appUser.userId ?? null, statements });
}
