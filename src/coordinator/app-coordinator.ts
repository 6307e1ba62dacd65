import { DurableObject } from "cloudflare:workers";
import {
  planAssign,
  planUnassign,
  planUpdate,
  reconcile,
  requireApp,
  type AppUserDraft,
  type AssignInput,
  type AssignmentContext,
  type UpdateInput,
} from "../assignments/app-user-rules";
import type { GroupAssignmentChange, JsonPatchOperation } from "../assignments/group-assignment-patch";
import { topGroup } from "../assignments/effective-profile";
import { createDb, type DB } from "../db/client";
import type { AppGroupRow, AppUserRow, ImportSessionRow } from "../db/schema";
import { getApp } from "../db/queries/apps";
import { countAppUsers, deleteAppUser, upsertAppUser } from "../db/queries/app-users";
import { usersByIds } from "../db/queries/bulk-lookups";
import { getProvisioning } from "../db/queries/provisioning";
import { DomainError, toResult, type Result } from "../domain/errors";
import { downstreamAccess } from "../provisioning/downstream-url";
import { settingsFrom, type ProvisioningSettings } from "../provisioning/settings";
import { background, logStatements, originOf, writeLog, type AuditContext } from "../audit/system-log";
import { appUserEvents, type AssignmentCause, type AppUserChange } from "../audit/events";
import { batchAll } from "../db/client";
import { decideAssignments, decisionStatements, loadAssignmentsOf, loadOne, loadRules, toRow } from "./assignment-store";
import { FanOut, CHUNK_QUERIES } from "./fan-out";
import { JobStore, progressOf } from "./fan-out-jobs";
import { FollowUps, FOLLOW_UP_QUERIES } from "./follow-ups";
import { groupDeleted, assignGroup, unassignGroup } from "./group-assignments";
import { ImportStore } from "./import-store";
import { cancelImport, confirmImport, resumeImport, sessionKeys, startImport, type StartRequest } from "./imports/control";
import { ImportRunner, IMPORT_STEP_QUERIES } from "./imports/runner";
import type { ImportDeps } from "./imports/session";
import { currentInvocation, InvocationMeter, meteredD1, yieldToOthers, type Invocation } from "./invocation-budget";
import { CASCADE_CHUNK, deleteAppWithCascades } from "../services/deletion-cascades";
import { ProvisioningRunner, type RunReport } from "./provisioning-runner";
import { ProvisioningStore, type DeactivationHold, type TaskRow, type TaskStatus } from "./provisioning-store";
import { SerialQueue } from "./serial-queue";
import { TaskOrigins } from "./task-origins";

export type UnassignOutcome = { removed: true } | { removed: false; retainedBy: "GROUP"; appUser: AppUserRow };

/** How long one alarm invocation may keep draining outbound tasks (its D1 budget usually ends it first). */
const DRAIN_BUDGET_MS = 20_000;
/** D1 queries one chunk of an app's deletion may take (read, delete, its events). */
const CASCADE_CHUNK_QUERIES = 8;
/** A failed step of the alarm is tried again after this long rather than in a tight loop. */
const RETRY_FAILED_STEP_MS = 5_000;

/**
 * One per app (addressed by app id): the critical section of that app's assignments. Every
 * change runs inside one FIFO queue and writes D1 in one batch; outbound provisioning work is
 * queued in the object's own SQLite storage in the same critical section and drained by its
 * alarm, which also continues fan-outs (fan-out.ts), import sessions (imports/) and the
 * follow-ups of imports (follow-ups.ts), a bounded unit at a time. Every invocation (each RPC
 * call, each alarm) counts its D1 queries and stays within QUERY_BUDGET
 * (invocation-budget.ts). Reads never come here: they go to D1.
 */
