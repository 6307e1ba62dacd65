import { and, asc, count, desc, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chunk, MAX_BOUND_PARAMS, type DB } from "../client";
import { jsonPayloads, writeRows } from "../json-rows";
import { pastCompositeKey } from "./keyset";
import { appUsers, importItems, importSessions, orgSettings, type ImportItemRow, type ImportSessionRow } from "../schema";

type Json = Record<string, unknown>;

export async function insertSession(db: DB, row: ImportSessionRow): Promise<void> {
  await db.insert(importSessions).values(row);
}

export async function getSession(db: DB, appId: string, id: string): Promise<ImportSessionRow | undefined> {
  return db.query.importSessions.findFirst({ where: and(eq(importSessions.appId, appId), eq(importSessions.id, id)) });
}

export async function updateSession(db: DB, id: string, changes: Partial<ImportSessionRow>): Promise<ImportSessionRow | undefined> {
  const [row] = await db.update(importSessions).set(changes).where(eq(importSessions.id, id)).returning();
  return row;
}

export function updateSessionStatement(db: DB, id: string, changes: Partial<ImportSessionRow>): BatchItem<"sqlite"> {
  return db.update(importSessions).set(changes).where(eq(importSessions.id, id));
}

/** Newest first, keyset on creation time then id. */
export async function listSessions(db: DB, appId: string, before: { created: number; id: string } | undefined, limit: number) {
  const after = pastCompositeKey(
    importSessions.created,
    importSessions.id,
    before && { first: new Date(before.created), second: before.id },
    "DESCENDING",
  );
  return db
    .select()
    .from(importSessions)
    .where(and(eq(importSessions.appId, appId), after))
    .orderBy(desc(importSessions.created), desc(importSessions.id))
    .limit(limit + 1);
}

/** The app's session that is not finished (at most one runs per app). */
export async function openSession(db: DB, appId: string): Promise<ImportSessionRow | undefined> {
  return db.query.importSessions.findFirst({
    where: and(eq(importSessions.appId, appId), inArray(importSessions.status, ["RUNNING", "PAUSED_SAFEGUARD"])),
  });
}

/** Apps with a session waiting behind the roadblock. */
export async function appsWithWaitingSessions(db: DB): Promise<string[]> {
  const rows = await db
    .selectDistinct({ appId: importSessions.appId })
    .from(importSessions)
    .where(and(eq(importSessions.status, "RUNNING"), eq(importSessions.phase, "WAITING")));
  return rows.map((row) => row.appId);
}

/** Inserts items as JSON payloads (one bound parameter per statement). */
export function writeItems(db: DB, rows: ImportItemRow[]): BatchItem<"sqlite">[] {
  return writeRows(db, importItems, rows);
}

/**
 * Records what applying items did (decision, detail, the user they ended with). Each outcome
 * finds its item by primary key from the payload side (json_each first: CROSS JOIN keeps SQLite
 * from scanning the session's items once per outcome) and the item is upserted onto itself, so
 * the payload carries only what changed.
 */
export function writeItemOutcomes(rows: Pick<ImportItemRow, "sessionId" | "seq" | "decision" | "detail" | "matchedUserId">[]): SQL[] {
  const bySession = new Map<string, typeof rows>();
  for (const row of rows) bySession.set(row.sessionId, [...(bySession.get(row.sessionId) ?? []), row]);
  return [...bySession].flatMap(([sessionId, outcomes]) =>
    jsonPayloads(outcomes.map((row) => [row.seq, row.decision, row.detail, row.matchedUserId])).map(
      (payload) => sql`
        INSERT INTO import_items (session_id, seq, external_id, user_name, active, profile, result, matched_user_id, decision, detail, digest)
        SELECT i.session_id, i.seq, i.external_id, i.user_name, i.active, i.profile, i.result, p.value ->> 3, p.value ->> 1, p.value ->> 2, i.digest
        FROM json_each(${payload}) p CROSS JOIN import_items i ON i.session_id = ${sessionId} AND i.seq = p.value ->> 0
        WHERE true
        ON CONFLICT (session_id, seq) DO UPDATE SET decision = excluded.decision, detail = excluded.detail, matched_user_id = excluded.matched_user_id`,
    ),
  );
}

