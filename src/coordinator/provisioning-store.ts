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
 */
export type TaskStatus = "PENDING" | "IN_PROGRESS" | "FAILED";

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
];

export class ProvisioningStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
    // A run cut short by eviction left its task claimed: make it due again (runs are idempotent).
    sql.exec(`UPDATE tasks SET status = 'PENDING', claimed_version = NULL WHERE status = 'IN_PROGRESS'`);
  }

  /**
   * Records that a subject needs work. A failed task starts over (attempts reset); a task
   * waiting out a 429/5xx backoff keeps its wait; a newer password replaces a pending one.
   */
  enqueue(subject: string, options: { passwordBox?: string | null; data?: unknown; now?: number } = {}): void {
    const now = options.now ?? Date.now();
    const existing = this.sql.exec<TaskRow>(`SELECT * FROM tasks WHERE subject = ?`, subject).toArray()[0];
    const data = options.data === undefined ? null : JSON.stringify(options.data);
    if (!existing) {
      this.sql.exec(
        `INSERT INTO tasks (id, subject, status, version, attempts, next_attempt_at, password_box, data, created, updated) VALUES (?, ?, 'PENDING', 1, 0, ?, ?, ?, ?, ?)`,
        `tsk${crypto.randomUUID().replace(/-/g, "").slice(0, 17)}`,
        subject,
        now,
        options.passwordBox ?? null,
        data,
        now,
        now,
      );
      return;
    }
    const failed = existing.status === "FAILED";
    this.sql.exec(
      `UPDATE tasks SET version = version + 1, status = CASE WHEN status = 'IN_PROGRESS' THEN status ELSE 'PENDING' END,
         attempts = ?, next_attempt_at = ?, password_box = COALESCE(?, password_box), data = COALESCE(?, data), updated = ? WHERE subject = ?`,
      failed ? 0 : existing.attempts,
      failed || existing.attempts === 0 ? Math.min(existing.next_attempt_at, now) : existing.next_attempt_at,
      options.passwordBox ?? null,
      data,
      now,
      subject,
    );
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
      `UPDATE tasks SET status = 'PENDING', attempts = 0, next_attempt_at = ?, updated = ? WHERE id = ? AND status != 'IN_PROGRESS'`,
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
