/**
 * What a coordinator keeps of its app's imports in its own SQLite storage (not D1):
 *
 * - digests: for each downstream account an import linked, the Okta user it was linked to and
 *   a digest of the downstream record (and the import settings) as last imported. A user whose
 *   record still has that digest, and whose assignment still carries that external id, is
 *   unchanged: counted, never stored as an item, never logged.
 * - seen: the external ids a session has read downstream, so a user listed twice (pages
 *   shifting under offset paging) is kept once, and a full import can tell which linked
 *   assignments it did not see.
 * - outbox: users an import changed in Okta whose other apps must follow; kept until each of
 *   those apps' coordinators has reconciled them (src/coordinator/follow-ups.ts).
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS import_digests (external_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, digest TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS import_seen (session_id TEXT NOT NULL, external_id TEXT NOT NULL, at_cursor TEXT NOT NULL,
     PRIMARY KEY (session_id, external_id)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS outbox (user_id TEXT PRIMARY KEY, reason TEXT NOT NULL, request_id TEXT, version INTEGER NOT NULL DEFAULT 1,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, created INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at)`,
];

export interface OutboxEntry {
  userId: string;
  reason: string;
  requestId: string | null;
  /** Bumped by every change: an entry is removed only if no newer change arrived while its apps were told. */
  version: number;
  attempts: number;
}

export class ImportStore {
  /** The outbox's earliest due time, kept in memory (this object is its only writer): the alarm asks often. */
  #nextOutboxAt: number | undefined;

  constructor(private readonly storage: DurableObjectStorage) {
    for (const statement of SCHEMA) storage.sql.exec(statement);
    this.#refreshOutbox();
  }

  #refreshOutbox(): void {
    this.#nextOutboxAt =
      this.storage.sql.exec<{ at: number | null }>(`SELECT min(next_attempt_at) AS at FROM outbox`).one().at ?? undefined;
  }

  // ---- digests --------------------------------------------------------------------------------

  /** The stored digests of these external ids, with the user each was linked to. */
  digests(externalIds: string[]): Map<string, { userId: string; digest: string }> {
    const out = new Map<string, { userId: string; digest: string }>();
    if (externalIds.length === 0) return out;
    const rows = this.storage.sql.exec<{ external_id: string; user_id: string; digest: string }>(
      `SELECT external_id, user_id, digest FROM import_digests WHERE external_id IN (SELECT value FROM json_each(?))`,
      JSON.stringify(externalIds),
    );
    for (const row of rows) out.set(row.external_id, { userId: row.user_id, digest: row.digest });
    return out;
  }

  saveDigests(entries: { externalId: string; userId: string; digest: string }[]): void {
    if (entries.length === 0) return;
    this.storage.sql.exec(
      `INSERT INTO import_digests (external_id, user_id, digest) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
       ON CONFLICT (external_id) DO UPDATE SET user_id = excluded.user_id, digest = excluded.digest`,
      JSON.stringify(entries.map((entry) => [entry.externalId, entry.userId, entry.digest])),
    );
  }

  forgetDigests(externalIds: string[]): void {
    if (externalIds.length === 0) return;
    this.storage.sql.exec(`DELETE FROM import_digests WHERE external_id IN (SELECT value FROM json_each(?))`, JSON.stringify(externalIds));
  }

  // ---- what a session has seen ----------------------------------------------------------------

  /**
   * Records ids as seen by the session's step at `cursor`. Written before the step's D1 batch:
   * if that batch never lands, the step runs again at the same cursor and `unseen` still
   * counts these as unseen.
   */
  markSeen(sessionId: string, externalIds: string[], cursor: string): void {
    if (externalIds.length === 0) return;
    this.storage.sql.exec(
      `INSERT INTO import_seen (session_id, external_id, at_cursor) SELECT ?, value, ? FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`,
      sessionId,
      cursor,
      JSON.stringify(externalIds),
    );
  }

  /** Which of `externalIds` (in order) the session has not seen before the step at `cursor`. */
  unseen(sessionId: string, externalIds: string[], cursor: string): string[] {
    if (externalIds.length === 0) return [];
    const seen = new Set(
      this.storage.sql
        .exec<{ external_id: string }>(
          `SELECT external_id FROM import_seen WHERE session_id = ? AND at_cursor != ? AND external_id IN (SELECT value FROM json_each(?))`,
          sessionId,
          cursor,
          JSON.stringify(externalIds),
        )
        .toArray()
        .map((row) => row.external_id),
    );
    return externalIds.filter((id) => !seen.has(id));
  }

  /** A finished session's seen set is dropped (and any left by sessions that never finished). */
  forgetSeen(keepSessionId?: string): void {
    if (keepSessionId) this.storage.sql.exec(`DELETE FROM import_seen WHERE session_id != ?`, keepSessionId);
    else this.storage.sql.exec(`DELETE FROM import_seen`);
  }

  // ---- outbox ---------------------------------------------------------------------------------

  /** Users whose other apps must follow a change; a user already waiting keeps one entry. */
  addToOutbox(userIds: string[], reason: string, requestId: string | undefined, now = Date.now()): void {
    if (userIds.length === 0) return;
    this.storage.transactionSync(() => {
      for (const userId of userIds) {
        this.storage.sql.exec(
          `INSERT INTO outbox (user_id, reason, request_id, attempts, next_attempt_at, created) VALUES (?, ?, ?, 0, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason, request_id = excluded.request_id, version = version + 1,
             attempts = 0, next_attempt_at = excluded.next_attempt_at`,
          userId,
          reason,
          requestId ?? null,
          now,
          now,
        );
      }
    });
    this.#refreshOutbox();
  }

  dueOutbox(now: number, limit: number): OutboxEntry[] {
    return this.storage.sql
      .exec<{ user_id: string; reason: string; request_id: string | null; version: number; attempts: number }>(
        `SELECT user_id, reason, request_id, version, attempts FROM outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, user_id LIMIT ?`,
        now,
        limit,
      )
      .toArray()
      .map((row) => ({ userId: row.user_id, reason: row.reason, requestId: row.request_id, version: row.version, attempts: row.attempts }));
  }

  /** Entries are done once every other app has them; a later change to the same user keeps its own entry. */
  removeFromOutbox(entries: OutboxEntry[]): void {
    this.storage.transactionSync(() => {
      for (const entry of entries) {
        this.storage.sql.exec(`DELETE FROM outbox WHERE user_id = ? AND version = ?`, entry.userId, entry.version);
      }
    });
    this.#refreshOutbox();
  }

  retryOutbox(entries: OutboxEntry[], delayMs: (attempts: number) => number, now = Date.now()): void {
    this.storage.transactionSync(() => {
      for (const entry of entries) {
        this.storage.sql.exec(
          `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE user_id = ? AND version = ?`,
          now + delayMs(entry.attempts + 1),
          entry.userId,
          entry.version,
        );
      }
    });
    this.#refreshOutbox();
  }

  outboxSize(): number {
    return this.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM outbox`).one().n;
  }

  nextOutboxAt(): number | undefined {
    return this.#nextOutboxAt;
  }

  clear(): void {
    this.storage.sql.exec(`DELETE FROM import_digests`);
    this.storage.sql.exec(`DELETE FROM import_seen`);
    this.storage.sql.exec(`DELETE FROM outbox`);
    this.#nextOutboxAt = undefined;
  }
}
