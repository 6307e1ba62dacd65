import { sql } from "drizzle-orm";
import type { ProfileRules } from "../assignments/effective-profile";
import { appUserEvents } from "../audit/events";
import { background, logEvent, originOf, writeLog, type AuditContext } from "../audit/system-log";
import { batchAll, runBatch, type DB } from "../db/client";
import { getApp } from "../db/queries/apps";
import { appUsersChunk } from "../db/queries/app-users";
import { getAppGroup } from "../db/queries/app-groups";
import { compileFastAdd, type FastAdd } from "../db/queries/fan-out-sql";
import { listGroupMembers } from "../db/queries/groups";
import { markSyncing, unprovisionedChunk } from "../db/queries/provisioning";
import type { AppGroupRow, AppRow } from "../db/schema";
import { tableRows } from "../db/table-rows";
import { users as usersTable } from "../db/schema";
import { uuidV7Prefix } from "../domain/ids";
import type { ProvisioningMode } from "../provisioning/capabilities";
import type { ProvisioningSettings } from "../provisioning/settings";
import { decideAssignments, decisionStatements, loadAssignmentsOf, loadRules, reconcileChunk, type ChunkOutcome } from "./assignment-store";
import { JobStore, progressOf, type FanOutJob } from "./fan-out-jobs";
import type { ProvisioningStore } from "./provisioning-store";
import type { TaskOrigins } from "./task-origins";

/** Members per chunk run inline by the request that starts a job (a small group is done when it returns). */
export const FIRST_CHUNK = 1_000;
/** Members per chunk on the fast path (INSERT ... SELECT in D1; tens of milliseconds per chunk). */
export const FAST_CHUNK = 2_500;
/** Users per chunk whose assignments the rules decide in the Worker (the JavaScript path). */
export const RULES_CHUNK = 1_000;
/** D1 queries one chunk may issue (the alarm starts a chunk only while its invocation can afford this). */
export const CHUNK_QUERIES = 16;

interface Deps {
  db: DB;
  env: Env;
  jobs: JobStore;
  store: ProvisioningStore;
  origins: TaskOrigins;
  appId: () => Promise<string | undefined>;
  settings: () => Promise<ProvisioningSettings>;
}

/**
 * Work on many assignments at once, a chunk at a time (group assigned or unassigned, mapping or
 * schema changed, group deleted, Provision Users). Jobs and cursors live in the coordinator's
 * storage (JobStore); every chunk is idempotent, so one re-run after a failure or an eviction
 * changes nothing twice. Runs inside the coordinator's critical section.
 */
export class FanOut {
  constructor(private readonly deps: Deps) {}

  /** Queues a job and runs its first chunk now. */
  async start(job: Omit<FanOutJob, "id" | "cursor" | "done" | "startedAt" | "updatedAt">, audit?: AuditContext): Promise<void> {
    // Its events are the job's (the system's), carrying the id of the request that started it.
    const origin = originOf(audit);
    await this.deps.jobs.enqueue({ ...job, ...(origin ? { origin } : {}) });
    await this.runChunk(FIRST_CHUNK);
  }

  async pending(): Promise<boolean> {
    return (await this.deps.jobs.list()).length > 0;
  }

  async progress(): Promise<ReturnType<typeof progressOf>[]> {
    return (await this.deps.jobs.list()).map((job) => progressOf(job));
  }

  /** Runs one chunk of the oldest job; a finished job is dropped and its deactivations settled. */
  async runChunk(size = FAST_CHUNK): Promise<void> {
    const jobs = await this.deps.jobs.list();
    const job = jobs[0];
    const appId = await this.deps.appId();
    if (!job || !appId) return;
    const finished = await this.#chunk(appId, job, size);
    if (finished) {
      jobs.shift();
      await this.#settleDeactivations(appId, job);
    }
    await this.deps.jobs.save(jobs);
  }

