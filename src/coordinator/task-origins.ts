/**
 * Which API request last gave an outbound task work (its X-Okta-Request-Id and the actor's id),
 * kept in the coordinator's SQLite storage next to the tasks, so the System Log events of a run
 * (background work, logged by the system) can name the request that caused it. One row per
 * subject; work that no request caused (an import, a membership change elsewhere) clears it.
 */
export interface TaskOrigin {
  requestId?: string;
  initiatedBy?: string;
}

export class TaskOrigins {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      `CREATE TABLE IF NOT EXISTS task_origins (subject TEXT PRIMARY KEY, request_id TEXT, initiated_by TEXT, updated INTEGER NOT NULL)`,
    );
  }

  note(subject: string, origin: TaskOrigin | undefined, now = Date.now()): void {
    if (!origin?.requestId) {
      this.sql.exec(`DELETE FROM task_origins WHERE subject = ?`, subject);
      return;
    }
    this.sql.exec(
      `INSERT OR REPLACE INTO task_origins (subject, request_id, initiated_by, updated) VALUES (?, ?, ?, ?)`,
      subject,
      origin.requestId,
      origin.initiatedBy ?? null,
      now,
    );
  }

  of(subject: string): TaskOrigin | undefined {
    const row = this.sql
      .exec<{ request_id: string | null; initiated_by: string | null }>(
        `SELECT request_id, initiated_by FROM task_origins WHERE subject = ?`,
        subject,
      )
      .toArray()[0];
    if (!row?.request_id) return undefined;
    return { requestId: row.request_id, ...(row.initiated_by ? { initiatedBy: row.initiated_by } : {}) };
  }

  clear(): void {
    this.sql.exec(`DELETE FROM task_origins`);
  }
}
