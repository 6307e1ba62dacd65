import { sql } from "drizzle-orm";
import { logStatements } from "../../audit/system-log";
import { batchAll } from "../../db/client";
import { writeItems } from "../../db/queries/imports";
import type { ImportItemRow, ImportSessionRow } from "../../db/schema";
import { flattenScimUser, type ImportedUser } from "../../imports/matching";
import { ScimClient } from "../../provisioning/scim-client";
import { planEvent } from "./items";
import { planFetched } from "./fetch";
import { fail, reload, saveStatement, unmoved, type ImportDeps } from "./session";

/** Linked assignments read per step when a full import looks for the users it did not list. */
const SCAN_CHUNK = 2_000;
/** Apparent removals checked one by one per import (beyond this a safeguard is the backstop). */
export const VERIFY_LIMIT = 2_000;
const VERIFY_CONCURRENCY = 8;
/** D1 queries a verify step may issue (the scan, planning found users, one batch). */
export const VERIFY_STEP_QUERIES = 16;

/** Where the check is: the highest item number so far and the last assignment (by user id) looked at. */
export function verifyCursor(cursor: string | null, fetched: number): { seq: number; after: string } {
  const match = /^verify:(\d+):(.*)$/s.exec(cursor ?? "");
  return match ? { seq: Number(match[1]), after: match[2] } : { seq: fetched, after: "" };
}

/**
 * A full import's check of the app's linked assignments it did not see downstream, a chunk of
 * them per step. Offset paging over a changing list can hide a user (someone before it was
 * removed between two pages), so each is asked for by id first (outside the critical section,
 * up to VERIFY_LIMIT per import): those still there join the import as if listed; a 404
 * confirms the removal, which is planned as UNASSIGN. A check that cannot be made fails the
 * session. Returns false once every assignment has been looked at.
 */
export async function verifyStep(deps: ImportDeps, session: ImportSessionRow): Promise<"more" | "done" | "stopped"> {
  const { db, queue } = deps;
  const at = verifyCursor(session.cursor, session.counters.fetched);
  const rows = await db.all<{ user_id: string; external_id: string; user_name: string | null }>(
    sql`SELECT user_id, external_id, user_name FROM app_users WHERE app_id = ${session.appId} AND external_id IS NOT NULL AND user_id > ${at.after}
        ORDER BY user_id LIMIT ${SCAN_CHUNK}`,
  );
  if (rows.length === 0) return "done";
  const stepCursor = `verify:${at.seq}:${at.after}`;
  const unseen = new Set(
    deps.imports.unseen(
      session.id,
      rows.map((row) => row.external_id),
      stepCursor,
    ),
  );
  const candidates = rows.filter((row) => unseen.has(row.external_id));
  const checkedSoFar = session.counters.verifiedMissing ?? 0;
  const toCheck = candidates.slice(0, Math.max(0, VERIFY_LIMIT - checkedSoFar));

  const settings = await deps.settings();
  const found: ImportedUser[] = [];
  const failures: string[] = [];
  if (settings.connection && toCheck.length > 0) {
    const scim = new ScimClient(settings.connection);
    for (let i = 0; i < toCheck.length; i += VERIFY_CONCURRENCY) {
      const answers = await Promise.all(
        toCheck
          .slice(i, i + VERIFY_CONCURRENCY)
          .map((row) => scim.request<Record<string, unknown>>("GET", `/Users/${encodeURIComponent(row.external_id)}`)),
      );
      for (const answer of answers) {
        if (answer.ok) {
          const user = flattenScimUser(answer.body);
          if (user) found.push(user);
        } else if (answer.status !== 404) failures.push(answer.reason);
      }
    }
  }
  const stillThere = new Set(found.map((user) => user.externalId));
  const counters = {
    ...session.counters,
    verifiedMissing: checkedSoFar + toCheck.length,
    missedByPaging: (session.counters.missedByPaging ?? 0) + found.length,
  };
  const joined = await planFetched(deps, session, found, counters, at.seq + 1);
  const audit = await deps.auditFor(session.id);
  const gone = candidates.filter((row) => !stillThere.has(row.external_id));
  const unassign: ImportItemRow[] = gone.map((row, k) => ({
    sessionId: session.id,
    seq: at.seq + found.length + k + 1,
    externalId: row.external_id,
    userName: row.user_name ?? row.external_id,
    active: false,
    profile: {},
    result: "UNASSIGN",
    matchedUserId: row.user_id,
    decision: "PENDING",
    detail: "not present downstream any more",
    digest: null,
  }));

  return queue.run(async () => {
    const latest = await reload(db, session);
    const current = unmoved(latest, session);
    if (!current) return latest?.status === "RUNNING" ? "more" : "stopped";
    if (failures.length > 0) {
      await fail(db, current, `could not confirm that ${failures.length} linked users are gone downstream: ${failures[0]}`);
      return "stopped";
    }
    deps.imports.markSeen(current.id, [...stillThere], stepCursor);
    deps.imports.saveDigests(joined.unchangedLinks);
    const next = joined.counters;
    next.toUnassign += unassign.length;
    next.pending += unassign.length;
    const events = [...joined.events, ...unassign.map((item) => planEvent(current, item, planOf(item), audit))];
    await batchAll(db, [
      ...writeItems(db, [...joined.items, ...unassign]),
      ...logStatements(db, events),
      saveStatement(db, current, {
        counters: next,
        cursor: `verify:${at.seq + found.length + unassign.length}:${rows[rows.length - 1].user_id}`,
      }),
    ]);
    return rows.length < SCAN_CHUNK ? "done" : "more";
  });
}

function planOf(item: ImportItemRow) {
  return { result: item.result!, userId: item.matchedUserId ?? undefined, detail: item.detail ?? "" };
}
