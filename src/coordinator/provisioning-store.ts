import { CLOSED, type BreakerState } from "../provisioning/circuit-breaker";
import type { DownstreamLink } from "../provisioning/user-sync";

/**
 * The coordinator's own SQLite storage for outbound provisioning (one database per app):
 *
 * - tasks: at most one pending task per subject ("user:<id>", "group:<mappingId>",
 *   "group-delete:<downstream id>"). A change bumps `version`; a run claims a version and, when
 *   it finishes, deletes the task only if no newer change arrived meanwhile. A password waiting
 *   for delivery travels sealed in `password_box` and is dropped once delivered.
 * - links: the downstream account of each user (external id, active, what was last pushed).
 * - pushed_members: which users Group Push put into which downstream group.
 * - holds: deactivations held back because one change would deactivate more downstream
 *   accounts than the app's threshold allows; their tasks wait (HELD) for an administrator.
 *   Deactivations made by a fan-out job wait (WAITING) until the job has counted them all.
 * - state: small named values (the circuit breaker).
 */
export type TaskStatus = "PENDING" | "IN_PROGRESS" | "FAILED" | "WAITING" | "HELD";

export type DeactivationHold = {
  id: string;
  reason: string;
  count: number;
  created: number;
};

export type TaskRow = {
  id: string;
  subject: string;
  status: TaskStatus;
  version: number;
  claimed_version: number | null;
  attempts: number;
  next_attempt_at: number;
  password_box: string | null;
  data: string | null;
  last_error: string | null;
  last_status: number | null;
  hold_id: string | null;
  created: number;
  updated: number;
};

