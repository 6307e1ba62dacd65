import { and, asc, eq, gt } from "drizzle-orm";
import { userLifecycleEvent } from "../../audit/events";
import { logStatements, writeLog } from "../../audit/system-log";
import { batchAll } from "../../db/client";
import { countAppUsers } from "../../db/queries/app-users";
import { updateUsers, usersByIds } from "../../db/queries/bulk-lookups";
import { countAllAppUsers, countItems, getOrgSetting, openSession, raiseRoadblock } from "../../db/queries/imports";
import { importItems, type ImportCounters, type ImportSessionRow } from "../../db/schema";
import type { ImportResult } from "../../imports/matching";
import { autoConfirmed } from "../../imports/matching";
import { DEFAULT_SAFEGUARDS, evaluateSafeguards, type SafeguardSettings } from "../../imports/safeguards";
import { applyChunk, APPLY_CHUNK, APPLY_STEP_QUERIES, type ApplyEffects } from "./apply";
import { fetchStep, FETCH_STEP_QUERIES } from "./fetch";
import { EMPTY_COUNTERS, inboundOf, reload, save, type ImportDeps } from "./session";
import { verifyStep, VERIFY_STEP_QUERIES } from "./verify";

export const ROADBLOCK_KEY = "import_roadblock";
export const SAFEGUARDS_KEY = "import_safeguards";
/** How often a session waiting behind another app's roadblock looks again. */
const ROADBLOCK_POLL_MS = 30_000;
/** The most any one step of a session may query D1 (the alarm starts a step only if it can afford this). */
export const IMPORT_STEP_QUERIES = Math.max(FETCH_STEP_QUERIES, VERIFY_STEP_QUERIES, APPLY_STEP_QUERIES, 8);

export type Roadblock = {
  sessionId: string;
  appId: string;
  level: "APP" | "ORG";
  removals: number;
  limit: number;
  percent: number;
  raised: string;
  /** Other paused imports, each taking the roadblock in turn once this one is resolved. */
  queued?: Omit<Roadblock, "queued">[];
};

/** Per-session flags the coordinator keeps in its storage. */
export interface SessionFlags {
  /** The confirmation asked for confirmed new users to be activated too. */
  activate(sessionId: string): Promise<boolean>;
  /** The session is over: its flags and origin go. */
  finished(sessionId: string): Promise<void>;
}

/**
 * Runs "To Okta" import sessions for one app, a bounded step at a time: FETCH reads and plans
 * pages (fetch.ts), PLAN checks the linked users a full import did not list (verify.ts) and
 * then the safeguards on the whole plan, APPLY applies chunks of items (apply.ts) and, when a
 * confirmation asked for it, activates the users it created. Each step reads the session's
 * phase and cursor from D1, so a session resumes where it was after an eviction, and nothing is
 * applied before the safeguards have seen the complete plan.
 */
export class ImportRunner {
  constructor(
    private readonly deps: ImportDeps,
    private readonly effects: ApplyEffects,
    private readonly flags: SessionFlags,
  ) {}

  /**
   * One step of the app's open session, if it has one: whether it did work, and when the
   * session wants to run again (now, later while it waits behind a roadblock, or never).
   */
  async stepOnce(appId: string): Promise<{ worked: boolean; due: number | undefined }> {
    const session = await openSession(this.deps.db, appId);
    if (!session || session.status !== "RUNNING") return { worked: false, due: undefined };
    if (await this.step(session)) return { worked: true, due: Date.now() };
    const after = await reload(this.deps.db, session);
    if (after?.status === "RUNNING" && after.phase === "WAITING") return { worked: false, due: Date.now() + ROADBLOCK_POLL_MS };
    return { worked: after?.status === "RUNNING", due: after?.status === "RUNNING" ? Date.now() : undefined };
  }