  /** Processes the chunk after the job's cursor; true when the job is done. */
  async #chunk(appId: string, job: FanOutJob, size: number): Promise<boolean> {
    const { db } = this.deps;
    const app = await getApp(db, appId);
    if (!app) return true;
    if (job.kind === "provision") return this.#provisionChunk(appId, job, Math.min(size, RULES_CHUNK));
    const [rules, { mode }] = await Promise.all([loadRules(db, appId), this.deps.settings()]);
    const audit = background(job.origin, job.id);
    const cause = { reason: job.reason, ...(job.groupId ? { groupId: job.groupId } : {}) };
    const now = new Date();
    let outcome: ChunkOutcome & { members: number; last: string | undefined; finished: boolean };
    if (job.kind === "group-members") {
      const grant = await getAppGroup(db, appId, job.groupId!);
      const fast = grant && !job.dropAttributes?.length ? this.#fastAdd(app, rules, mode, grant) : undefined;
      outcome = fast
        ? await this.#membersFast(app, rules, mode, job, fast, size, now, { cause, audit })
        : await this.#membersByRules(app, rules, mode, job, Math.min(size, RULES_CHUNK), now, { cause, audit });
    } else {
      const rows = await appUsersChunk(db, appId, job.cursor, Math.min(size, RULES_CHUNK), job.scope);
      const users = rows.map((row) => row.user);
      const result = await reconcileChunk(db, app, rules, mode, users, now, { dropAttributes: job.dropAttributes, cause, audit });
      outcome = { ...result, members: users.length, last: users.at(-1)?.id, finished: users.length < Math.min(size, RULES_CHUNK) };
    }
    this.#queueOutbound(job, mode, outcome);
    advance(job, outcome.members, outcome.last);
    return outcome.finished;
  }

  /** The fast path for this app and group, when its mapping and username template compile to SQL. */
  #fastAdd(app: AppRow, rules: ProfileRules, mode: ProvisioningMode, grant: AppGroupRow): FastAdd | undefined {
    const provisioned = mode.enabled && mode.create;
    return compileFastAdd({
      appId: app.id,
      groupId: grant.groupId,
      mapping: rules.mapping,
      // What baselineProfile takes from the top group (its SELF attributes excluded), nulls kept: they remove defaults.
      groupProfile: Object.fromEntries(Object.entries(grant.profile).filter(([key]) => !rules.personal.has(key))),
      userNameTemplate: (app.credentials as { userNameTemplate?: { template?: string; type?: string } }).userNameTemplate,
      status: provisioned ? "STAGED" : "ACTIVE",
      syncState: provisioned ? "SYNCING" : "DISABLED",
    });
  }

  /**
   * A chunk of up to `size` members: those the fast path covers are written by two INSERT ...
   * SELECT statements; the others (at most RULES_CHUNK of them, or the chunk ends earlier) are
   * decided by the rules. Everything lands in one batch.
   */
  async #membersFast(
    app: AppRow,
    rules: ProfileRules,
    mode: ProvisioningMode,
    job: FanOutJob,
    fast: FastAdd,
    size: number,
    now: Date,
    options: { cause: { reason: string; groupId?: string }; audit: AuditContext },
  ) {
    const { db } = this.deps;
    const groupId = job.groupId!;
    const after = job.cursor ?? "";
    const ids = (
      await db.all<{ user_id: string }>(
        sql`SELECT user_id FROM group_members WHERE group_id = ${groupId} AND user_id > ${after} ORDER BY user_id LIMIT ${size}`,
      )
    ).map((row) => row.user_id);
    if (ids.length === 0) return { changed: [], removed: [], members: 0, last: undefined, finished: true };
    let upTo = ids[ids.length - 1];
    let finished = ids.length < size;
    let others = await tableRows(
      db,
      usersTable,
      db
        .select()
        .from(usersTable)
        .where(
          sql`${usersTable.id} IN (SELECT gm.user_id FROM group_members gm JOIN users u ON u.id = gm.user_id
          WHERE gm.group_id = ${groupId} AND gm.user_id > ${after} AND gm.user_id <= ${upTo} AND NOT (${fast.eligible}))`,
        )
        .orderBy(usersTable.id)
        .limit(RULES_CHUNK + 1),
    );
    // More members than the rules should decide at once: the chunk ends at the last of them.
    if (others.length > RULES_CHUNK) {
      others = others.slice(0, RULES_CHUNK);
      upTo = others[others.length - 1].id;
      finished = false;
    }
    const members = ids.indexOf(upTo) + 1;
    const decision = decideAssignments(
      app,
      rules,
      mode,
      others,
      await loadAssignmentsOf(
        db,
        app.id,
        others.map((u) => u.id),
      ),
      now,
      options,
    );
    const range = { groupId, after, upTo };
    const event = logEvent(
      appUserEvents(
        {
          app,
          user: { id: "", login: "", firstName: null, lastName: null },
          before: undefined,
          after: sampleRow(app.id),
          grantGroupId: groupId,
        },
        options.cause,
        options.audit,
      )[0],
      now,
    );
    const provisioning = mode.enabled;
    // Events first: both statements select the members who have no assignment yet.
    const results = await runBatch(db, [
      fast.insertEvents(range, event, uuidV7Prefix(now.getTime())),
      fast.insertAppUsers(range, now.getTime(), provisioning),
      ...decisionStatements(db, app.id, decision, now),
    ]);
    const added = provisioning ? (results[1].results as { user_id: string }[]).map((row) => row.user_id) : [];
    return { changed: [...added, ...decision.changed], removed: decision.removed, members, last: upTo, finished };
  }

  /** A chunk of members decided by the rules in the Worker (group unassigned, or expressions SQL cannot evaluate the same way). */
  async #membersByRules(
    app: AppRow,
    rules: ProfileRules,
    mode: ProvisioningMode,
    job: FanOutJob,
    size: number,
    now: Date,
    options: { cause: { reason: string; groupId?: string }; audit: AuditContext },
  ) {
    const users = (await listGroupMembers(this.deps.db, job.groupId!, job.cursor ?? undefined, size)).slice(0, size);
    const result = await reconcileChunk(this.deps.db, app, rules, mode, users, now, {
      memberOf: job.groupId,
      dropAttributes: job.dropAttributes,
      ...options,
    });
    return { ...result, members: users.length, last: users.at(-1)?.id, finished: users.length < size };
  }

  /**
   * Changed assignments go downstream. Deactivations wait until the job has counted them all, so
   * that a change deactivating more accounts than the threshold is held before any of them runs.
   */
  #queueOutbound(job: FanOutJob, mode: ProvisioningMode, outcome: ChunkOutcome): void {
    if (!mode.enabled) return;
    const { store, origins } = this.deps;
    const deactivating = new Set(mode.deactivate ? outcome.removed.filter((userId) => store.getLink(userId)?.active) : []);
    for (const userId of outcome.changed) {
      store.enqueue(`user:${userId}`, deactivating.has(userId) ? { waitFor: job.id } : {});
      origins.note(`user:${userId}`, job.origin);
    }
  }

  async #provisionChunk(appId: string, job: FanOutJob, size: number): Promise<boolean> {
    const { db, store, origins } = this.deps;
    const rows = await unprovisionedChunk(db, appId, job.cursor, size);
    const now = new Date();
    const waiting = rows.filter((row) => !store.bySubject(`user:${row.userId}`));
    // One statement for the chunk: the ids go as one JSON parameter.
    await batchAll(
      db,
      markSyncing(
        appId,
        waiting.map((row) => row.userId),
        now,
      ),
    );
    for (const row of waiting) {
      store.enqueue(`user:${row.userId}`);
      origins.note(`user:${row.userId}`, job.origin);
    }
    advance(job, rows.length, rows.at(-1)?.userId);
    return rows.length < size;
  }

  /** A finished job's deactivations go ahead, or are held when there are more than the threshold. */
  async #settleDeactivations(appId: string, job: FanOutJob): Promise<void> {
    const threshold = deactivationThreshold(this.deps.env);
    const hold = this.deps.store.settle(job.id, threshold, job.reason);
    if (!hold) return;
    console.log(JSON.stringify({ event: "provisioning.deactivations_held", appId, holdId: hold.id, count: hold.count, threshold }));
    await writeLog(this.deps.db, [
      {
        eventType: "system.provisioning.deactivations.hold",
        severity: "WARN",
        displayMessage: `${hold.count} downstream deactivations held for review: more than the threshold of ${threshold} (${job.reason})`,
        outcome: { result: "DENY", reason: "deactivation threshold exceeded" },
        target: [{ id: appId, type: "AppInstance" }],
        details: { holdId: hold.id, count: hold.count, threshold, groupId: job.groupId ?? null },
      },
    ]);
  }
}

function advance(job: FanOutJob, count: number, last: string | undefined): void {
  if (last !== undefined) job.cursor = last;
  job.done += count;
  job.total = Math.max(job.total, job.done);
  job.updatedAt = Date.now();
}

/** A GROUP-scoped row to build the fast path's event from (its per-member parts are replaced in SQL). */
function sampleRow(appId: string) {
  const at = new Date(0);
  return {
    appId,
    userId: "",
    scope: "GROUP" as const,
    status: "ACTIVE" as const,
    syncState: "DISABLED" as const,
    externalId: null,
    userName: null,
    profile: {},
    overrides: {},
    created: at,
    lastUpdated: at,
    statusChanged: at,
    passwordChanged: null,
    lastSync: null,
  };
}

/** DEACTIVATION_THRESHOLD: most accounts one change may deactivate before it is held (default 500). */
export function deactivationThreshold(env: Env): number {
  const value = Number(env.DEACTIVATION_THRESHOLD);
  return env.DEACTIVATION_THRESHOLD !== undefined && env.DEACTIVATION_THRESHOLD !== "" && Number.isFinite(value) && value >= 0
    ? value
    : 500;
}