export const MAX_ATTEMPTS = 10;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tasks (
     id TEXT PRIMARY KEY, subject TEXT NOT NULL UNIQUE, status TEXT NOT NULL, version INTEGER NOT NULL,
     claimed_version INTEGER, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
     password_box TEXT, data TEXT, last_error TEXT, last_status INTEGER, created INTEGER NOT NULL, updated INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS tasks_due ON tasks (status, next_attempt_at)`,
  `CREATE TABLE IF NOT EXISTS links (
     user_id TEXT PRIMARY KEY, external_id TEXT NOT NULL, user_name TEXT NOT NULL, active INTEGER NOT NULL, pushed TEXT, updated INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS pushed_members (mapping_id TEXT NOT NULL, user_id TEXT NOT NULL, target_group_id TEXT NOT NULL, PRIMARY KEY (mapping_id, user_id))`,
  `CREATE INDEX IF NOT EXISTS pushed_members_user ON pushed_members (user_id)`,
  `CREATE INDEX IF NOT EXISTS links_external ON links (external_id)`,
  `CREATE TABLE IF NOT EXISTS holds (id TEXT PRIMARY KEY, reason TEXT NOT NULL, count INTEGER NOT NULL, created INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

export class ProvisioningStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
    // Added after the first release of this storage: objects created before gain the column.
    const columns = sql.exec<{ name: string }>(`PRAGMA table_info(tasks)`).toArray();
    if (!columns.some((c) => c.name === "hold_id")) sql.exec(`ALTER TABLE tasks ADD COLUMN hold_id TEXT`);
    // A run cut short by eviction left its task claimed: make it due again (runs are idempotent).
    sql.exec(`UPDATE tasks SET status = 'PENDING', claimed_version = NULL WHERE status = 'IN_PROGRESS'`);
  }

  /**
   * Records that a subject needs work. A failed task starts over (attempts reset); a task
   * waiting out a 429/5xx backoff keeps its wait; a newer password replaces a pending one.
   */
  enqueue(subject: string, options: { passwordBox?: string | null; data?: unknown; now?: number; waitFor?: string } = {}): void {
    const now = options.now ?? Date.now();
    const existing = this.sql.exec<TaskRow>(`SELECT * FROM tasks WHERE subject = ?`, subject).toArray()[0];
    const data = options.data === undefined ? null : JSON.stringify(options.data);
    // `waitFor` parks the task (WAITING) until the change it belongs to settles its hold.
    const status = options.waitFor ? "WAITING" : "PENDING";
    const holdId = options.waitFor ?? null;
    if (!existing) {
      this.sql.exec(
        `INSERT INTO tasks (id, subject, status, version, attempts, next_attempt_at, password_box, data, hold_id, created, updated) VALUES (?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?)`,
        `tsk${crypto.randomUUID().replace(/-/g, "").slice(0, 17)}`,
        subject,
        status,
        now,
        options.passwordBox ?? null,
        data,
        holdId,
        now,
        now,
      );
      return;
    }
    const failed = existing.status === "FAILED";
    // A newer change outside any hold releases the task from one: it syncs to the current state.
    this.sql.exec(
      `UPDATE tasks SET version = version + 1, status = CASE WHEN status = 'IN_PROGRESS' THEN status ELSE ? END, hold_id = ?,
         attempts = ?, next_attempt_at = ?, password_box = COALESCE(?, password_box), data = COALESCE(?, data), updated = ? WHERE subject = ?`,
      status,
      holdId,
      failed ? 0 : existing.attempts,
      failed || existing.attempts === 0 ? Math.min(existing.next_attempt_at, now) : existing.next_attempt_at,
      options.passwordBox ?? null,
      data,
      now,
      subject,
    );
  }

  // ---- deactivation holds --------------------------------------------------------------------

  /**
   * The change `holdId` has queued all its work: if it would deactivate more than `threshold`
   * accounts its tasks are held for an administrator, otherwise they go ahead.
   */
  settle(holdId: string, threshold: number, reason: string, now = Date.now()): DeactivationHold | undefined {
    const count = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE hold_id = ? AND status = 'WAITING'`, holdId).one().n;
    if (count <= threshold) {
      this.sql.exec(`UPDATE tasks SET status = 'PENDING', hold_id = NULL WHERE hold_id = ? AND status = 'WAITING'`, holdId);
      return undefined;
    }
    this.sql.exec(`UPDATE tasks SET status = 'HELD' WHERE hold_id = ? AND status = 'WAITING'`, holdId);
    const hold: DeactivationHold = { id: holdId, reason, count, created: now };
    this.sql.exec(
      `INSERT OR REPLACE INTO holds (id, reason, count, created) VALUES (?, ?, ?, ?)`,
      hold.id,
      hold.reason,
      hold.count,
      hold.created,
    );
    return hold;
  }

  holds(): DeactivationHold[] {
    return this.sql.exec<DeactivationHold>(`SELECT * FROM holds ORDER BY created, id`).toArray();
  }

  /** An administrator's answer to a hold: run the deactivations, or drop them. */
  resolveHold(holdId: string, decision: "release" | "discard"): DeactivationHold | undefined {
    const hold = this.sql.exec<DeactivationHold>(`SELECT * FROM holds WHERE id = ?`, holdId).toArray()[0];
    if (!hold) return undefined;
    if (decision === "release")
      this.sql.exec(`UPDATE tasks SET status = 'PENDING', hold_id = NULL WHERE hold_id = ? AND status = 'HELD'`, holdId);
    else this.sql.exec(`DELETE FROM tasks WHERE hold_id = ? AND status = 'HELD'`, holdId);
    this.sql.exec(`DELETE FROM holds WHERE id = ?`, holdId);
    return hold;
  }

  // ---- circuit breaker -----------------------------------------------------------------------

  breaker(): BreakerState {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM state WHERE key = 'breaker'`).toArray()[0];
    return row ? (JSON.parse(row.value) as BreakerState) : CLOSED;
  }

  saveBreaker(state: BreakerState): void {
    this.sql.exec(`INSERT OR REPLACE INTO state (key, value) VALUES ('breaker', ?)`, JSON.stringify(state));
  }

  /** Claims up to `limit` due tasks (oldest due first) for a run. */
  claimDue(now: number, limit: number): TaskRow[] {
    const due = this.sql
      .exec<TaskRow>(
        `SELECT * FROM tasks WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at, created LIMIT ?`,
        now,
        limit,
      )
      .toArray();
    for (const task of due) this.sql.exec(`UPDATE tasks SET status = 'IN_PROGRESS', claimed_version = version WHERE id = ?`, task.id);
    return due.map((task) => ({ ...task, status: "IN_PROGRESS", claimed_version: task.version }));
  }

  /** Claims one subject's task now, whatever its schedule (provision on demand). */
  claimSubject(subject: string): TaskRow | undefined {
    const task = this.sql.exec<TaskRow>(`SELECT * FROM tasks WHERE subject = ? AND status != 'IN_PROGRESS'`, subject).toArray()[0];
    if (!task) return undefined;
    this.sql.exec(`UPDATE tasks SET status = 'IN_PROGRESS', claimed_version = version WHERE id = ?`, task.id);
    return { ...task, status: "IN_PROGRESS", claimed_version: task.version };
  }

  /** The run succeeded: done, unless a newer change arrived while it ran (then it runs again). */
  complete(task: TaskRow, passwordDelivered: boolean, now = Date.now()): void {
    const current = this.get(task.id);
    if (!current) return;
    // A password that arrived during the run is newer than the one delivered: keep it.
    const password = passwordDelivered && current.password_box === task.password_box ? null : current.password_box;
    if (current.version === task.claimed_version && password === null) {
      this.sql.exec(`DELETE FROM tasks WHERE id = ?`, task.id);
      return;
    }
    this.sql.exec(
      `UPDATE tasks SET status = 'PENDING', claimed_version = NULL, attempts = 0, next_attempt_at = ?, last_error = NULL, last_status = NULL,
         password_box = ?, updated = ? WHERE id = ?`,
      now,
      password,
      now,
      task.id,
    );
  }

  /** The run failed in a way worth retrying: wait `delayMs` (or fail for good past MAX_ATTEMPTS). */
  retryLater(task: TaskRow, delayMs: number, error: string, status: number | null, now = Date.now()): "RETRY" | "FAILED" {
    const attempts = task.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) {
      this.fail(task, `${error} (gave up after ${attempts} attempts)`, status, attempts, now);
      return "FAILED";
    }
    this.sql.exec(
      `UPDATE tasks SET status = 'PENDING', claimed_version = NULL, attempts = ?, next_attempt_at = ?, last_error = ?, last_status = ?, updated = ? WHERE id = ?`,
      attempts,
      now + delayMs,
      error,
      status,
      now,
      task.id,
    );
    return "RETRY";
  }

  fail(task: TaskRow, error: string, status: number | null, attempts = task.attempts + 1, now = Date.now()): void {
    // A change that arrived during the failed run deserves its own attempt.
    if (this.get(task.id)?.version !== task.claimed_version) {
      this.sql.exec(
        `UPDATE tasks SET status = 'PENDING', claimed_version = NULL, attempts = 0, next_attempt_at = ?, last_error = ?, last_status = ?, updated = ? WHERE id = ?`,
        now,
        error,
        status,
        now,
        task.id,
      );
      return;
    }
    this.sql.exec(
      `UPDATE tasks SET status = 'FAILED', claimed_version = NULL, attempts = ?, last_error = ?, last_status = ?, updated = ? WHERE id = ?`,
      attempts,
      error,
      status,
      now,
      task.id,
    );
  }

  /** Puts a failed task back in line now (POST .../tasks/{id}/retry). */
  retry(id: string, now = Date.now()): TaskRow | undefined {
    const task = this.get(id);
    if (!task) return undefined;
    this.sql.exec(
      `UPDATE tasks SET status = 'PENDING', attempts = 0, next_attempt_at = ?, updated = ? WHERE id = ? AND status IN ('FAILED', 'PENDING')`,
      now,
      now,
      id,
    );
    return this.get(id);
  }

  get(id: string): TaskRow | undefined {
    return this.sql.exec<TaskRow>(`SELECT * FROM tasks WHERE id = ?`, id).toArray()[0];
  }

  bySubject(subject: string): TaskRow | undefined {
    return this.sql.exec<TaskRow>(`SELECT * FROM tasks WHERE subject = ?`, subject).toArray()[0];
  }

  list(status?: TaskStatus, limit = 200): TaskRow[] {
    return status
      ? this.sql.exec<TaskRow>(`SELECT * FROM tasks WHERE status = ? ORDER BY created, id LIMIT ?`, status, limit).toArray()
      : this.sql.exec<TaskRow>(`SELECT * FROM tasks ORDER BY created, id LIMIT ?`, limit).toArray();
  }

  /** When the earliest pending task is due (undefined: nothing pending). */
  nextDueAt(): number | undefined {
    const row = this.sql.exec<{ at: number | null }>(`SELECT min(next_attempt_at) AS at FROM tasks WHERE status = 'PENDING'`).toArray()[0];
    return row?.at ?? undefined;
  }

  // ---- links --------------------------------------------------------------------------------

  getLink(userId: string): DownstreamLink | undefined {
    const row = this.sql
      .exec<{ external_id: string; user_name: string; active: number; pushed: string | null }>(
        `SELECT * FROM links WHERE user_id = ?`,
        userId,
      )
      .toArray()[0];
    return row
      ? {
          externalId: row.external_id,
          userName: row.user_name,
          active: row.active === 1,
          pushed: row.pushed ? JSON.parse(row.pushed) : null,
        }
      : undefined;
  }

  saveLink(userId: string, link: DownstreamLink | null, now = Date.now()): void {
    if (!link) {
      this.sql.exec(`DELETE FROM links WHERE user_id = ?`, userId);
      return;
    }
    this.sql.exec(
      `INSERT INTO links (user_id, external_id, user_name, active, pushed, updated) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET external_id = excluded.external_id, user_name = excluded.user_name, active = excluded.active,
         pushed = excluded.pushed, updated = excluded.updated`,
      userId,
      link.externalId,
      link.userName,
      link.active ? 1 : 0,
      link.pushed ? JSON.stringify(link.pushed) : null,
      now,
    );
  }

  /** Many links in two statements (the ones set, the ones removed), whatever their number. */
  saveLinks(entries: { userId: string; link: DownstreamLink | null }[], now = Date.now()): void {
    const latest = new Map(entries.map((entry) => [entry.userId, entry.link]));
    const removed = [...latest].filter(([, link]) => link === null).map(([userId]) => userId);
    const set = [...latest].flatMap(([userId, link]) =>
      link ? [[userId, link.externalId, link.userName, link.active ? 1 : 0, link.pushed ? JSON.stringify(link.pushed) : null]] : [],
    );
    if (removed.length > 0) this.sql.exec(`DELETE FROM links WHERE user_id IN (SELECT value FROM json_each(?))`, JSON.stringify(removed));
    if (set.length > 0) {
      this.sql.exec(
        `INSERT INTO links (user_id, external_id, user_name, active, pushed, updated)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ? FROM json_each(?) WHERE true
         ON CONFLICT (user_id) DO UPDATE SET external_id = excluded.external_id, user_name = excluded.user_name, active = excluded.active,
           pushed = excluded.pushed, updated = excluded.updated`,
        now,
        JSON.stringify(set),
      );
    }
  }

  /** The users these downstream accounts belong to (kept after the assignments are gone), in one statement. */
  userIdsByExternalIds(externalIds: string[]): Map<string, string> {
    if (externalIds.length === 0) return new Map();
    const rows = this.sql
      .exec<{ external_id: string; user_id: string }>(
        `SELECT external_id, user_id FROM links WHERE external_id IN (SELECT value FROM json_each(?))`,
        JSON.stringify(externalIds),
      )
      .toArray();
    return new Map(rows.map((row) => [row.external_id, row.user_id]));
  }

  /** The user a downstream account belongs to (kept after the assignment is gone). */
  userIdByExternalId(externalId: string): string | undefined {
    return this.sql.exec<{ user_id: string }>(`SELECT user_id FROM links WHERE external_id = ?`, externalId).toArray()[0]?.user_id;
  }

  /** Users with an active downstream account among `userIds`, with their external ids. */
  activeLinks(userIds: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const userId of userIds) {
      const link = this.getLink(userId);
      if (link?.active) out.set(userId, link.externalId);
    }
    return out;
  }

  // ---- Group Push memberships ---------------------------------------------------------------

  pushedGroupsOf(userId: string): { mappingId: string; targetGroupId: string }[] {
    return this.sql
      .exec<{ mapping_id: string; target_group_id: string }>(
        `SELECT mapping_id, target_group_id FROM pushed_members WHERE user_id = ?`,
        userId,
      )
      .toArray()
      .map((row) => ({ mappingId: row.mapping_id, targetGroupId: row.target_group_id }));
  }

  pushedMembers(mappingId: string): Set<string> {
    return new Set(
      this.sql
        .exec<{ user_id: string }>(`SELECT user_id FROM pushed_members WHERE mapping_id = ?`, mappingId)
        .toArray()
        .map((r) => r.user_id),
    );
  }

  setPushed(mappingId: string, targetGroupId: string, userId: string, member: boolean): void {
    if (member) {
      this.sql.exec(
        `INSERT OR REPLACE INTO pushed_members (mapping_id, user_id, target_group_id) VALUES (?, ?, ?)`,
        mappingId,
        userId,
        targetGroupId,
      );
    } else {
      this.sql.exec(`DELETE FROM pushed_members WHERE mapping_id = ? AND user_id = ?`, mappingId, userId);
    }
  }

  forgetMapping(mappingId: string): void {
    this.sql.exec(`DELETE FROM pushed_members WHERE mapping_id = ?`, mappingId);
  }

  clear(): void {
    this.sql.exec(`DELETE FROM tasks`);
    this.sql.exec(`DELETE FROM links`);
    this.sql.exec(`DELETE FROM pushed_members`);
  }
}