  /** One step of the session; true while it has more work right away. */
  async step(session: ImportSessionRow): Promise<boolean> {
    const { queue } = this.deps;
    switch (session.phase) {
      case "WAITING":
        return queue.run(() => this.#leaveWaiting(session));
      case "FETCH":
        return fetchStep(this.deps, session);
      case "PLAN": {
        if (session.type === "FULL" && session.cursor !== "checked") {
          const verified = await verifyStep(this.deps, session);
          if (verified !== "done") return verified === "more";
          return queue.run(async () => {
            const current = await reload(this.deps.db, session);
            if (current?.status !== "RUNNING" || current.phase !== "PLAN" || current.cursor !== session.cursor)
              return current?.status === "RUNNING";
            await save(this.deps.db, current, { cursor: "checked" });
            return true;
          });
        }
        return queue.run(async () => {
          const current = await reload(this.deps.db, session);
          return current?.status === "RUNNING" && current.phase === "PLAN" && current.cursor === session.cursor
            ? this.#finishPlan(current)
            : false;
        });
      }
      case "APPLY":
        return queue.run(async () => {
          if (session.cursor?.startsWith("activate:")) return this.#activateChunk(session);
          const applied = await applyChunk(this.deps, this.effects, session, await this.flags.activate(session.id));
          if (applied === "more") return true;
          if (applied === "stopped") return false;
          return this.#applied(session);
        });
      default:
        return false;
    }
  }

  async #leaveWaiting(session: ImportSessionRow): Promise<boolean> {
    const current = await reload(this.deps.db, session);
    if (!current || current.status !== "RUNNING" || current.phase !== "WAITING") return false;
    if (await getOrgSetting<Roadblock>(this.deps.db, ROADBLOCK_KEY)) return false;
    await save(this.deps.db, current, { phase: "FETCH", cursor: "1" });
    return true;
  }