export async function confirmItems(db: DB, sessionId: string, seqs: number[] | "all"): Promise<number> {
  const pending = and(eq(importItems.sessionId, sessionId), eq(importItems.decision, "PENDING"));
  if (seqs === "all") {
    const rows = await db.update(importItems).set({ decision: "CONFIRMED" }).where(pending).returning({ seq: importItems.seq });
    return rows.length;
  }
  let confirmed = 0;
  // Each statement binds the seqs plus the session id, "PENDING" and the SET value.
  for (const part of chunk(seqs, MAX_BOUND_PARAMS - 3)) {
    const rows = await db
      .update(importItems)
      .set({ decision: "CONFIRMED" })
      .where(and(pending, inArray(importItems.seq, part)))
      .returning({ seq: importItems.seq });
    confirmed += rows.length;
  }
  return confirmed;
}

export async function countItems(db: DB, sessionId: string) {
  return db
    .select({ result: importItems.result, decision: importItems.decision, n: count() })
    .from(importItems)
    .where(eq(importItems.sessionId, sessionId))
    .groupBy(importItems.result, importItems.decision);
}

export async function listItems(db: DB, sessionId: string, result: ImportItemRow["result"] | undefined, afterSeq: number, limit: number) {
  return db
    .select()
    .from(importItems)
    .where(and(eq(importItems.sessionId, sessionId), result ? eq(importItems.result, result) : undefined, gt(importItems.seq, afterSeq)))
    .orderBy(asc(importItems.seq))
    .limit(limit + 1);
}

// ---- org settings -------------------------------------------------------------------------------

export async function getOrgSetting<T extends Json>(db: DB, key: string): Promise<T | undefined> {
  const row = await db.query.orgSettings.findFirst({ where: eq(orgSettings.key, key) });
  return row?.value as T | undefined;
}

export async function putOrgSetting(db: DB, key: string, value: Json): Promise<void> {
  const now = new Date();
  await db
    .insert(orgSettings)
    .values({ key, value, lastUpdated: now })
    .onConflictDoUpdate({ target: orgSettings.key, set: { value, lastUpdated: now } });
}

export async function deleteOrgSetting(db: DB, key: string): Promise<void> {
  await db.delete(orgSettings).where(eq(orgSettings.key, key));
}

/** Every app assignment in the org (the org-level safeguard's base). */
export async function countAllAppUsers(db: DB): Promise<number> {
  const [row] = await db.select({ n: count() }).from(appUsers);
  return row?.n ?? 0;
}

type RoadblockValue = Json & { sessionId: string; queued?: Json[] };

/**
 * Raises the org's import roadblock for a paused session, or, when one is already raised for
 * another session, queues this one behind it (one atomic statement each, so two coordinators
 * pausing at once cannot overwrite each other).
 */
export async function raiseRoadblock(db: DB, roadblock: RoadblockValue): Promise<"raised" | "queued"> {
  const now = Date.now();
  const inserted = await db.run(
    sql`INSERT INTO ${orgSettings} (key, value, last_updated) VALUES ('import_roadblock', ${JSON.stringify(roadblock)}, ${now}) ON CONFLICT (key) DO NOTHING`,
  );
  if ((inserted.meta?.changes ?? 0) > 0) return "raised";
  await db.run(
    sql`UPDATE ${orgSettings} SET value = json_insert(value, '$.queued[#]', json(${JSON.stringify(roadblock)})), last_updated = ${now}
        WHERE key = 'import_roadblock' AND json_extract(value, '$.sessionId') != ${roadblock.sessionId}`,
  );
  return "queued";
}

/**
 * Takes a session off the roadblock: if it was the raised one, the next queued session (if
 * any) becomes the roadblock; if it was queued, it leaves the queue. Returns what remains.
 */
export async function liftRoadblock(db: DB, sessionId: string): Promise<RoadblockValue | undefined> {
  const current = await getOrgSetting<RoadblockValue>(db, "import_roadblock");
  if (!current) return undefined;
  const queued = (current.queued ?? []) as RoadblockValue[];
  if (current.sessionId === sessionId) {
    const [next, ...rest] = queued;
    if (!next) {
      await deleteOrgSetting(db, "import_roadblock");
      return undefined;
    }
    const promoted = { ...next, queued: rest };
    await putOrgSetting(db, "import_roadblock", promoted);
    return promoted;
  }
  const remaining = queued.filter((entry) => entry.sessionId !== sessionId);
  if (remaining.length !== queued.length) await putOrgSetting(db, "import_roadblock", { ...current, queued: remaining });
  return current;
}
