import { DurableObject } from "cloudflare:workers";
import type { BatchItem } from "drizzle-orm/batch";
import {
  planAssign,
  planUnassign,
  planUpdate,
  reconcile,
  requireApp,
  type AssignInput,
  type AssignmentContext,
  type UpdateInput,
} from "../assignments/app-user-rules";
import { applyPatch, type GroupAssignmentChange, type JsonPatchOperation } from "../assignments/group-assignment-patch";
import { placeGroup, priorityMoves, removeGroup } from "../assignments/group-priority";
import { sameJson } from "../assignments/effective-profile";
import { createDb, type DB } from "../db/client";
import type { AppGroupRow, AppUserRow } from "../db/schema";
import { getApp, deleteAppRow } from "../db/queries/apps";
import { appUsersChunk, countAppUsers, deleteAllAppUsers, deleteAppUser, upsertAppUser } from "../db/queries/app-users";
import { appGroupsByPriority, deleteAppGroup, getAppGroup, setPriorities, upsertAppGroup } from "../db/queries/app-groups";
import { countMembers, getGroup, listGroupMembers } from "../db/queries/groups";
import { DomainError, toResult, type Result } from "../domain/errors";
import { loadOne, loadRules, reconcileChunk, toRow } from "./assignment-store";
import { checkProfileValues } from "../mappings/app-user-schema";
import { CHUNK_SIZE, JobStore, progressOf, type FanOutJob } from "./fan-out-jobs";
import { SerialQueue } from "./serial-queue";

export type UnassignOutcome = { removed: true } | { removed: false; retainedBy: "GROUP"; appUser: AppUserRow };

/**
 * One per app (addressed by app id). Every change to the app's assignments runs here, inside
 * one FIFO critical section, and writes D1 in one batch. Reads never come here: they go to D1.
 * Work on many users at once (group fan-out) is chunked into jobs continued by the alarm.
 */