  /** The whole plan is known: check the safeguards, then apply (or stop). */
  async #finishPlan(session: ImportSessionRow): Promise<boolean> {
    const { db } = this.deps;
    const counters = await this.counters(session);
    this.deps.imports.forgetSeen();
    if (session.dryRun) {
      await save(db, session, { counters, phase: "DONE", status: "COMPLETED", completed: new Date() });
      await this.flags.finished(session.id);
      return false;
    }
    const [appAssigned, orgAssigned, settings] = await Promise.all([
      countAppUsers(db, session.appId),
      countAllAppUsers(db),
      getOrgSetting<SafeguardSettings>(db, SAFEGUARDS_KEY),
    ]);
    // Both unassignments and the deactivations sourcing would cause count.
    const removals = counters.toUnassign + counters.deactivated;
    const breach = evaluateSafeguards({ removals, appAssigned, orgAssigned, settings: settings ?? DEFAULT_SAFEGUARDS });
    if (breach) {
      const roadblock: Roadblock = { sessionId: session.id, appId: session.appId, ...breach, raised: new Date().toISOString() };
      // Another paused import may hold the roadblock already: this one then waits its turn in it.
      await raiseRoadblock(db, roadblock);
      await save(db, session, { counters, status: "PAUSED_SAFEGUARD", safeguard: { ...breach }, phase: "APPLY", cursor: "0" });
      await writeLog(db, [
        {
          eventType: "system.import.roadblock",
          audit: await this.deps.auditFor(session.id),
          severity: "WARN",
          displayMessage: "Import roadblock triggered due to exceeded threshold.",
          outcome: {
            result: "FAILURE",
            reason: `${breach.level} safeguard: ${breach.removals} removals > ${breach.limit} (${breach.percent}% of ${breach.base})`,
          },
          target: [
            { id: session.appId, type: "AppInstance" },
            { id: session.id, type: "ImportSession" },
          ],
          details: { sessionId: session.id, ...breach },
        },
      ]);
      return false;
    }
    return this.beginApply(session);
  }

  /** Starts applying what is confirmed or auto-confirmed (also when a roadblock is resumed). */
  async beginApply(session: ImportSessionRow): Promise<boolean> {
    const counters = await this.counters(session, true);
    await save(this.deps.db, session, { counters, status: "RUNNING", phase: "APPLY", cursor: "0" });
    return true;
  }

  /** Every item is applied: activate created users if asked, else the session is done. */
  async #applied(session: ImportSessionRow): Promise<boolean> {
    const current = await reload(this.deps.db, session);
    if (!current || current.status !== "RUNNING" || current.phase !== "APPLY") return false;
    if (await this.flags.activate(current.id)) {
      await save(this.deps.db, current, { cursor: "activate:0" });
      return true;
    }
    return this.#complete(current);
  }

  /** Activates a chunk of the users the session created (a confirmation with activate: true). */
  async #activateChunk(session: ImportSessionRow): Promise<boolean> {
    const { db } = this.deps;
    const current = await reload(db, session);
    if (!current || current.status !== "RUNNING" || current.phase !== "APPLY" || current.cursor !== session.cursor) return false;
    const after = Number(current.cursor!.slice("activate:".length));
    const created = await db
      .select({ seq: importItems.seq, userId: importItems.matchedUserId })
      .from(importItems)
      .where(
        and(
          eq(importItems.sessionId, current.id),
          gt(importItems.seq, after),
          eq(importItems.result, "NEW"),
          eq(importItems.decision, "APPLIED"),
        ),
      )
      .orderBy(asc(importItems.seq))
      .limit(APPLY_CHUNK);
    if (created.length === 0) return this.#complete(current);
    const now = new Date();
    const users = await usersByIds(
      db,
      created.flatMap((row) => (row.userId ? [row.userId] : [])),
    );
    const audit = await this.deps.auditFor(current.id);
    const activated = [...users.values()]
      .filter((user) => user.status !== "ACTIVE")
      .map((user) => ({
        before: user,
        after: { ...user, status: "ACTIVE" as const, activated: now, statusChanged: now, lastUpdated: now },
      }));
    const events = activated.map(({ before, after }) =>
      userLifecycleEvent("activate", after, { from: before.status, to: "ACTIVE" }, audit, { sessionId: current.id }),
    );
    await batchAll(db, [
      ...updateUsers(
        activated.map(({ after }) => after),
        ["status", "activated", "statusChanged", "lastUpdated"],
      ),
      ...logStatements(db, events, now),
    ]);
    await save(db, current, { cursor: `activate:${created[created.length - 1].seq}` });
    return true;
  }

  async #complete(session: ImportSessionRow): Promise<false> {
    const counters = await this.counters(session);
    const awaiting = counters.pending > 0;
    await save(this.deps.db, session, {
      counters,
      phase: "DONE",
      status: awaiting ? "AWAITING_CONFIRMATION" : "COMPLETED",
      completed: awaiting ? null : new Date(),
    });
    await writeLog(this.deps.db, [
      {
        eventType: "system.import.complete",
        audit: await this.deps.auditFor(session.id),
        displayMessage: awaiting ? "Import complete; items await confirmation" : "Import complete",
        target: [
          { id: session.appId, type: "AppInstance" },
          { id: session.id, type: "ImportSession" },
        ],
        details: { sessionId: session.id, ...counters },
      },
    ]);
    await this.flags.finished(session.id);
    return false;
  }

  /**
   * The session's counters from its items (one grouped query), with what the items cannot tell
   * carried over: the listing's size, the removal checks, and the unchanged users never stored.
   * `applying`: pending items the import rules auto-confirm count as confirmed (they are
   * applied as such), not as waiting for an administrator.
   */
  async counters(session: ImportSessionRow, applying = false): Promise<ImportCounters> {
    const rows = await countItems(this.deps.db, session.id);
    const stored = session.counters;
    const inbound = await inboundOf(this.deps.db, session.appId);
    const skipped = stored.skippedUnchanged ?? 0;
    const counters: ImportCounters = {
      ...EMPTY_COUNTERS,
      confirmed: 0,
      downstreamTotal: stored.downstreamTotal,
      ...(stored.verifiedMissing !== undefined ? { verifiedMissing: stored.verifiedMissing, missedByPaging: stored.missedByPaging } : {}),
      ...(skipped > 0 ? { skippedUnchanged: skipped } : {}),
    };
    counters.fetched += skipped;
    counters.unchanged += skipped;
    for (const { result, decision, n } of rows) {
      counters.fetched += result === "UNASSIGN" ? 0 : n;
      if (result) counters[RESULT_KEYS[result]] += n;
      if (decision === "APPLIED") counters.applied += n;
      if (decision === "ERROR") counters.errors += n;
      const auto = applying && decision === "PENDING" && result !== null && autoConfirmed(result, inbound);
      if (decision === "CONFIRMED" || auto) counters.confirmed = (counters.confirmed ?? 0) + n;
      else if (decision === "PENDING") counters.pending += n;
    }
    return counters;
  }
}

const RESULT_KEYS: Record<ImportResult, keyof ImportCounters & string> = {
  EXACT: "exact",
  PARTIAL: "partial",
  NEW: "new",
  CONFLICT: "conflicts",
  UNCHANGED: "unchanged",
  IGNORED: "ignored",
  UNASSIGN: "toUnassign",
  UPDATED: "updated",
  DEACTIVATED: "deactivated",
  REACTIVATED: "reactivated",
};

export { EMPTY_COUNTERS };
