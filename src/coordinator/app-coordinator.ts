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
import { applyPatch, type GroupAssignmentChange, type JsonPatchOperation } from "../assignments/group-assignment-patch";
import { placeGroup, priorityMoves, removeGroup } from "../assignments/group-priority";
import { sameJson, topGroup } from "../assignments/effective-profile";
import { batchAll, createDb, type DB } from "../db/client";
import type { AppGroupRow, AppUserRow } from "../db/schema";
import { getApp } from "../db/queries/apps";
import { deleteAppWithCascades } from "../services/deletion-cascades";
import { appIdsForUser, appUsersChunk, countAppUsers, deleteAppUser, upsertAppUser } from "../db/queries/app-users";
import {
  appGroupsByPriority,
  appIdsGrantedByGroups,
  deleteAppGroup,
  getAppGroup,
  setPriorities,
  upsertAppGroup,
} from "../db/queries/app-groups";
import { countMembers, getGroup, listGroupMembers } from "../db/queries/groups";
import { pushMappingForSource } from "../db/queries/group-push";
import { getProvisioning, setProvisioningState, unprovisionedChunk } from "../db/queries/provisioning";
import { DomainError, toResult, type Result } from "../domain/errors";
import { checkProfileValues } from "../mappings/app-user-schema";
import { downstreamAccess } from "../provisioning/downstream-url";
import { settingsFrom, type ProvisioningSettings } from "../provisioning/settings";
import { loadOne, loadRules, reconcileChunk, toRow } from "./assignment-store";
import { CHUNK_SIZE, JobStore, progressOf, type FanOutJob } from "./fan-out-jobs";
import { ProvisioningRunner, type RunReport } from "./provisioning-runner";
import { EMPTY_COUNTERS, ImportRunner, ROADBLOCK_KEY, type Roadblock } from "./import-runner";
import type { ImportSessionRow } from "../db/schema";
import { confirmItems, getOrgSetting, getSession, insertSession, liftRoadblock, openSession, updateSession } from "../db/queries/imports";
import { randomChars } from "../domain/ids";
import { background, logStatements, originOf, writeLog, type AuditContext } from "../audit/system-log";
import { appUserEvents, groupAssignmentEvent, type AssignmentCause, type AppUserChange } from "../audit/events";
import { ProvisioningStore, type DeactivationHold, type TaskRow, type TaskStatus } from "./provisioning-store";
import { SerialQueue } from "./serial-queue";
import { TaskOrigins } from "./task-origins";

export type UnassignOutcome = { removed: true } | { removed: false; retainedBy: "GROUP"; appUser: AppUserRow };

/** How long one alarm invocation keeps draining outbound tasks before it reschedules itself. */
const DRAIN_BUDGET_MS = 20_000;
/** How long one alarm invocation advances an import session. */
const IMPORT_BUDGET_MS = 10_000;
/** How often a session waiting behind another app's roadblock looks again. */
const ROADBLOCK_POLL_MS = 30_000;

/**
 * One per app (addressed by app id). Every change to the app's assignments runs here, inside
 * one FIFO critical section, and writes D1 in one batch; outbound provisioning work is queued
 * in the object's own SQLite storage in the same critical section and drained by its alarm.
 * Reads never come here: they go to D1. Work on many users at once (group fan-out, Provision
 * Users) is chunked into jobs continued by the alarm.
 */