export class AppCoordinator extends DurableObject<Env> {
  #queue = new SerialQueue();
  #db: DB;
  #jobs: JobStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = createDb(env.DB);
    this.#jobs = new JobStore(ctx.storage);
  }

  // ---- direct assignments -------------------------------------------------------------------

  assignUser(appId: string, input: AssignInput): Promise<Result<AppUserRow>> {
    return this.#serialized(async () => {
      const ctx = await this.#context(appId, input.id);
      const plan = planAssign(ctx, input);
      return plan.changed ? this.#save(plan.draft, ctx.existing) : ctx.existing!;
    });
  }

  updateUser(appId: string, userId: string, input: UpdateInput): Promise<Result<AppUserRow>> {
    return this.#serialized(async () => {
      const ctx = await this.#context(appId, userId);
      const plan = planUpdate(ctx, input);
      return plan.changed ? this.#save(plan.draft, ctx.existing) : ctx.existing!;
    });
  }

  unassignUser(appId: string, userId: string): Promise<Result<UnassignOutcome>> {
    return this.#serialized(async () => {
      const ctx = await this.#context(appId, userId);
      const outcome = planUnassign(ctx);
      if (outcome.kind === "delete") {
        await this.#db.batch([deleteAppUser(this.#db, appId, userId)]);
        return { removed: true } as const;
      }
      const appUser = await this.#save(outcome.plan.draft, ctx.existing);
      return { removed: false, retainedBy: "GROUP", appUser } as const;
    });
  }

  /**
   * Something about one user changed (a membership, their profile or status): create, update
   * or remove their assignment here to match. Writes nothing when nothing changed.
   */
  reconcileUser(appId: string, userId: string): Promise<Result<null>> {
    return this.#serialized(async () => {
      const { app, user, existing, grants, rules } = await loadOne(this.#db, appId, userId);
      if (!app || !user) {
        if (existing) await this.#db.batch([deleteAppUser(this.#db, appId, userId)]);
        return null;
      }
      const decision = reconcile({ app, user, existing, grants, rules, now: new Date() });
      if (decision.kind === "upsert") await this.#save(decision.draft, existing);
      if (decision.kind === "delete") await this.#db.batch([deleteAppUser(this.#db, appId, userId)]);
      return null;
    });
  }

  // ---- group assignments --------------------------------------------------------------------

  /**
   * PUT (and PATCH) /apps/{appId}/groups/{groupId}. Writes the assignment and its neighbours'
   * shifted priorities in one batch, then fans out to the group's members in chunks. An
   * assignment that would not change writes nothing and starts nothing.
   */
  assignGroup(appId: string, groupId: string, change: GroupAssignmentChange | { patch: JsonPatchOperation[] }): Promise<Result<AppGroupRow>> {
    return this.#serialized(async () => {
      const db = this.#db;
      const [app, group, existing, ordered] = await Promise.all([getApp(db, appId), getGroup(db, groupId), getAppGroup(db, appId, groupId), appGroupsByPriority(db, appId)]);
      requireApp(app, appId);
      if (!group) throw DomainError.notFound(groupId, "UserGroup");
      if ("patch" in change && !existing) throw DomainError.notFound(`${appId}/${groupId}`, "ApplicationGroupAssignment");
      const wanted = "patch" in change ? applyPatch(existing!, change.patch) : change;
      if (wanted.profile) checkProfileValues((await loadRules(db, appId)).attributes, wanted.profile, { fromGroup: true });

      const order = placeGroup(ordered.map((g) => g.groupId), groupId, wanted.priority);
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
      await db.batch([upsertAppGroup(db, row), ...setPriorities(db, appId, others)]);
      // Only this group's members can see a different outcome: the others kept their relative order.
      await this.#startJob(appId, { kind: "group-members", groupId, reason: existing ? "group assignment changed" : "group assigned", total: await countMembers(db, groupId) });
      return row;
    });
  }

  /** DELETE /apps/{appId}/groups/{groupId}: members keep the app only through another grant. */
  unassignGroup(appId: string, groupId: string): Promise<Result<null>> {
    return this.#serialized(async () => {
      const db = this.#db;
      const [app, ordered] = await Promise.all([getApp(db, appId), appGroupsByPriority(db, appId)]);
      requireApp(app, appId);
      if (!ordered.some((g) => g.groupId === groupId)) throw DomainError.notFound(`${appId}/${groupId}`, "ApplicationGroupAssignment");
      const order = removeGroup(ordered.map((g) => g.groupId), groupId);
      const moves = priorityMoves(order, new Map(ordered.map((g) => [g.groupId, g.priority])));
      await db.batch([deleteAppGroup(db, appId, groupId), ...setPriorities(db, appId, moves)]);
      await this.#startJob(appId, { kind: "group-members", groupId, reason: "group unassigned", total: await countMembers(db, groupId) });
      return null;
    });
  }

  /**
   * A group this app assigned was deleted (its memberships and assignment went with it): close
   * the priority gap and re-check every group-controlled assignment.
   */
  groupDeleted(appId: string): Promise<Result<null>> {
    return this.#serialized(async () => {
      const db = this.#db;
      const ordered = await appGroupsByPriority(db, appId);
      const moves = priorityMoves(ordered.map((g) => g.groupId), new Map(ordered.map((g) => [g.groupId, g.priority])));
      if (moves.length > 0) await db.batch(setPriorities(db, appId, moves) as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      await this.#startJob(appId, { kind: "app-users", scope: "GROUP", reason: "group deleted", total: await countAppUsers(db, appId, "GROUP") });
      return null;
    });
  }

  /**
   * Re-evaluates every assignment of the app (its mapping or app-user schema changed);
   * `dropAttributes` are attributes removed from the schema, whose per-user values go too.
   */
  reconcileAll(appId: string, reason: string, dropAttributes: string[] = []): Promise<Result<null>> {
    return this.#serialized(async () => {
      await this.#startJob(appId, { kind: "app-users", reason, dropAttributes, total: await countAppUsers(this.#db, appId) });
      return null;
    });
  }

  /** Fan-out jobs still running or queued, with progress. */
  async operations(): Promise<ReturnType<typeof progressOf>[]> {
    return (await this.#jobs.list()).map((job) => progressOf(job));
  }

  /** Deletes the app and all its assignments in one batch (Okta deletes only inactive apps; the route checks). */
  deleteApp(appId: string): Promise<Result<null>> {
    return this.#serialized(async () => {
      const db = this.#db;
      await db.batch([deleteAllAppUsers(db, appId), deleteAppRow(db, appId)]);
      await this.#jobs.clear();
      await this.ctx.storage.deleteAlarm();
      return null;
    });
  }

  // ---- chunked fan-out ----------------------------------------------------------------------

  async alarm(): Promise<void> {
    await this.#queue.run(() => this.#runOneChunk());
  }

  async #startJob(appId: string, job: Omit<FanOutJob, "id" | "cursor" | "done" | "startedAt" | "updatedAt" | "total"> & { total: number }): Promise<void> {
    await this.ctx.storage.put("appId", appId);
    await this.#jobs.enqueue(job);
    // The first chunk runs now, so a small group is complete when the request returns.
    await this.#runOneChunk();
  }

  /** Runs one chunk of the oldest job; schedules the alarm while work remains. */
  async #runOneChunk(): Promise<void> {
    const jobs = await this.#jobs.list();
    const job = jobs[0];
    const appId = await this.ctx.storage.get<string>("appId");
    if (!job || !appId) return;
    const processed = await this.#processChunk(appId, job);
    if (processed < CHUNK_SIZE) jobs.shift();
    await this.#jobs.save(jobs);
    if (jobs.length > 0) await this.ctx.storage.setAlarm(Date.now());
  }

  async #processChunk(appId: string, job: FanOutJob): Promise<number> {
    const db = this.#db;
    const app = await getApp(db, appId);
    if (!app) return 0;
    const rules = await loadRules(db, appId);
    const now = new Date();
    const users =
      job.kind === "group-members"
        ? (await listGroupMembers(db, job.groupId!, job.cursor ?? undefined, CHUNK_SIZE)).slice(0, CHUNK_SIZE)
        : (await appUsersChunk(db, appId, job.cursor, CHUNK_SIZE, job.scope)).map((row) => row.user);
    await reconcileChunk(db, app, rules, users, now, {
      memberOf: job.kind === "group-members" ? job.groupId : undefined,
      dropAttributes: job.dropAttributes,
    });
    if (users.length > 0) job.cursor = users[users.length - 1].id;
    job.done += users.length;
    job.total = Math.max(job.total, job.done);
    job.updatedAt = Date.now();
    return users.length;
  }

  // ---- helpers ------------------------------------------------------------------------------

  #serialized<T>(task: () => Promise<T>): Promise<Result<T>> {
    return this.#queue.run(() => toResult(task));
  }

  async #context(appId: string, userId: string): Promise<AssignmentContext> {
    const { app, user, existing, grants, rules } = await loadOne(this.#db, appId, userId);
    requireApp(app, appId);
    if (!user) throw DomainError.notFound(userId, "User");
    return { app: app!, user, existing, grants, rules, now: new Date() };
  }

  async #save(draft: Parameters<typeof toRow>[0], existing: AppUserRow | undefined): Promise<AppUserRow> {
    const row = await toRow(draft, existing, this.env.CREDENTIALS_KEY);
    await this.#db.batch([upsertAppUser(this.#db, row)]);
    return row;
  }
}
