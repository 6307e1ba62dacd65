// Bulk seeding straight into the SQLite file behind local D1 (the issue asks for rows seeded in
// bulk, not through the API), while no Worker has the database open.
import { DatabaseSync } from "node:sqlite";
import { d1File } from "./harness.mjs";

/** Okta-shaped 20-character ids that sort in creation order: prefix + tag + 13 digits. */
export const userId = (tag, n) => `00u${tag}${String(n).padStart(13, "0")}`;

export function openD1(persistTo) {
  const db = new DatabaseSync(d1File(persistTo));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;");
  return db;
}

function inTransaction(db, work) {
  db.exec("BEGIN");
  try {
    work();
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/** `count` ACTIVE users with the profile the API would store. */
export function seedUsers(db, count, tag) {
  const now = Date.now();
  const insert = db.prepare(
    `INSERT INTO users (id, status, login, login_lower, email, first_name, last_name, profile, created, last_updated, activated, status_changed)
     VALUES (?, 'ACTIVE', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  inTransaction(db, () => {
    for (let n = 1; n <= count; n += 1) {
      const login = `user${n}.${tag}@example.com`;
      const profile = JSON.stringify({ login, email: login, firstName: `First${n}`, lastName: `Last${n}` });
      insert.run(userId(tag, n), login, login, login, `First${n}`, `Last${n}`, profile, now, now, now, now);
    }
  });
}

/** Direct (USER-scoped) app users for the first `count` seeded users, with a materialized profile. */
export function seedAppUsers(db, appId, count, tag) {
  const now = Date.now();
  const insert = db.prepare(
    `INSERT INTO app_users (app_id, user_id, scope, status, sync_state, user_name, profile, overrides, created, last_updated, status_changed)
     VALUES (?, ?, 'USER', 'ACTIVE', 'DISABLED', ?, ?, '{}', ?, ?, ?)`,
  );
  inTransaction(db, () => {
    for (let n = 1; n <= count; n += 1) {
      const login = `user${n}.${tag}@example.com`;
      insert.run(appId, userId(tag, n), login, JSON.stringify({ email: login }), now, now, now);
    }
  });
}

export function seedMembers(db, groupId, count, tag) {
  const now = Date.now();
  const insert = db.prepare(`INSERT INTO group_members (group_id, user_id, created) VALUES (?, ?, ?)`);
  inTransaction(db, () => {
    for (let n = 1; n <= count; n += 1) insert.run(groupId, userId(tag, n), now);
  });
}

/** Folds the WAL back into the database file and closes it, so the Worker opens a plain file. */
export function closeSeeded(db) {
  db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;");
  db.close();
}