export class AppCoordinator extends DurableObject<Env> {
  #queue = new SerialQueue();
  #db: DB;
  #jobs: JobStore;
  #store: ProvisioningStore;
  #origins: TaskOrigins;
  #runner: ProvisioningRunner;
  #imports: ImportRunner;
  #settings: Promise<ProvisioningSettings> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = createDb(env.DB);
    this.#jobs = new JobStore(ctx.storage);
    this.#store = new ProvisioningStore(ctx.storage.sql);
    this.#origins = new TaskOrigins(ctx.storage.sql);
    this.#runner = new ProvisioningRunner({
      db: this.#db,
      env,
      store: this.#store,
      queue: this.#queue,
      appId: () => ctx.storage.get<string>("appId"),
      settings: () => this.#provisioning(),
      origin: (subject) => this.#origins.of(subject),
    });
    this.#imports = new ImportRunner({
      db: this.#db,
      credentialsKey: env.CREDENTIALS_KEY,
      access: downstreamAccess(env.DOWNSTREAM_ACCESS),
      queue: this.#queue,
      store: this.#store,
      settings: () => this.#provisioning(),
      reconcileHere: async (userId, audit) => void (await this.#reconcileHere(userId, audit, { reason: "import" })),
      notifyOtherApps: (userIds, audit) => this.#notifyOtherApps(userIds, audit),
      auditFor: async (sessionId) => background(await this.ctx.storage.get(`import-origin:${sessionId}`), sessionId),
    });
  }

  // ---- direct assignments -------------------------------------------------------------------

  // Each change takes the audit context of the request behind it (src/http/audit.ts), so its
  // System Log events carry that request's actor, client and X-Okta-Request-Id.

  assignUser(appId: string, input: AssignInput, audit?: AuditContext): Promise<Result<AppUserRow>> {
    return this.#serialized(appId, async () => {
      const ctx = await this.#context(appId, input.id);
      const plan = planAssign(ctx, input);
      return plan.changed ? this.#save(plan.draft, ctx.existing, { ...ctx, cause: { reason: "direct assignment" }, audit }) : ctx.existing!;
    });
  }

  updateUser(appId: string, userId: string, input: UpdateInput, audit?: AuditContext): Promise<Result<AppUserRow>> {
    return this.#serialized(appId, async () => {
      const ctx = await this.#context(appId, userId);
      const plan = planUpdate(ctx, input);
      return plan.changed ? this.#save(plan.draft, ctx.existing, { ...ctx, cause: { reason: "app user updated" }, audit }) : ctx.existing!;
    });
  }

  unassignUser(appId: string, userId: string, audit?: AuditContext): Promise<Result<UnassignOutcome>> {
    return this.#serialized(appId, async () => {
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
    return this.#serialized(appId, () => this.#reconcileHere(userId, audit, cause));
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
    if (decision.kind === "none" && existing && mode.enabled && mode.pushProfile) {
      // The SCIM user also carries Okta profile values the app profile does not hold (name,
      // email): let the sync compare what it would push with what it last pushed.
      this.#store.enqueue(`user:${userId}`);
      await this.#schedule();
    }
    return null;
  }

  /** Users whose Okta status or profile an import changed: their other apps follow. */
  async #notifyOtherApps(userIds: string[], audit?: AuditContext): Promise<void> {
    const self = await this.ctx.storage.get<string>("appId");
    for (const userId of new Set(userIds)) {
      const [assigned, granted] = await Promise.all([appIdsForUser(this.#db, userId), appIdsGrantedByGroups(this.#db, userId)]);
      const others = [...new Set([...assigned, ...granted])].filter((appId) => appId !== self);
      const cause = { reason: "import changed the Okta user" };
      await Promise.all(others.map((appId) => this.env.APP_COORDINATOR.getByName(appId).reconcileUser(appId, userId, audit, cause)));
    }
  }

  /** The user's Okta password changed: push it where Sync Password pushes changes (sealed in transit). */
  passwordChanged(appId: string, userId: string, passwordBox: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      const { mode } = await this.#provisioning();
      if (mode.pushPasswordChanges && mode.passwordSeed === "OKTA" && this.#store.getLink(userId)?.active) {
        this.#origins.note(`user:${userId}`, originOf(audit));
        this.#store.enqueue(`user:${userId}`, { passwordBox });
        await this.#schedule();
      }
      return null;
    });
  }

  // ---- group assignments --------------------------------------------------------------------

  /**
   * PUT (and PATCH) /apps/{appId}/groups/{groupId}. Writes the assignment and its neighbours'
   * shifted priorities in one batch, then fans out to the group's members in chunks. An
   * assignment that would not change writes nothing and starts nothing.
   */
  assignGroup(
    appId: string,
    groupId: string,
    change: GroupAssignmentChange | { patch: JsonPatchOperation[] },
    audit?: AuditContext,
  ): Promise<Result<AppGroupRow>> {
    return this.#serialized(appId, async () => {
      const db = this.#db;
      const [app, group, existing, ordered, pushed] = await Promise.all([
        getApp(db, appId),
        getGroup(db, groupId),
        getAppGroup(db, appId, groupId),
        appGroupsByPriority(db, appId),
        pushMappingForSource(db, appId, groupId),
      ]);
      requireApp(app, appId);
      if (!group) throw DomainError.notFound(groupId, "UserGroup");
      if (pushed) throw sameGroupForAssignmentAndPush();
      if ("patch" in change && !existing) throw DomainError.notFound(`${appId}/${groupId}`, "ApplicationGroupAssignment");
      const wanted = "patch" in change ? applyPatch(existing!, change.patch) : change;
      if (wanted.profile) checkProfileValues((await loadRules(db, appId)).attributes, wanted.profile, { fromGroup: true });

      const order = placeGroup(
        ordered.map((g) => g.groupId),
        groupId,
        wanted.priority,
      );
      const moves = priorityMoves(order, new Map(ordered.map((g) => [g.groupId, g.priority])));
      const profile = wanted.profile ?? existing?.profile ?? {};
      if (existing && moves.length === 0 && sameJson(profile, existing.profile)) return existing;

      const now = new Date();
      const row: AppGroupRow = {
        appId,
        groupId,
        priority: order.indexOf(groupId),
        profile,
        created: existing?.created ?? now,
        lastUpdated: now,
      };
      const others = moves.filter((m) => m.groupId !== groupId);
      const event = groupAssignmentEvent(existing ? "update" : "add", app!, group, existing, row, audit);
      await db.batch([upsertAppGroup(db, row), ...setPriorities(db, appId, others), ...logStatements(db, [event], now)]);
      // Only this group's members can see a different outcome: the others kept their relative order.
      await this.#startJob(
        {
          kind: "group-members",
          groupId,
          reason: existing ? "group assignment changed" : "group assigned",
          total: await countMembers(db, groupId),
        },
        audit,
      );
      return row;
    });
  }

  /** DELETE /apps/{appId}/groups/{groupId}: members keep the app only through another grant. */
  unassignGroup(appId: string, groupId: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      const db = this.#db;
      const [app, ordered, group] = await Promise.all([getApp(db, appId), appGroupsByPriority(db, appId), getGroup(db, groupId)]);
      requireApp(app, appId);
      const assignment = ordered.find((g) => g.groupId === groupId);
      if (!assignment) throw DomainError.notFound(`${appId}/${groupId}`, "ApplicationGroupAssignment");
      const order = removeGroup(
        ordered.map((g) => g.groupId),
        groupId,
      );
      const moves = priorityMoves(order, new Map(ordered.map((g) => [g.groupId, g.priority])));
      const event = groupAssignmentEvent("remove", app!, group ?? groupId, assignment, undefined, audit);
      await db.batch([deleteAppGroup(db, appId, groupId), ...setPriorities(db, appId, moves), ...logStatements(db, [event])]);
      await this.#startJob({ kind: "group-members", groupId, reason: "group unassigned", total: await countMembers(db, groupId) }, audit);
      return null;
    });
  }

  /**
   * A group this app assigned was deleted (its memberships and assignment went with it): close
   * the priority gap and re-check every group-controlled assignment.
   */
  groupDeleted(appId: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      const db = this.#db;
      const ordered = await appGroupsByPriority(db, appId);
      const moves = priorityMoves(
        ordered.map((g) => g.groupId),
        new Map(ordered.map((g) => [g.groupId, g.priority])),
      );
      await batchAll(db, setPriorities(db, appId, moves));
      await this.#startJob(
        { kind: "app-users", scope: "GROUP", reason: "group deleted", total: await countAppUsers(db, appId, "GROUP") },
        audit,
      );
      return null;
    });
  }

  /**
   * Re-evaluates every assignment of the app (its mapping or app-user schema changed);
   * `dropAttributes` are attributes removed from the schema, whose per-user values go too.
   */
  reconcileAll(appId: string, reason: string, dropAttributes: string[] = [], audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      await this.#startJob({ kind: "app-users", reason, dropAttributes, total: await countAppUsers(this.#db, appId) }, audit);
      return null;
    });
  }

  /** Fan-out jobs still running or queued, with progress. */
  async operations(): Promise<ReturnType<typeof progressOf>[]> {
    return (await this.#jobs.list()).map((job) => progressOf(job));
  }

  /**
   * Deletes the app with its assignments, group assignments and push mappings, one System Log
   * event per removed row, in chunks for big apps (Okta deletes only inactive apps; the route checks).
   */
  deleteApp(appId: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      const app = await getApp(this.#db, appId);
      if (app) await deleteAppWithCascades(this.#db, app, audit);
      await this.#jobs.clear();
      this.#store.clear();
      this.#origins.clear();
      await this.ctx.storage.deleteAlarm();
      return null;
    });
  }

  // ---- provisioning -------------------------------------------------------------------------

  /** The connection or capabilities changed: reload them and run what became due. */
  provisioningChanged(appId: string): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      this.#settings = undefined;
      this.#runner.reset();
      await this.#schedule();
      return null;
    });
  }

  /** Provision Users: queues every assignment that has no downstream account yet. */
  provisionUsers(appId: string, audit?: AuditContext): Promise<Result<ReturnType<typeof progressOf>>> {
    return this.#serialized(appId, async () => {
      const { mode } = await this.#provisioning();
      if (!mode.enabled || !mode.create) {
        throw DomainError.validation(
          "feature",
          "Provision Users needs an enabled connection and Create Users (create.lifecycleCreate) enabled.",
        );
      }
      await this.#startJob({ kind: "provision", reason: "provision users", total: await countAppUsers(this.#db, appId) }, audit);
      const [job] = (await this.#jobs.list()).filter((j) => j.kind === "provision");
      return progressOf(
        job ?? {
          id: "done",
          kind: "provision",
          reason: "provision users",
          cursor: null,
          done: 0,
          total: 0,
          startedAt: Date.now(),
          updatedAt: Date.now(),
        },
      );
    });
  }

  /** Provision on demand: runs the user's pending (or a fresh) sync now and returns its trace. */
  async syncUserNow(appId: string, userId: string, audit?: AuditContext): Promise<Result<RunReport>> {
    const claimed = await this.#serialized(appId, async () => {
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
    return { ok: true, value: report };
  }

  async tasks(status?: TaskStatus): Promise<TaskRow[]> {
    return this.#store.list(status);
  }

  /** The outbound queue's safety state: circuit breaker and held deactivations. */
  async outboundSafety() {
    return { breaker: this.#runner.breakerStatus(), holds: this.#store.holds() };
  }

  resetBreaker(appId: string): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      await this.#runner.resetBreaker();
      await this.#schedule();
      return null;
    });
  }

  resolveDeactivationHold(appId: string, holdId: string, decision: "release" | "discard"): Promise<Result<DeactivationHold>> {
    return this.#serialized(appId, async () => {
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
      await this.#schedule();
      return hold;
    });
  }

  retryTask(appId: string, taskId: string, audit?: AuditContext): Promise<Result<TaskRow>> {
    return this.#serialized(appId, async () => {
      const task = this.#store.retry(taskId);
      if (!task) throw DomainError.notFound(taskId, "ProvisioningTask");
      this.#origins.note(task.subject, originOf(audit));
      await this.#schedule();
      return task;
    });
  }

  /** A Group Push mapping was created, activated or its source group's members changed. */
  pushMappingChanged(appId: string, mappingId: string, audit?: AuditContext): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      this.#origins.note(`group:${mappingId}`, originOf(audit));
      this.#store.enqueue(`group:${mappingId}`);
      await this.#schedule();
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
    return this.#serialized(appId, async () => {
      this.#store.forgetMapping(mappingId);
      if (deleteTargetGroup && targetGroupId) this.#origins.note(`group-delete:${targetGroupId}`, originOf(audit));
      if (deleteTargetGroup && targetGroupId) this.#store.enqueue(`group-delete:${targetGroupId}`);
      await this.#schedule();
      return null;
    });
  }

  // ---- imports ("To Okta") ------------------------------------------------------------------

  /**
   * Starts an import session: it waits while an import roadblock is raised anywhere in the
   * org, then fetches, plans, checks safeguards and applies, a step per alarm.
   */
  startImport(
    appId: string,
    request: { type: "FULL" | "INCREMENTAL"; dryRun: boolean; trigger: "MANUAL" | "SCHEDULE" },
    audit?: AuditContext,
  ): Promise<Result<ImportSessionRow>> {
    return this.#serialized(appId, async () => {
      const settings = await this.#provisioning();
      if (!settings.connection) throw DomainError.validation("feature", "Provisioning is not enabled for the app instance.");
      const open = await openSession(this.#db, appId);
      if (open) throw new DomainError("E0000195", `import ${open.id} of this app is still ${open.status}`);
      const roadblock = await getOrgSetting<Roadblock>(this.#db, ROADBLOCK_KEY);
      const now = new Date();
      const session: ImportSessionRow = {
        id: `ims${randomChars(17)}`,
        appId,
        type: request.type,
        trigger: request.trigger,
        dryRun: request.dryRun,
        status: "RUNNING",
        phase: roadblock ? "WAITING" : "FETCH",
        cursor: "1",
        counters: EMPTY_COUNTERS,
        safeguard: null,
        error: null,
        created: now,
        lastUpdated: now,
        completed: null,
      };
      await insertSession(this.#db, session);
      // The session's later steps are background work: they carry this request's id.
      const origin = originOf(audit);
      if (origin) await this.ctx.storage.put(`import-origin:${session.id}`, origin);
      await writeLog(this.#db, [
        {
          eventType: "system.import.start",
          audit,
          displayMessage: `${request.type === "FULL" ? "Full" : "Incremental"} import started${roadblock ? " (waiting behind an import roadblock)" : ""}`,
          target: [
            { id: appId, type: "AppInstance" },
            { id: session.id, type: "ImportSession" },
          ],
          details: { sessionId: session.id, trigger: request.trigger, dryRun: request.dryRun },
        },
      ]);
      await this.ctx.storage.setAlarm(Date.now());
      return session;
    });
  }

  /** Confirms pending items (all, or by id) and applies them; `activate` activates confirmed new users. */
  confirmImport(
    appId: string,
    sessionId: string,
    request: { seqs: number[] | "all"; activate: boolean },
    audit?: AuditContext,
  ): Promise<Result<ImportSessionRow>> {
    return this.#serialized(appId, async () => {
      const session = await this.#requireSession(appId, sessionId);
      if (session.status !== "AWAITING_CONFIRMATION" && !(session.status === "RUNNING" && session.phase === "APPLY")) {
        throw DomainError.validation(
          "status",
          `import ${sessionId} is ${session.status}: only an import awaiting confirmation can be confirmed`,
        );
      }
      await confirmItems(this.#db, sessionId, request.seqs);
      if (request.activate) await this.ctx.storage.put(`activate:${sessionId}`, true);
      // What the confirmation applies is its doing: the apply events carry this request's id.
      const origin = originOf(audit);
      if (origin) await this.ctx.storage.put(`import-origin:${sessionId}`, origin);
      await writeLog(this.#db, [
        {
          eventType: "system.import.user_match.confirm",
          displayMessage: "Confirm imported users",
          audit,
          target: [
            { id: appId, type: "AppInstance" },
            { id: sessionId, type: "ImportSession" },
          ],
          details: {
            sessionId,
            confirmed: request.seqs === "all" ? "all" : request.seqs.length,
            activate: request.activate,
          },
        },
      ]);
      const updated = (await updateSession(this.#db, sessionId, {
        status: "RUNNING",
        phase: "APPLY",
        cursor: "0",
        lastUpdated: new Date(),
      }))!;
      await this.ctx.storage.setAlarm(Date.now());
      return updated;
    });
  }

  /** Cancels a session that has not finished; its roadblock, if any, is lifted. */
  cancelImport(appId: string, sessionId: string, audit?: AuditContext): Promise<Result<ImportSessionRow>> {
    return this.#serialized(appId, async () => {
      const session = await this.#requireSession(appId, sessionId);
      if (session.status === "COMPLETED" || session.status === "CANCELLED" || session.status === "FAILED") {
        throw DomainError.validation("status", `import ${sessionId} is already ${session.status}`);
      }
      const roadblock = await getOrgSetting<Roadblock>(this.#db, ROADBLOCK_KEY);
      await liftRoadblock(this.#db, sessionId);
      await this.ctx.storage.delete(`import-origin:${sessionId}`);
      if (roadblock?.sessionId === sessionId) {
        await this.#logRoadblock(
          appId,
          sessionId,
          "system.import.roadblock.resume",
          "The affected import from AppInstance has been canceled. All other imports will resume.",
          audit,
        );
      }
      return (await updateSession(this.#db, sessionId, {
        status: "CANCELLED",
        phase: "DONE",
        completed: new Date(),
        lastUpdated: new Date(),
      }))!;
    });
  }

  /** The roadblock was resumed: the paused session applies its plan after all. */
  resumeImport(appId: string, sessionId: string, audit?: AuditContext): Promise<Result<ImportSessionRow>> {
    return this.#serialized(appId, async () => {
      const session = await this.#requireSession(appId, sessionId);
      if (session.status !== "PAUSED_SAFEGUARD")
        throw DomainError.validation("status", `import ${sessionId} is ${session.status}, not PAUSED_SAFEGUARD`);
      const origin = originOf(audit);
      if (origin) await this.ctx.storage.put(`import-origin:${sessionId}`, origin);
      await this.#imports.beginApply(session);
      await liftRoadblock(this.#db, sessionId);
      await this.#logRoadblock(
        appId,
        sessionId,
        "system.import.roadblock.reschedule_and_resume",
        "The affected import from AppInstance has been resumed by an administrator. All other imports will resume.",
        audit,
      );
      await this.ctx.storage.setAlarm(Date.now());
      return (await getSession(this.#db, appId, sessionId))!;
    });
  }

  /** Another app's roadblock was lifted: look at a waiting session now. */
  wakeImports(appId: string): Promise<Result<null>> {
    return this.#serialized(appId, async () => {
      await this.ctx.storage.setAlarm(Date.now());
      return null;
    });
  }

  async #logRoadblock(appId: string, sessionId: string, eventType: string, displayMessage: string, audit?: AuditContext): Promise<void> {
    await writeLog(this.#db, [
      {
        eventType,
        displayMessage,
        audit,
        target: [
          { id: appId, type: "AppInstance" },
          { id: sessionId, type: "ImportSession" },
        ],
        details: { sessionId },
      },
    ]);
  }

  async #requireSession(appId: string, sessionId: string): Promise<ImportSessionRow> {
    const session = await getSession(this.#db, appId, sessionId);
    if (!session) throw DomainError.notFound(sessionId, "ImportSession");
    return session;
  }

  /** Advances the app's open import for a bounded time; returns when it should run again. */
  async #advanceImport(): Promise<number | undefined> {
    const appId = await this.ctx.storage.get<string>("appId");
    if (!appId) return undefined;
    const deadline = Date.now() + IMPORT_BUDGET_MS;
    for (;;) {
      const session = await openSession(this.#db, appId);
      if (!session || session.status !== "RUNNING") return undefined;
      const more = await this.#imports.step(session);
      if (!more) {
        const after = await getSession(this.#db, appId, session.id);
        if (after?.phase === "WAITING") return Date.now() + ROADBLOCK_POLL_MS;
        if (after && after.status !== "RUNNING") await this.#finishImport(after);
        return after?.status === "RUNNING" ? Date.now() : undefined;
      }
      if (Date.now() >= deadline) return Date.now();
    }
  }

  async #finishImport(session: ImportSessionRow): Promise<void> {
    if (await this.ctx.storage.get(`activate:${session.id}`)) {
      await this.#queue.run(() => this.#imports.activateCreated(session.id));
      await this.ctx.storage.delete(`activate:${session.id}`);
    }
    await this.ctx.storage.delete(`import-origin:${session.id}`);
  }

  // ---- alarm: fan-out chunks, imports and outbound tasks ------------------------------------

  async alarm(): Promise<void> {
    // Each kind of work is isolated: a failing fan-out chunk or import step must not stop the
    // outbound queue, and the alarm is always set again for whatever remains.
    const guard = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
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
    };
    const chunkFailed = (await guard("fan-out", () => this.#queue.run(() => this.#runOneChunk()).then(() => false))) ?? true;
    const importDue = await guard("import", () => this.#advanceImport());
    await guard("outbound", () => this.#runner.drain(Date.now() + DRAIN_BUDGET_MS));
    // A failed step is tried again shortly rather than in a tight loop.
    const retryAt = chunkFailed ? Date.now() + 5_000 : undefined;
    await this.#queue.run(() => this.#schedule(importDue, retryAt));
  }

  async #startJob(job: Omit<FanOutJob, "id" | "cursor" | "done" | "startedAt" | "updatedAt">, audit?: AuditContext): Promise<void> {
    // Its events are the job's (the system's), carrying the id of the request that started it.
    const origin = originOf(audit);
    await this.#jobs.enqueue({ ...job, ...(origin ? { origin } : {}) });
    // The first chunk runs now, so a small group is complete when the request returns.
    await this.#runOneChunk();
    await this.#schedule();
  }

  /** Runs one chunk of the oldest fan-out job. */
  async #runOneChunk(): Promise<void> {
    const jobs = await this.#jobs.list();
    const job = jobs[0];
    const appId = await this.ctx.storage.get<string>("appId");
    if (!job || !appId) return;
    const processed = await this.#processChunk(appId, job);
    if (processed < CHUNK_SIZE) {
      jobs.shift();
      await this.#settleDeactivations(appId, job);
    }
    await this.#jobs.save(jobs);
  }

  /** A finished job's deactivations go ahead, or are held when there are more than the threshold. */
  async #settleDeactivations(appId: string, job: FanOutJob): Promise<void> {
    const threshold = deactivationThreshold(this.env);
    const hold = this.#store.settle(job.id, threshold, job.reason);
    if (!hold) return;
    console.log(JSON.stringify({ event: "provisioning.deactivations_held", appId, holdId: hold.id, count: hold.count, threshold }));
    await writeLog(this.#db, [
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

  /** Sets the alarm for the earliest pending work: a fan-out chunk or an import step now, or the next due task. */
  async #schedule(importDue?: number, jobsRetryAt?: number): Promise<void> {
    const jobs = await this.#jobs.list();
    const settings = await this.#provisioning();
    const taskDue = settings.connection ? this.#runner.nextRunAt() : undefined;
    const jobsDue = jobs.length > 0 ? (jobsRetryAt ?? Date.now()) : undefined;
    const candidates = [jobsDue, taskDue, importDue].filter((t): t is number => t !== undefined);
    const due = candidates.length > 0 ? Math.min(...candidates) : undefined;
    if (due === undefined) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(Math.max(due, Date.now()));
  }

  async #processChunk(appId: string, job: FanOutJob): Promise<number> {
    const db = this.#db;
    const app = await getApp(db, appId);
    if (!app) return 0;
    if (job.kind === "provision") return this.#provisionChunk(appId, job);
    const [rules, { mode }] = await Promise.all([loadRules(db, appId), this.#provisioning()]);
    const users =
      job.kind === "group-members"
        ? (await listGroupMembers(db, job.groupId!, job.cursor ?? undefined, CHUNK_SIZE)).slice(0, CHUNK_SIZE)
        : (await appUsersChunk(db, appId, job.cursor, CHUNK_SIZE, job.scope)).map((row) => row.user);
    const { changed, removed } = await reconcileChunk(db, app, rules, mode, users, new Date(), {
      memberOf: job.kind === "group-members" ? job.groupId : undefined,
      dropAttributes: job.dropAttributes,
      cause: { reason: job.reason, ...(job.groupId ? { groupId: job.groupId } : {}) },
      audit: background(job.origin, job.id),
    });
    // Deactivations wait until the job has counted them all, so that a change deactivating
    // more accounts than the threshold is held before any of them runs.
    const deactivating = new Set(mode.deactivate ? removed.filter((userId) => this.#store.getLink(userId)?.active) : []);
    if (mode.enabled) {
      for (const userId of changed) this.#store.enqueue(`user:${userId}`, deactivating.has(userId) ? { waitFor: job.id } : {});
    }
    this.#advance(
      job,
      users.map((u) => u.id),
    );
    if (mode.enabled) for (const userId of changed) this.#origins.note(`user:${userId}`, job.origin);
    return users.length;
  }

  async #provisionChunk(appId: string, job: FanOutJob): Promise<number> {
    const rows = await unprovisionedChunk(this.#db, appId, job.cursor, CHUNK_SIZE);
    const now = new Date();
    const waiting = rows.filter((row) => !this.#store.bySubject(`user:${row.userId}`));
    const statements = waiting.map((row) =>
      setProvisioningState(this.#db, appId, row.userId, { status: "STAGED", syncState: "SYNCING", lastUpdated: now }),
    );
    await batchAll(this.#db, statements);
    for (const row of waiting) this.#store.enqueue(`user:${row.userId}`);
    this.#advance(
      job,
      rows.map((row) => row.userId),
    );
    for (const row of waiting) this.#origins.note(`user:${row.userId}`, job.origin);
    return rows.length;
  }

  #advance(job: FanOutJob, ids: string[]): void {
    if (ids.length > 0) job.cursor = ids[ids.length - 1];
    job.done += ids.length;
    job.total = Math.max(job.total, job.done);
    job.updatedAt = Date.now();
  }

  // ---- helpers ------------------------------------------------------------------------------

  #serialized<T>(appId: string, task: () => Promise<T>): Promise<Result<T>> {
    return this.#queue.run(async () => {
      // The object learns its app id on first use; its alarm needs it later.
      if ((await this.ctx.storage.get<string>("appId")) !== appId) await this.ctx.storage.put("appId", appId);
      return toResult(task);
    });
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
    this.#origins.note(`user:${row.userId}`, originOf(why.audit));
    const events = this.#events(why, existing, row, draft.newPassword !== null);
    await this.#db.batch([upsertAppUser(this.#db, row), ...logStatements(this.#db, events)]);
    const { mode } = await this.#provisioning();
    if (mode.enabled) {
      this.#store.enqueue(`user:${row.userId}`, { passwordBox: draft.newPassword !== null ? row.passwordCiphertext : null });
      await this.#schedule();
    }
    return row;
  }

  async #remove(userId: string, existing: AppUserRow | undefined, why: ChangeWhy): Promise<void> {
    const appId = (await this.ctx.storage.get<string>("appId"))!;
    this.#origins.note(`user:${userId}`, originOf(why.audit));
    const events = this.#events(why, existing, undefined, false);
    await this.#db.batch([deleteAppUser(this.#db, appId, userId), ...logStatements(this.#db, events)]);
    const { mode } = await this.#provisioning();
    if (mode.enabled || this.#store.getLink(userId)?.active) {
      this.#store.enqueue(`user:${userId}`);
      await this.#schedule();
    }
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

function sameGroupForAssignmentAndPush(): DomainError {
  return new DomainError("E0000027", "this group is pushed to the app", [
    "Okta doesn't support using the same group for app assignment and Group Push: assign the app to one group and push another (for example Accounting and AppPushGroup).",
  ]);
}

/** DEACTIVATION_THRESHOLD: most accounts one change may deactivate before it is held (default 500). */
function deactivationThreshold(env: Env): number {
  const value = Number(env.DEACTIVATION_THRESHOLD);
  return env.DEACTIVATION_THRESHOLD !== undefined && env.DEACTIVATION_THRESHOLD !== "" && Number.isFinite(value) && value >= 0
    ? value
    : 500;
}