export class AppCoordinator extends DurableObject<Env> {
  #queue = new SerialQueue();
  #meter = new InvocationMeter();
  #db: DB;
  #jobs: JobStore;
  #store: ProvisioningStore;
  #origins: TaskOrigins;
  #importStore: ImportStore;
  #fanOut: FanOut;
  #runner: ProvisioningRunner;
  #imports: ImportRunner;
  #followUps: FollowUps;
  #settings: Promise<ProvisioningSettings> | undefined;
  /** False once deleteApp ran: work already under way stops claiming and recording. */
  #active = true;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = createDb(meteredD1(env.DB));
    this.#jobs = new JobStore(ctx.storage);
    this.#store = new ProvisioningStore(ctx.storage.sql);
    this.#origins = new TaskOrigins(ctx.storage.sql);
    this.#importStore = new ImportStore(ctx.storage);
    const appId = () => ctx.storage.get<string>("appId");
    const settings = () => this.#provisioning();
    this.#runner = new ProvisioningRunner({
      db: this.#db,
      env,
      store: this.#store,
      queue: this.#queue,
      appId,
      settings,
      origin: (subject) => this.#origins.of(subject),
      active: () => this.#active,
    });
    this.#fanOut = new FanOut({ db: this.#db, env, jobs: this.#jobs, store: this.#store, origins: this.#origins, appId, settings });
    const importDeps: ImportDeps = {
      db: this.#db,
      credentialsKey: env.CREDENTIALS_KEY,
      access: downstreamAccess(env.DOWNSTREAM_ACCESS),
      queue: this.#queue,
      store: this.#store,
      imports: this.#importStore,
      settings,
      auditFor: async (sessionId) => background(await ctx.storage.get(sessionKeys.origin(sessionId)), sessionId),
    };
    this.#imports = new ImportRunner(
      importDeps,
      { queueOutbound: (changes, audit) => this.#queueImportOutbound(changes, audit) },
      {
        activate: async (sessionId) => (await ctx.storage.get<boolean>(sessionKeys.activate(sessionId))) === true,
        finished: (sessionId) => ctx.storage.delete([sessionKeys.activate(sessionId), sessionKeys.origin(sessionId)]).then(() => undefined),
      },
    );
    this.#followUps = new FollowUps({
      db: this.#db,
      imports: this.#importStore,
      appId,
      reconcileElsewhere: async (otherAppId, userIds, audit, cause) => {
        const result = await env.APP_COORDINATOR.getByName(otherAppId).reconcileUsers(otherAppId, userIds, audit, cause);
        if (!result.ok) throw new Error(result.error.summary);
      },
    });
  }

  // ---- direct assignments -------------------------------------------------------------------

  // Each change takes the audit context of the request behind it (src/http/audit.ts), so its
  // System Log events carry that request's actor, client and X-Okta-Request-Id.

  assignUser(appId: string, input: AssignInput, audit?: AuditContext): Promise<Result<AppUserRow>> {
    return this.#serialized("assignUser", appId, async () => {
      const ctx = await this.#context(appId, input.id);
      const plan = planAssign(ctx, input);
      return plan.changed ? this.#save(plan.draft, ctx.existing, { ...ctx, cause: { reason: "direct assignment" }, audit }) : ctx.existing!;
    });
  }

  updateUser(appId: string, userId: string, input: UpdateInput, audit?: AuditContext): Promise<Result<AppUserRow>> {
    return this.#serialized("updateUser", appId, async () => {
      const ctx = await this.#context(appId, userId);
      const plan = planUpdate(ctx, input);
      return plan.changed ? this.#save(plan.draft, ctx.existing, { ...ctx, cause: { reason: "app user updated" }, audit }) : ctx.existing!;
    });
  }

  unassignUser(appId: string, userId: string, audit?: AuditContext): Promise<Result<UnassignOutcome>> {
    return this.#serialized("unassignUser", appId, async () => {
      const ctx = await this.#context(appId, userId);
      const outcome = planUnassign(ctx);
      const why = { ...ctx, cause: { reason: "direct unassignment" }, audit };
      if (outcome.kind === "delete") {
        await this.#remove(userId, ctx.existing, why);
        return { removed: true } as const;
      }
      const appUser = await this.#save(outcome.plan.draft, ctx.existing, why);
      return { removed: false, retainedBy: "GROUP", appUser } as const;
    });
  }

  /**
   * Something about one user changed (a membership, their profile or status): create, update
   * or remove their assignment here to match. Writes nothing when nothing changed. `cause`
   * says what changed, for the System Log.
   */
  reconcileUser(appId: string, userId: string, audit?: AuditContext, cause?: AssignmentCause): Promise<Result<null>> {
    return this.#serialized("reconcileUser", appId, () => this.#reconcileHere(userId, audit, cause));
  }

  /**
   * reconcileUser for many users at once (up to a few hundred: another app's import changed
   * them): the same rules, one batch, a handful of queries whatever their number.
   */
  reconcileUsers(appId: string, userIds: string[], audit?: AuditContext, cause?: AssignmentCause): Promise<Result<null>> {
    return this.#serialized("reconcileUsers", appId, async () => {
      const db = this.#db;
      const [app, users, rules, { mode }] = await Promise.all([
        getApp(db, appId),
        usersByIds(db, userIds),
        loadRules(db, appId),
        this.#provisioning(),
      ]);
      if (!app) return null;
      const present = [...users.values()];
      const loaded = await loadAssignmentsOf(
        db,
        appId,
        present.map((user) => user.id),
      );
      const now = new Date();
      const decision = decideAssignments(app, rules, mode, present, loaded, now, { cause, audit });
      // Assignments of users deleted meanwhile go too.
      const gone = userIds.filter((id) => !users.has(id) && loaded.existing.has(id));
      await batchAll(
        db,
        decisionStatements(
          db,
          appId,
          { ...decision, removed: [...decision.removed, ...gone], changed: [...decision.changed, ...gone] },
          now,
        ),
      );
      const kept = present.filter((user) => loaded.existing.has(user.id) && !decision.changed.includes(user.id)).map((user) => user.id);
      await this.#queueOutbound(
        { changed: decision.upserts.map((row) => row.userId), removed: [...decision.removed, ...gone], profileOnly: kept },
        audit,
      );
      return null;
    });
  }

  /** reconcileUser's body, for callers already inside the critical section. */
  async #reconcileHere(userId: string, audit?: AuditContext, cause: AssignmentCause = { reason: "reconcile" }): Promise<null> {
    const appId = (await this.ctx.storage.get<string>("appId"))!;
    const { app, user, existing, grants, rules } = await loadOne(this.#db, appId, userId);
    if (!app || !user) {
      const gone = { id: userId, login: existing?.userName ?? userId, firstName: null, lastName: null };
      if (existing)
        await this.#remove(userId, existing, { app: app ?? { id: appId, label: appId }, user: user ?? gone, grants, cause, audit });
      return null;
    }
    const { mode } = await this.#provisioning();
    const decision = reconcile({ app, user, existing, grants, rules, provisioning: mode, now: new Date() });
    const why = { app, user, grants, cause, audit };
    if (decision.kind === "upsert") await this.#save(decision.draft, existing, why);
    if (decision.kind === "delete") await this.#remove(userId, existing, why);
    if (decision.kind === "none" && existing) await this.#queueOutbound({ changed: [], removed: [], profileOnly: [userId] }, audit);
    return null;
  }

  /** The user's Okta password changed: push it where Sync Password pushes changes (sealed in transit). */
  passwordChanged(appId: string, userId: string, passwordBox: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized("passwordChanged", appId, async () => {
      const { mode } = await this.#provisioning();
      if (mode.pushPasswordChanges && mode.passwordSeed === "OKTA" && this.#store.getLink(userId)?.active) {
        this.#origins.note(`user:${userId}`, originOf(audit));
        this.#store.enqueue(`user:${userId}`, { passwordBox });
      }
      return null;
    });
  }

  // ---- group assignments and other work on many assignments ---------------------------------

  assignGroup(
    appId: string,
    groupId: string,
    change: GroupAssignmentChange | { patch: JsonPatchOperation[] },
    audit?: AuditContext,
  ): Promise<Result<AppGroupRow>> {
    return this.#serialized("assignGroup", appId, () => assignGroup(this.#db, this.#fanOut, appId, groupId, change, audit));
  }

  unassignGroup(appId: string, groupId: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized("unassignGroup", appId, () => unassignGroup(this.#db, this.#fanOut, appId, groupId, audit));
  }

  groupDeleted(appId: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized("groupDeleted", appId, () => groupDeleted(this.#db, this.#fanOut, appId, audit));
  }

  /**
   * Re-evaluates every assignment of the app (its mapping or app-user schema changed);
   * `dropAttributes` are attributes removed from the schema, whose per-user values go too.
   */
  reconcileAll(appId: string, reason: string, dropAttributes: string[] = [], audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized("reconcileAll", appId, async () => {
      await this.#fanOut.start({ kind: "app-users", reason, dropAttributes, total: await countAppUsers(this.#db, appId) }, audit);
      return null;
    });
  }

  /** Fan-out jobs still running or queued, with progress. */
  operations(): Promise<ReturnType<typeof progressOf>[]> {
    return this.#meter.run("operations", () => this.#fanOut.progress());
  }

  /** How much this object's invocations have spent: the most D1 queries and the longest run of any one. */
  async invocationStats() {
    return { ...this.#meter.stats(), outbox: this.#importStore.outboxSize() };
  }

  /**
   * Deletes the app with its assignments, group assignments and push mappings, each removal
   * logged (deletion-cascades.ts; Okta deletes only inactive apps: the route checks). Large apps
   * take several calls: each removes chunks of assignments while its invocation's D1 budget
   * lasts and says whether the app is gone (`done`); the caller calls again until it is. Once
   * gone, outbound work already under way stops: nothing more is claimed, and runs whose
   * downstream call is in flight record nothing when it answers.
   */
  deleteApp(appId: string, audit?: AuditContext): Promise<Result<{ done: boolean }>> {
    return this.#serialized("deleteApp", appId, async () => {
      const app = await getApp(this.#db, appId);
      const invocation = currentInvocation();
      const mayContinue = () => invocation?.affords(CASCADE_CHUNK_QUERIES) ?? true;
      const done = app ? (await deleteAppWithCascades(this.#db, app, audit, CASCADE_CHUNK, mayContinue)).done : true;
      if (!done) return { done };
      this.#active = false;
      await this.#jobs.clear();
      this.#store.clear();
      this.#origins.clear();
      this.#importStore.clear();
      await this.ctx.storage.deleteAlarm();
      return { done };
    });
  }

  // ---- provisioning -------------------------------------------------------------------------

  /** The connection or capabilities changed: reload them and run what became due. */
  provisioningChanged(appId: string): Promise<Result<null>> {
    return this.#serialized("provisioningChanged", appId, async () => {
      this.#settings = undefined;
      this.#runner.reset();
      return null;
    });
  }

  /** Provision Users: queues every assignment that has no downstream account yet. */
  provisionUsers(appId: string, audit?: AuditContext): Promise<Result<ReturnType<typeof progressOf>>> {
    return this.#serialized("provisionUsers", appId, async () => {
      const { mode } = await this.#provisioning();
      if (!mode.enabled || !mode.create) {
        throw DomainError.validation(
          "feature",
          "Provision Users needs an enabled connection and Create Users (create.lifecycleCreate) enabled.",
        );
      }
      await this.#fanOut.start({ kind: "provision", reason: "provision users", total: await countAppUsers(this.#db, appId) }, audit);
      const [job] = (await this.#fanOut.progress()).filter((j) => j.kind === "provision");
      const now = new Date().toISOString();
      return (
        job ?? {
          id: "done",
          kind: "provision" as const,
          groupId: null,
          reason: "provision users",
          status: "RUNNING",
          done: 0,
          total: 0,
          ratePerSecond: 0,
          etaSeconds: null,
          started: now,
          lastUpdated: now,
        }
      );
    });
  }

  /** Provision on demand: runs the user's pending (or a fresh) sync now and returns its trace. */
  syncUserNow(appId: string, userId: string, audit?: AuditContext): Promise<Result<RunReport>> {
    return this.#meter.run("syncUserNow", async () => {
      const claimed = await this.#serialized("syncUserNow", appId, async () => {
        const settings = await this.#provisioning();
        if (!settings.connection) throw DomainError.validation("feature", "Provisioning is not enabled for the app instance.");
        if (!this.#store.bySubject(`user:${userId}`)) this.#store.enqueue(`user:${userId}`);
        const task = this.#store.claimSubject(`user:${userId}`);
        if (!task) throw DomainError.validation("sync", "A run for this user is already in progress; try again shortly.");
        return { task, settings };
      });
      if (!claimed.ok) return claimed;
      const report = await this.#runner.run(claimed.value.task, claimed.value.settings, audit);
      await this.#queue.run(() => this.#schedule());
      return { ok: true as const, value: report };
    });
  }

  async tasks(status?: TaskStatus): Promise<TaskRow[]> {
    return this.#store.list(status);
  }

  /** The outbound queue's safety state: circuit breaker and held deactivations. */
  async outboundSafety() {
    return { breaker: this.#runner.breakerStatus(), holds: this.#store.holds() };
  }

  resetBreaker(appId: string): Promise<Result<null>> {
    return this.#serialized("resetBreaker", appId, async () => {
      await this.#runner.resetBreaker();
      return null;
    });
  }

  resolveDeactivationHold(appId: string, holdId: string, decision: "release" | "discard"): Promise<Result<DeactivationHold>> {
    return this.#serialized("resolveDeactivationHold", appId, async () => {
      const hold = this.#store.resolveHold(holdId, decision);
      if (!hold) throw DomainError.notFound(holdId, "DeactivationHold");
      await writeLog(this.#db, [
        {
          eventType: decision === "release" ? "system.provisioning.deactivations.release" : "system.provisioning.deactivations.discard",
          displayMessage:
            decision === "release"
              ? `${hold.count} held downstream deactivations released by an administrator`
              : `${hold.count} held downstream deactivations discarded by an administrator; those accounts stay active downstream`,
          target: [{ id: appId, type: "AppInstance" }],
          details: { holdId, count: hold.count },
        },
      ]);
      return hold;
    });
  }

  retryTask(appId: string, taskId: string, audit?: AuditContext): Promise<Result<TaskRow>> {
    return this.#serialized("retryTask", appId, async () => {
      const task = this.#store.retry(taskId);
      if (!task) throw DomainError.notFound(taskId, "ProvisioningTask");
      this.#origins.note(task.subject, originOf(audit));
      return task;
    });
  }

  /** A Group Push mapping was created, activated or its source group's members changed. */
  pushMappingChanged(appId: string, mappingId: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized("pushMappingChanged", appId, async () => {
      this.#origins.note(`group:${mappingId}`, originOf(audit));
      this.#store.enqueue(`group:${mappingId}`);
      return null;
    });
  }

  /** A push mapping was deleted: forget what it pushed, and delete the downstream group if asked. */
  pushMappingDeleted(
    appId: string,
    mappingId: string,
    targetGroupId: string | null,
    deleteTargetGroup: boolean,
    audit?: AuditContext,
  ): Promise<Result<null>> {
    return this.#serialized("pushMappingDeleted", appId, async () => {
      this.#store.forgetMapping(mappingId);
      if (deleteTargetGroup && targetGroupId) {
        this.#origins.note(`group-delete:${targetGroupId}`, originOf(audit));
        this.#store.enqueue(`group-delete:${targetGroupId}`);
      }
      return null;
    });
  }

  // ---- imports ("To Okta") ------------------------------------------------------------------

  startImport(appId: string, request: StartRequest, audit?: AuditContext): Promise<Result<ImportSessionRow>> {
    return this.#serialized("startImport", appId, async () => {
      const settings = await this.#provisioning();
      if (!settings.connection) throw DomainError.validation("feature", "Provisioning is not enabled for the app instance.");
      const session = await startImport(this.#importControl(), appId, request, audit);
      await this.ctx.storage.setAlarm(Date.now());
      return session;
    });
  }

  confirmImport(
    appId: string,
    sessionId: string,
    request: { seqs: number[] | "all"; activate: boolean },
    audit?: AuditContext,
  ): Promise<Result<ImportSessionRow>> {
    return this.#serialized("confirmImport", appId, async () => {
      const session = await confirmImport(this.#importControl(), appId, sessionId, request, audit);
      await this.ctx.storage.setAlarm(Date.now());
      return session;
    });
  }

  cancelImport(appId: string, sessionId: string, audit?: AuditContext): Promise<Result<ImportSessionRow>> {
    return this.#serialized("cancelImport", appId, () => cancelImport(this.#importControl(), appId, sessionId, audit));
  }

  resumeImport(appId: string, sessionId: string, audit?: AuditContext): Promise<Result<ImportSessionRow>> {
    return this.#serialized("resumeImport", appId, async () => {
      const session = await resumeImport(this.#importControl(), appId, sessionId, audit);
      await this.ctx.storage.setAlarm(Date.now());
      return session;
    });
  }

  /** Another app's roadblock was lifted: look at a waiting session now. */
  wakeImports(appId: string): Promise<Result<null>> {
    return this.#serialized("wakeImports", appId, async () => {
      await this.ctx.storage.setAlarm(Date.now());
      return null;
    });
  }

  #importControl() {
    return { db: this.#db, storage: this.ctx.storage, runner: this.#imports };
  }

  // ---- alarm: fan-out chunks, import steps, follow-ups and outbound tasks -------------------

  /**
   * Takes turns between the kinds of background work, a bounded unit each (a fan-out chunk, an
   * import step, a chunk of follow-ups), yielding the isolate between units, for as long as the
   * invocation's D1 budget and time allow; then drains outbound tasks within what is left and
   * sets the alarm again for whatever remains. Each kind is isolated: one failing does not stop
   * the others.
   */
  async alarm(): Promise<void> {
    await this.#meter.run("alarm", async (invocation) => {
      const appId = await this.ctx.storage.get<string>("appId");
      if (!appId || !this.#active) return;
      let failedAt: number | undefined;
      let importDue: number | undefined;
      for (;;) {
        let worked = false;
        if ((await this.#fanOut.pending()) && invocation.affords(CHUNK_QUERIES)) {
          const ok = await this.#guard("fan-out", () => this.#queue.run(() => this.#fanOut.runChunk()).then(() => true));
          if (ok) worked = true;
          else failedAt = Date.now();
        }
        if (invocation.affords(IMPORT_STEP_QUERIES)) {
          const step = await this.#guard("import", () => this.#imports.stepOnce(appId));
          importDue = step?.due;
          if (step?.worked) worked = true;
          if (step === undefined) failedAt = Date.now();
        }
        if (this.#followUps.due() && invocation.affords(FOLLOW_UP_QUERIES)) {
          const more = await this.#guard("follow-ups", () => this.#followUps.drainChunk());
          if (more !== undefined) worked = true;
        }
        if (!worked || !invocation.affords(Math.min(CHUNK_QUERIES, IMPORT_STEP_QUERIES, FOLLOW_UP_QUERIES))) break;
        await yieldToOthers();
      }
      await this.#guard("outbound", () => this.#runner.drain(Date.now() + DRAIN_BUDGET_MS, invocation));
      await this.#queue.run(() =>
        this.#schedule(importDue, failedAt === undefined ? undefined : failedAt + RETRY_FAILED_STEP_MS, invocation),
      );
    });
  }

  async #guard<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      console.error(
        JSON.stringify({
          event: "coordinator.alarm_step_failed",
          step: what,
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
      return undefined;
    }
  }

  /**
   * Sets the alarm for the earliest pending work: a fan-out chunk, an import step or due
   * follow-ups now (or after `retryAt` when a step failed), or the next due outbound task.
   */
  async #schedule(importDue?: number, retryAt?: number, invocation?: Invocation): Promise<void> {
    if (!this.#active) return;
    const now = Date.now();
    const settings = await this.#provisioning();
    const work = (await this.#fanOut.pending()) || this.#followUps.due(now) ? (retryAt ?? now) : undefined;
    const taskDue = settings.connection ? this.#runner.nextRunAt() : undefined;
    const candidates = [work, taskDue, importDue, this.#followUps.nextAt()].filter((t): t is number => t !== undefined);
    if (candidates.length === 0) return;
    const due = Math.max(Math.min(...candidates), now);
    const current = await this.ctx.storage.getAlarm();
    // From inside the alarm the current alarm is the one running: always set the next one.
    if (invocation !== undefined || current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Runs `task` as one invocation inside the critical section, then sets the alarm for what it left to do. */
  #serialized<T>(kind: string, appId: string, task: () => Promise<T>): Promise<Result<T>> {
    return this.#meter.run(kind, () =>
      this.#queue.run(async () => {
        // The object learns its app id on first use; its alarm needs it later.
        if ((await this.ctx.storage.get<string>("appId")) !== appId) await this.ctx.storage.put("appId", appId);
        const result = await toResult(task);
        if (result.ok) await this.#schedule();
        return result;
      }),
    );
  }

  #provisioning(): Promise<ProvisioningSettings> {
    this.#settings ??= this.ctx.storage
      .get<string>("appId")
      .then(async (appId) => settingsFrom(appId ? await getProvisioning(this.#db, appId) : undefined, this.env))
      .catch((error) => {
        this.#settings = undefined;
        throw error;
      });
    return this.#settings;
  }

  async #context(appId: string, userId: string): Promise<AssignmentContext> {
    const [{ app, user, existing, grants, rules }, { mode }] = await Promise.all([loadOne(this.#db, appId, userId), this.#provisioning()]);
    requireApp(app, appId);
    if (!user) throw DomainError.notFound(userId, "User");
    return { app: app!, user, existing, grants, rules, provisioning: mode, now: new Date() };
  }

  /**
   * Writes an assignment and, when the app provisions, queues its downstream sync (with any new
   * password). Its System Log events go in the same batch: recorded exactly when it is.
   */
  async #save(draft: AppUserDraft, existing: AppUserRow | undefined, why: ChangeWhy): Promise<AppUserRow> {
    const row = await toRow(draft, existing, this.env.CREDENTIALS_KEY);
    const events = this.#events(why, existing, row, draft.newPassword !== null);
    await this.#db.batch([upsertAppUser(this.#db, row), ...logStatements(this.#db, events)]);
    const { mode } = await this.#provisioning();
    if (mode.enabled) {
      this.#origins.note(`user:${row.userId}`, originOf(why.audit));
      this.#store.enqueue(`user:${row.userId}`, { passwordBox: draft.newPassword !== null ? row.passwordCiphertext : null });
    }
    return row;
  }

  async #remove(userId: string, existing: AppUserRow | undefined, why: ChangeWhy): Promise<void> {
    const appId = (await this.ctx.storage.get<string>("appId"))!;
    const events = this.#events(why, existing, undefined, false);
    await this.#db.batch([deleteAppUser(this.#db, appId, userId), ...logStatements(this.#db, events)]);
    await this.#queueOutbound({ changed: [], removed: [userId], profileOnly: [] }, why.audit);
  }

  /**
   * Downstream work for changed assignments, when the app provisions: created or changed ones
   * sync; removed ones deactivate (also if provisioning was since turned off, while their
   * account is active); `profileOnly` are assignments that did not change but whose Okta user
   * did (the SCIM user also carries Okta profile values the app profile does not hold: the sync
   * compares what it would push with what it last pushed).
   */
  async #queueOutbound(
    changes: { changed: string[]; removed: string[]; profileOnly: string[] },
    audit: AuditContext | undefined,
  ): Promise<void> {
    const { mode } = await this.#provisioning();
    const enqueue = (userId: string) => {
      this.#origins.note(`user:${userId}`, originOf(audit));
      this.#store.enqueue(`user:${userId}`);
    };
    if (mode.enabled) for (const userId of changes.changed) enqueue(userId);
    for (const userId of changes.removed) if (mode.enabled || this.#store.getLink(userId)?.active) enqueue(userId);
    if (mode.enabled && mode.pushProfile) for (const userId of changes.profileOnly) enqueue(userId);
  }

  /** What an import apply step changed: the same downstream work as any other change. */
  #queueImportOutbound(changes: { changed: string[]; removed: string[]; oktaChanged: string[] }, audit: AuditContext): Promise<void> {
    const touched = new Set([...changes.changed, ...changes.removed]);
    const profileOnly = changes.oktaChanged.filter((userId) => !touched.has(userId) && this.#store.getLink(userId)?.active);
    return this.#queueOutbound({ changed: changes.changed, removed: changes.removed, profileOnly }, audit);
  }

  #events(why: ChangeWhy, before: AppUserRow | undefined, after: AppUserRow | undefined, passwordSet: boolean) {
    const change: AppUserChange = { app: why.app, user: why.user, before, after, passwordSet, grantGroupId: topGroup(why.grants)?.groupId };
    return appUserEvents(change, why.cause, why.audit);
  }
}

/** What a single assignment change needs for its System Log events. */
type ChangeWhy = Pick<AppUserChange, "app" | "user"> & {
  grants: AssignmentContext["grants"];
  cause: AssignmentCause;
  audit: AuditContext | undefined;
};
