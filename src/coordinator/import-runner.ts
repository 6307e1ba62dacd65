import { planAssign } from "../assignments/app-user-rules";
import { batchAll, type DB } from "../db/client";
import type { ImportCounters, ImportItemRow, ImportSessionRow } from "../db/schema";
import { deleteAppUser, upsertAppUser, countAppUsers } from "../db/queries/app-users";
import {
  appUserIdByExternalId,
  byEmail,
  byLogin,
  byName,
  confirmResults,
  countAllAppUsers,
  countItems,
  getOrgSetting,
  insertItems,
  itemsChunk,
  maxSeq,
  raiseRoadblock,
  seenExternalIds,
  stageMissingAsUnassign,
  unseenLinkedAppUsers,
  updateItem,
  updateSession,
  updateSessionStatement,
  usersWhere,
} from "../db/queries/imports";
import { getProvisioning } from "../db/queries/provisioning";
import { getUser, insertUserWithGroups, updateUser } from "../db/queries/users";
import { DomainError } from "../domain/errors";
import { newId } from "../domain/ids";
import { DEFAULT_INBOUND, type InboundSettings } from "../imports/inbound-settings";
import {
  autoConfirmed,
  flattenScimUser,
  oktaUsernameFor,
  profileMatches,
  sourcedProfile,
  sourcingResult,
  type ImportedUser,
  type ImportResult,
} from "../imports/matching";
import { DEFAULT_SAFEGUARDS, evaluateSafeguards, type SafeguardSettings } from "../imports/safeguards";
import { PROVISIONING_OFF } from "../provisioning/capabilities";
import { ScimClient } from "../provisioning/scim-client";
import { checkDownstreamUrl, type DownstreamAccess } from "../provisioning/downstream-url";
import type { ProvisioningSettings } from "../provisioning/settings";
import { loadOne } from "./assignment-store";
import { open } from "../crypto/secret-box";
import { getApp } from "../db/queries/apps";
import { getInlineHook } from "../db/queries/inline-hooks";
import type { AppRow, InlineHookRow } from "../db/schema";
import { HOOK_TIMEOUT_MS, IMPORT_HOOK_TYPE, importHookRequest, parseHookResponse, type HookEffect } from "../imports/inline-hook";
import { logStatements, writeLog, type AuditContext, type LogEventInput } from "../audit/system-log";
import { appTarget, userLifecycleEvent } from "../audit/events";
import type { ProvisioningStore } from "./provisioning-store";
import type { SerialQueue } from "./serial-queue";

export const ROADBLOCK_KEY = "import_roadblock";
export const SAFEGUARDS_KEY = "import_safeguards";

const PAGE_SIZE = 100; // SCIM count per page
const PLAN_CHUNK = 200;
/** Apparent removals checked one by one per import (beyond this a safeguard is the backstop). */
const VERIFY_LIMIT = 2_000;
const VERIFY_CONCURRENCY = 8;
const APPLY_CHUNK = 100;

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

export const EMPTY_COUNTERS: ImportCounters = {
  fetched: 0,
  exact: 0,
  partial: 0,
  new: 0,
  conflicts: 0,
  unchanged: 0,
  ignored: 0,
  updated: 0,
  deactivated: 0,
  reactivated: 0,
  toUnassign: 0,
  applied: 0,
  pending: 0,
  errors: 0,
};

/** The hook sees the items that would create or link a user. */
const hookable = (plan: Planned) => plan.result === "EXACT" || plan.result === "PARTIAL" || plan.result === "NEW";

interface Deps {
  db: DB;
  credentialsKey: string;
  /** Where inline hooks may be called (DOWNSTREAM_ACCESS), checked again before each run. */
  access: DownstreamAccess;
  queue: SerialQueue;
  store: ProvisioningStore;
  settings: () => Promise<ProvisioningSettings>;
  /** Re-checks a user's assignment in this app (called inside the critical section). */
  reconcileHere: (userId: string, audit: AuditContext) => Promise<void>;
  /** Tells the other apps a user's Okta status or profile changed (called outside it). */
  notifyOtherApps: (userIds: string[], audit: AuditContext) => Promise<void>;
  /** The session's System Log context: the system, with the id of the request that started (or confirmed) it. */
  auditFor: (sessionId: string) => Promise<AuditContext>;
}

/**
 * Runs "To Okta" import sessions for one app, a bounded step per call: fetch one SCIM page
 * (outside the critical section), plan a chunk of items, or apply a chunk of confirmed items.
 * Every step reads the session's phase and cursor from D1, so a session resumes where it was
 * after an eviction. The safeguard is evaluated on the complete plan before anything applies.
 */
export class ImportRunner {
  constructor(private readonly deps: Deps) {}

  /** One step of the session; true while it has more work right away. */
  async step(session: ImportSessionRow): Promise<boolean> {
    switch (session.phase) {
      case "WAITING":
        return this.deps.queue.run(() => this.#leaveWaiting(session));
      case "FETCH":
        return this.#fetchPage(session);
      case "PLAN":
        return this.#planStep(session);
      case "APPLY": {
        const changedUsers: string[] = [];
        const audit = await this.deps.auditFor(session.id);
        const more = await this.deps.queue.run(() => this.#applyChunk(session, changedUsers, audit));
        // Other apps' coordinators are called outside this one's critical section, so two
        // coordinators importing at once can never wait on each other.
        if (changedUsers.length > 0) await this.deps.notifyOtherApps(changedUsers, audit);
        return more;
      }
      default:
        return false;
    }
  }

  async #leaveWaiting(session: ImportSessionRow): Promise<boolean> {
    const current = await this.#reload(session);
    if (!current || current.status !== "RUNNING" || current.phase !== "WAITING") return false;
    if (await getOrgSetting<Roadblock>(this.deps.db, ROADBLOCK_KEY)) return false;
    await this.#save(current, { phase: "FETCH", cursor: "1" });
    return true;
  }

  async #fetchPage(session: ImportSessionRow): Promise<boolean> {
    const { db, queue } = this.deps;
    const settings = await this.deps.settings();
    if (!settings.connection) {
      await queue.run(async () => {
        const current = await this.#reload(session);
        if (current?.status === "RUNNING") await this.#fail(current, "the app has no enabled provisioning connection");
      });
      return false;
    }
    const startIndex = Number(session.cursor ?? "1");
    const scim = new ScimClient(settings.connection);
    const page = await scim.request<{ Resources?: Record<string, unknown>[]; totalResults?: number; itemsPerPage?: number }>(
      "GET",
      `/Users?startIndex=${startIndex}&count=${PAGE_SIZE}`,
    );
    return queue.run(async () => {
      const current = await this.#reload(session);
      if (!current || current.status !== "RUNNING" || current.phase !== "FETCH" || current.cursor !== session.cursor) return false;
      // A page that cannot be read fails the session: users it would have held must never look gone.
      if (!page.ok) return this.#fail(current, `reading users at startIndex ${startIndex}: ${page.reason}`);
      const resources = page.body.Resources ?? [];
      // Numbered after dropping resources that are not users (no id or userName), so seqs stay dense.
      const listed = resources.flatMap((resource) => flattenScimUser(resource) ?? []);
      // Offset paging over a changing list can show a user twice (someone was added before it
      // between two pages): each user is kept once.
      const seen = await seenExternalIds(
        db,
        current.id,
        listed.map((user) => user.externalId),
      );
      const users = listed.filter((user) => !seen.has(user.externalId) && seen.add(user.externalId));
      const rows = users.map((user, k) => itemRow(current.id, current.counters.fetched + k + 1, user));
      const fetched = current.counters.fetched + rows.length;
      const total = page.body.totalResults ?? fetched;
      const done = resources.length === 0 || startIndex - 1 + resources.length >= total;
      const changes = {
        counters: { ...current.counters, fetched, downstreamTotal: total },
        phase: done ? ("PLAN" as const) : ("FETCH" as const),
        cursor: done ? "0" : String(startIndex + resources.length),
        lastUpdated: new Date(),
      };
      // Items and the cursor that says they were stored land together, or not at all.
      await batchAll(db, [...insertItems(db, rows), updateSessionStatement(db, current.id, changes)]);
      Object.assign(current, changes);
      return true;
    });
  }

  /**
   * Plans a chunk: matching (D1 reads) and the app's import inline hook (a network call, 3 s
   * at most per item) run outside the critical section; the decisions are written inside it.
   */
  async #planStep(session: ImportSessionRow): Promise<boolean> {
    const { db, queue } = this.deps;
    const current = await this.#reload(session);
    if (!current || current.status !== "RUNNING" || current.phase !== "PLAN") return false;
    const inbound = await this.#inbound(current.appId);
    const items = await itemsChunk(db, current.id, Number(current.cursor ?? "0"), PLAN_CHUNK, { unplanned: true });
    if (items.length === 0 && current.type === "FULL" && current.counters.verifiedMissing === undefined) {
      return this.#verifyMissing(current);
    }
    if (items.length === 0) {
      return queue.run(async () => {
        const again = await this.#reload(current);
        return again?.status === "RUNNING" && again.phase === "PLAN" ? this.#finishPlan(again, inbound) : false;
      });
    }
    const planned = await Promise.all(items.map((item) => this.#match(current.appId, item, inbound)));
    const hook = await this.#importHook(current.appId);
    if (hook) await this.#runHook(hook, current, items, planned);
    const audit = await this.deps.auditFor(current.id);
    return queue.run(async () => {
      const again = await this.#reload(current);
      if (!again || again.status !== "RUNNING" || again.phase !== "PLAN" || again.cursor !== current.cursor)
        return again?.status === "RUNNING";
      // Each item's decision is logged with it, in the same batch.
      const events = items.map((item, i) => planEvent(again, item, planned[i], audit));
      await batchAll(db, [
        ...items.map((item, i) =>
          updateItem(db, again.id, item.seq, {
            result: planned[i].result,
            matchedUserId: planned[i].userId ?? null,
            detail: planned[i].detail,
            profile: planned[i].profile ?? item.profile,
            decision: planned[i].result === "UNCHANGED" || planned[i].result === "IGNORED" ? "NONE" : "PENDING",
          }),
        ),
        ...logStatements(db, events),
      ]);
      await this.#save(again, { cursor: String(items[items.length - 1].seq) });
      return true;
    });
  }

  async #importHook(appId: string) {
    const app = await getApp(this.deps.db, appId);
    const hookId = (app?.settings as { inlineHookId?: unknown } | undefined)?.inlineHookId;
    if (typeof hookId !== "string") return undefined;
    const hook = await getInlineHook(this.deps.db, hookId);
    return hook?.status === "ACTIVE" && hook.type === IMPORT_HOOK_TYPE ? { hook, app: app! } : undefined;
  }

  /** Calls the import inline hook per item and applies its commands; a failure leaves the item as planned. */
  async #runHook(
    target: { hook: InlineHookRow; app: AppRow },
    session: ImportSessionRow,
    items: ImportItemRow[],
    planned: Planned[],
  ): Promise<void> {
    const { hook, app } = target;
    // The URI was checked when the hook was saved; checked again in case DOWNSTREAM_ACCESS has
    // since become stricter or the row was written some other way.
    try {
      checkDownstreamUrl(hook.uri, this.deps.access, "channel.config.uri");
    } catch (error) {
      const reason = error instanceof DomainError ? error.causes.join("; ") : String(error);
      for (const plan of planned.filter(hookable)) plan.detail = `${plan.detail}; inline hook not called (${reason}): item left as planned`;
      return;
    }
    const headers = await hookHeaders(hook, this.deps.credentialsKey);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) {
        const plan = planned[i];
        if (!hookable(plan)) continue;
        const request = importHookRequest({
          app: { id: app.id, name: app.name, label: app.label, status: app.status },
          sessionId: session.id,
          user: importedOf(items[i]),
          proposed: plan.result === "NEW" ? "CREATE_USER" : "LINK_USER",
          matchedUserId: plan.userId,
          policy: ["EMAIL", "FIRST_AND_LAST_NAME_MATCH"],
        });
        try {
          const response = await fetch(hook.uri, {
            redirect: "manual",
            method: "POST",
            headers,
            body: JSON.stringify(request),
            signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
          });
          if (!response.ok) throw new Error(`answered ${response.status}`);
          await this.#applyHookEffect(parseHookResponse(await response.json()), items[i], plan);
        } catch (error) {
          const reason =
            error instanceof Error && error.name === "TimeoutError"
              ? `no answer within ${HOOK_TIMEOUT_MS} ms`
              : error instanceof Error
                ? error.message
                : String(error);
          plan.detail = `${plan.detail}; inline hook failed (${reason}): item left as planned`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, items.length) }, worker));
  }

  async #applyHookEffect(effect: HookEffect, item: ImportItemRow, plan: Planned): Promise<void> {
    const notes: string[] = [];
    if (effect.appUserProfile || effect.userProfile) {
      const profile = { ...item.profile, ...effect.appUserProfile };
      if (effect.userProfile)
        profile[OKTA_PROFILE_KEY] = { ...(item.profile[OKTA_PROFILE_KEY] as Record<string, unknown> | undefined), ...effect.userProfile };
      plan.profile = profile;
      notes.push("profile changed by the inline hook");
    }
    if (effect.linkUserId) {
      const user = await getUser(this.deps.db, effect.linkUserId);
      if (user) {
        Object.assign(plan, { result: "EXACT", userId: user.id });
        notes.push(`inline hook linked to ${user.profile.login}`);
      } else {
        notes.push(`inline hook named unknown user ${effect.linkUserId}`);
      }
    } else if (effect.action === "CREATE_USER" && plan.result !== "NEW") {
      Object.assign(plan, { result: "NEW", userId: undefined });
      notes.push("inline hook asked to create a new user");
    }
    if (notes.length > 0) plan.detail = `${plan.detail}; ${notes.join("; ")}`;
  }

  /**
   * Offset paging over a changing list can also hide a user (someone before it was removed
   * between two pages). Before a full import calls linked users gone, each is asked for by id:
   * those still there join the import as if listed; only a 404 confirms a removal. Network calls
   * run outside the critical section; a check that cannot be made fails the session.
   */
  async #verifyMissing(session: ImportSessionRow): Promise<boolean> {
    const { db, queue } = this.deps;
    const settings = await this.deps.settings();
    const candidates = await unseenLinkedAppUsers(db, session.id, session.appId, VERIFY_LIMIT);
    const found: ImportedUser[] = [];
    const failures: string[] = [];
    if (settings.connection && candidates.length > 0) {
      const scim = new ScimClient(settings.connection);
      for (let i = 0; i < candidates.length; i += VERIFY_CONCURRENCY) {
        const answers = await Promise.all(
          candidates
            .slice(i, i + VERIFY_CONCURRENCY)
            .map((id) => scim.request<Record<string, unknown>>("GET", `/Users/${encodeURIComponent(id)}`)),
        );
        for (const answer of answers) {
          if (answer.ok) {
            const user = flattenScimUser(answer.body);
            if (user) found.push(user);
          } else if (answer.status !== 404) failures.push(answer.reason);
        }
      }
    }
    return queue.run(async () => {
      const current = await this.#reload(session);
      if (!current || current.status !== "RUNNING" || current.phase !== "PLAN" || current.counters.verifiedMissing !== undefined) {
        return current?.status === "RUNNING";
      }
      if (failures.length > 0) {
        return this.#fail(current, `could not confirm that ${failures.length} linked users are gone downstream: ${failures[0]}`);
      }
      const base = await maxSeq(db, current.id);
      const rows = found.map((user, k) => itemRow(current.id, base + k + 1, user));
      const counters = {
        ...current.counters,
        fetched: current.counters.fetched + rows.length,
        verifiedMissing: candidates.length,
        missedByPaging: rows.length,
      };
      await batchAll(db, [...insertItems(db, rows), updateSessionStatement(db, current.id, { counters, lastUpdated: new Date() })]);
      return true;
    });
  }

  /** The whole plan is known: stage removals, check the safeguards, then apply (or stop). */
  async #finishPlan(session: ImportSessionRow, inbound: InboundSettings): Promise<boolean> {
    const { db } = this.deps;
    if (session.type === "FULL") await stageMissingAsUnassign(db, session.id, session.appId);
    const counters = await this.#counters(session.id);
    if (session.dryRun) {
      await this.#save(session, { counters, phase: "DONE", status: "COMPLETED", completed: new Date() });
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
      await this.#save(session, { counters, status: "PAUSED_SAFEGUARD", safeguard: { ...breach }, phase: "APPLY", cursor: "0" });
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
    return this.beginApply(session, inbound, counters);
  }

  /** Confirms what the rules auto-confirm and starts applying (also used when a roadblock is resumed). */
  async beginApply(session: ImportSessionRow, inbound?: InboundSettings, counters?: ImportCounters): Promise<boolean> {
    const rules = inbound ?? (await this.#inbound(session.appId));
    const results: ImportResult[] = ["EXACT", "PARTIAL", "NEW", "UNASSIGN", "UPDATED", "DEACTIVATED", "REACTIVATED"];
    await confirmResults(
      this.deps.db,
      session.id,
      results.filter((r) => autoConfirmed(r, rules)),
    );
    await this.#save(session, { counters: counters ?? (await this.#counters(session.id)), status: "RUNNING", phase: "APPLY", cursor: "0" });
    return true;
  }

  async #applyChunk(session: ImportSessionRow, changedUsers: string[], audit: AuditContext): Promise<boolean> {
    const { db } = this.deps;
    const current = await this.#reload(session);
    if (!current || current.status !== "RUNNING" || current.phase !== "APPLY") return false;
    const inbound = await this.#inbound(current.appId);
    const items = await itemsChunk(db, current.id, 0, APPLY_CHUNK, { decision: "CONFIRMED" });
    for (const item of items) {
      // One item's failure is that item's ERROR, never the whole session's.
      const outcome = await this.#apply(current, item, inbound, audit).catch((error: unknown): ApplyOutcome => ({
        ok: false,
        detail: `could not apply: ${error instanceof Error ? error.message : String(error)}`,
      }));
      if (outcome.ok && outcome.oktaUserChanged && outcome.userId) changedUsers.push(outcome.userId);
      // The plan's reasoning stays; what applying did is added to it, and logged with it.
      const detail = item.detail ? `${item.detail} -> ${outcome.detail}` : outcome.detail;
      await batchAll(db, [
        updateItem(db, current.id, item.seq, {
          decision: outcome.ok ? "APPLIED" : "ERROR",
          detail,
          matchedUserId: outcome.userId ?? item.matchedUserId,
        }),
        ...logStatements(db, applyEvents(current, item, outcome, audit)),
      ]);
    }
    const counters = await this.#counters(current.id);
    if (items.length === APPLY_CHUNK) {
      await this.#save(current, { counters });
      return true;
    }
    await this.#save(current, {
      counters,
      phase: "DONE",
      status: counters.pending > 0 ? "AWAITING_CONFIRMATION" : "COMPLETED",
      completed: counters.pending > 0 ? null : new Date(),
    });
    await writeLog(db, [
      {
        eventType: "system.import.complete",
        audit,
        displayMessage: counters.pending > 0 ? "Import complete; items await confirmation" : "Import complete",
        target: [
          { id: current.appId, type: "AppInstance" },
          { id: current.id, type: "ImportSession" },
        ],
        details: { sessionId: current.id, ...counters },
      },
    ]);
    return false;
  }

  /** Exact (username format or email, case-sensitive), partial (first + last name), new, or already linked. */
  async #match(appId: string, item: ImportItemRow, inbound: InboundSettings): Promise<Planned> {
    const { db } = this.deps;
    const imported = importedOf(item);
    const sourcing = inbound.profileSourcing.status === "ENABLED" ? inbound.profileSourcing : undefined;
    // A linked user: an assignment with this external id, or a link kept after sourcing deactivated them.
    const linked = (await appUserIdByExternalId(db, appId, item.externalId)) ?? this.deps.store.userIdByExternalId(item.externalId);
    if (linked && sourcing) {
      const okta = await getUser(db, linked);
      if (okta) {
        const result = sourcingResult(imported, okta, sourcing);
        return { result, userId: linked, detail: sourcingDetail(result, sourcing) };
      }
    }
    if (!item.active) return { result: "IGNORED", detail: "inactive downstream (active: false): not imported" };
    if (linked) return { result: "UNCHANGED", userId: linked, detail: "already linked" };
    const rules = inbound.importRules.userCreateAndMatch;
    const criteria =
      rules.exactMatchCriteria === "EMAIL"
        ? imported.email
          ? byEmail(imported.email)
          : undefined
        : byLogin(oktaUsernameFor(imported, inbound));
    if (criteria) {
      const exact = await usersWhere(db, criteria);
      if (exact.length === 1)
        return {
          result: "EXACT",
          userId: exact[0].id,
          detail: `${rules.exactMatchCriteria === "EMAIL" ? "email" : "username"} matches ${exact[0].profile.login}`,
        };
      if (exact.length > 1)
        return {
          result: "CONFLICT",
          detail: `conflict: the ${rules.exactMatchCriteria === "EMAIL" ? "email" : "username"} matches more than one Okta user`,
        };
    }
    if (rules.allowPartialMatch && imported.firstName && imported.lastName) {
      const partial = await usersWhere(db, byName(imported.firstName, imported.lastName));
      if (partial.length === 1)
        return { result: "PARTIAL", userId: partial[0].id, detail: `first and last name match ${partial[0].profile.login}` };
      if (partial.length > 1) return { result: "CONFLICT", detail: "conflict: the first and last name match more than one Okta user" };
    }
    return { result: "NEW", detail: "no matching Okta user" };
  }

  async #apply(session: ImportSessionRow, item: ImportItemRow, inbound: InboundSettings, audit: AuditContext): Promise<ApplyOutcome> {
    const { db, store } = this.deps;
    const now = new Date();
    if (item.result === "UPDATED" || item.result === "DEACTIVATED" || item.result === "REACTIVATED") {
      const outcome = await this.#applySourcing(item, inbound, now, audit);
      if (!outcome.ok || item.result !== "REACTIVATED") return outcome;
      // Reactivated and active in the app: its assignment here is linked again below.
    }
    if (item.result === "UNASSIGN") {
      if (!item.matchedUserId) return { ok: false, detail: "no assignment to remove" };
      await batchAll(db, [deleteAppUser(db, session.appId, item.matchedUserId)]);
      store.saveLink(item.matchedUserId, null);
      return { ok: true, detail: "unassigned: gone from the app" };
    }
    if (item.result === "CONFLICT") {
      return {
        ok: false,
        detail: "a conflict cannot be confirmed: resolve it (an inline hook can name the Okta user with com.okta.user.update)",
      };
    }
    let userId = item.matchedUserId;
    if (item.result === "NEW") {
      const created = await this.#createOktaUser(item, inbound, now);
      if (!created.ok) return created;
      userId = created.userId;
    }
    if (!userId) return { ok: false, detail: "no Okta user to link" };
    const { app, user, existing, grants, rules } = await loadOne(db, session.appId, userId);
    if (!app || !user) return { ok: false, detail: "the app or the user no longer exists" };
    if (user.status === "DEPROVISIONED") return { ok: false, detail: "the Okta user is deactivated" };
    if (user.status === "PROVISIONED" && item.result === "REACTIVATED") {
      return {
        ok: true,
        detail: "reactivated in the app: profile differs, left pending activation (PROVISIONED)",
        userId: user.id,
        oktaUserChanged: true,
      };
    }
    // Linking keeps the assignment's scope (a group-granted user stays under group control) and
    // records the downstream userName; it sets no credentials, so no scheme check applies.
    const plan = planAssign(
      { app, user, existing, grants, rules, provisioning: PROVISIONING_OFF, now },
      { id: user.id, scope: existing?.scope },
    );
    const { newPassword: _none, ...planned } = plan.draft;
    const draft = { ...planned, userName: existing?.userName ?? item.userName };
    await batchAll(db, [
      upsertAppUser(db, {
        ...draft,
        passwordCiphertext: existing?.passwordCiphertext ?? null,
        externalId: item.externalId,
        status: "ACTIVE",
        syncState: "SYNCHRONIZED",
        lastSync: now,
        lastUpdated: now,
      }),
    ]);
    store.saveLink(user.id, { externalId: item.externalId, userName: item.userName, active: item.active, pushed: null });
    const assignment = existing ? ("updated" as const) : ("added" as const);
    if (item.result === "REACTIVATED")
      return { ok: true, detail: `reactivated and linked to ${user.profile.login}`, userId: user.id, oktaUserChanged: true, assignment };
    return {
      ok: true,
      detail: `${item.result === "NEW" ? "created and " : ""}linked to ${user.profile.login}`,
      userId: user.id,
      assignment,
    };
  }

  /** Profile sourcing: the app changes the Okta user (profile, or status per the settings). */
  async #applySourcing(item: ImportItemRow, inbound: InboundSettings, now: Date, audit: AuditContext): Promise<ApplyOutcome> {
    const { db } = this.deps;
    const userId = item.matchedUserId;
    const user = userId ? await getUser(db, userId) : undefined;
    if (!userId || !user) return { ok: false, detail: "the sourced Okta user no longer exists" };
    const imported = importedOf(item);
    if (item.result === "UPDATED") {
      const profile = { ...user.profile, ...sourcedProfile(imported) };
      await updateUser(db, userId, {
        profile,
        email: (profile.email as string) ?? user.email,
        firstName: (profile.firstName as string) ?? null,
        lastName: (profile.lastName as string) ?? null,
        lastUpdated: now,
      });
      await this.deps.reconcileHere(userId, audit);
      return { ok: true, detail: "Okta profile updated from the app", userId, oktaUserChanged: true };
    }
    if (item.result === "DEACTIVATED") {
      const status = inbound.profileSourcing.onDeactivated === "SUSPEND" ? "SUSPENDED" : "DEPROVISIONED";
      await updateUser(db, userId, { status, statusChanged: now, lastUpdated: now });
      await this.deps.reconcileHere(userId, audit);
      return {
        ok: true,
        detail: `deactivated in the app: Okta user ${status === "SUSPENDED" ? "suspended" : "deactivated"}`,
        userId,
        oktaUserChanged: true,
      };
    }
    // REACTIVATED: only an exact profile match reactivates; otherwise the user waits, pending activation.
    const exact = profileMatches(imported, user.profile);
    const status = exact ? "ACTIVE" : "PROVISIONED";
    await updateUser(db, userId, { status, statusChanged: now, lastUpdated: now, ...(exact ? { activated: now } : {}) });
    return {
      ok: true,
      detail: exact
        ? "reactivated in the app: Okta user reactivated"
        : "reactivated in the app: profile differs, left pending activation (PROVISIONED)",
      userId,
      oktaUserChanged: true,
    };
  }

  async #createOktaUser(
    item: ImportItemRow,
    inbound: InboundSettings,
    now: Date,
  ): Promise<{ ok: true; userId: string } | { ok: false; detail: string }> {
    const base = importedOf(item);
    // What the inline hook set for the Okta user (com.okta.user.profile.update) wins.
    const fromHook = (item.profile[OKTA_PROFILE_KEY] ?? {}) as Record<string, unknown>;
    const text = (v: unknown, fallback: string | null) => (typeof v === "string" && v !== "" ? v : fallback);
    const imported = {
      ...base,
      firstName: text(fromHook.firstName, base.firstName),
      lastName: text(fromHook.lastName, base.lastName),
      email: text(fromHook.email, base.email),
    };
    const login = text(fromHook.login, null) ?? oktaUsernameFor(imported, inbound);
    const email = imported.email ?? (login.includes("@") ? login : null);
    if (!imported.firstName || !imported.lastName || !email) {
      return { ok: false, detail: "an Okta user needs firstName, lastName and email: the downstream user lacks one" };
    }
    if ((await usersWhere(this.deps.db, byLogin(login), 1)).length > 0)
      return { ok: false, detail: `an Okta user with login ${login} already exists` };
    const activate = inbound.importRules.userCreateAndMatch.autoActivateNewUsers;
    const profile = { login, email, firstName: imported.firstName, lastName: imported.lastName };
    const id = newId("00u");
    await insertUserWithGroups(
      this.deps.db,
      {
        id,
        status: activate ? "ACTIVE" : "STAGED",
        transitioningToStatus: null,
        profile,
        login,
        loginLower: login.toLowerCase(),
        email,
        firstName: imported.firstName,
        lastName: imported.lastName,
        passwordHash: null,
        recoveryQuestion: null,
        recoveryAnswerHash: null,
        providerType: "IMPORT",
        providerName: "IMPORT",
        created: now,
        activated: activate ? now : null,
        statusChanged: activate ? now : null,
        lastLogin: null,
        lastUpdated: now,
        passwordChanged: null,
      },
      [],
    );
    return { ok: true, userId: id };
  }

  /** Activates confirmed new users too, when the confirmation asked for it. */
  async activateCreated(sessionId: string): Promise<void> {
    const { db } = this.deps;
    const created = await itemsChunk(db, sessionId, 0, 10_000, { result: "NEW", decision: "APPLIED" });
    const now = new Date();
    const audit = await this.deps.auditFor(sessionId);
    const events: LogEventInput[] = [];
    for (const item of created) {
      if (!item.matchedUserId) continue;
      const before = await getUser(db, item.matchedUserId);
      const user = await updateUser(db, item.matchedUserId, { status: "ACTIVE", activated: now, statusChanged: now, lastUpdated: now });
      if (user && before?.status !== "ACTIVE")
        events.push(userLifecycleEvent("activate", user, { from: before?.status, to: "ACTIVE" }, audit, { sessionId }));
    }
    await writeLog(db, events);
  }

  async #counters(sessionId: string): Promise<ImportCounters> {
    const rows = await countItems(this.deps.db, sessionId);
    const session = await this.deps.db.query.importSessions.findFirst({
      columns: { counters: true },
      where: (t, { eq }) => eq(t.id, sessionId),
    });
    const stored = session?.counters;
    // What the items cannot tell is carried over: the listing's size and the removal checks.
    const counters: ImportCounters = {
      ...EMPTY_COUNTERS,
      confirmed: 0,
      downstreamTotal: stored?.downstreamTotal,
      ...(stored?.verifiedMissing !== undefined ? { verifiedMissing: stored.verifiedMissing, missedByPaging: stored.missedByPaging } : {}),
    };
    for (const { result, decision, n } of rows) {
      counters.fetched += result === "UNASSIGN" ? 0 : n;
      if (result === "EXACT") counters.exact += n;
      if (result === "PARTIAL") counters.partial += n;
      if (result === "NEW") counters.new += n;
      if (result === "CONFLICT") counters.conflicts += n;
      if (result === "UNCHANGED") counters.unchanged += n;
      if (result === "IGNORED") counters.ignored += n;
      if (result === "UNASSIGN") counters.toUnassign += n;
      if (result === "UPDATED") counters.updated += n;
      if (result === "DEACTIVATED") counters.deactivated += n;
      if (result === "REACTIVATED") counters.reactivated += n;
      if (decision === "APPLIED") counters.applied += n;
      if (decision === "PENDING") counters.pending += n;
      if (decision === "CONFIRMED") counters.confirmed = (counters.confirmed ?? 0) + n;
      if (decision === "ERROR") counters.errors += n;
    }
    return counters;
  }

  async #inbound(appId: string): Promise<InboundSettings> {
    return (await getProvisioning(this.deps.db, appId))?.inbound ?? DEFAULT_INBOUND;
  }

  async #reload(session: ImportSessionRow): Promise<ImportSessionRow | undefined> {
    return this.deps.db.query.importSessions.findFirst({ where: (t, { eq }) => eq(t.id, session.id) });
  }

  async #save(session: ImportSessionRow, changes: Partial<ImportSessionRow>): Promise<void> {
    Object.assign(session, changes);
    await updateSession(this.deps.db, session.id, { ...changes, lastUpdated: new Date() });
  }

  async #fail(session: ImportSessionRow, error: string): Promise<false> {
    await this.#save(session, { status: "FAILED", phase: "DONE", error, completed: new Date() });
    return false;
  }
}

type Planned = { result: ImportResult; userId?: string; detail: string; profile?: Record<string, unknown> };

/** Where an item keeps the Okta profile values an inline hook set (com.okta.user.profile.update). */
const OKTA_PROFILE_KEY = "okta:user";

async function hookHeaders(hook: InlineHookRow, credentialsKey: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  for (const { key, value } of hook.headers) headers[key] = value;
  if (hook.authKey && hook.authBox) headers[hook.authKey] = await open(credentialsKey, hook.authBox);
  return headers;
}

type ApplyOutcome =
  | { ok: true; detail: string; userId?: string; oktaUserChanged?: boolean; assignment?: "added" | "updated" }
  | { ok: false; detail: string; userId?: string; oktaUserChanged?: undefined };

function sourcingDetail(result: ImportResult, sourcing: InboundSettings["profileSourcing"]): string {
  switch (result) {
    case "DEACTIVATED":
      return `deactivated in the app: ${sourcing.onDeactivated === "SUSPEND" ? "suspend" : "deactivate"} the Okta user`;
    case "REACTIVATED":
      return "active in the app again: reactivate the Okta user if the profile matches exactly";
    case "UPDATED":
      return "the app changed the user's profile: update the Okta user";
    default:
      return "already linked";
  }
}

function itemRow(sessionId: string, seq: number, user: ImportedUser): ImportItemRow {
  return {
    sessionId,
    seq,
    externalId: user.externalId,
    userName: user.userName,
    active: user.active,
    profile: user.profile,
    result: null,
    matchedUserId: null,
    decision: "NONE",
    detail: null,
  };
}

function importedOf(item: ImportItemRow): ImportedUser {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  return {
    externalId: item.externalId,
    userName: item.userName,
    email: text(item.profile.email),
    firstName: text(item.profile.firstName),
    lastName: text(item.profile.lastName),
    active: item.active,
    profile: item.profile,
  };
}

const sessionTarget = (session: ImportSessionRow) => ({ id: session.id, type: "ImportSession" as const });

function importedUserTarget(item: ImportItemRow, userId: string | undefined | null) {
  return userId
    ? { id: userId, type: "User" as const, displayName: item.userName }
    : { id: item.externalId, type: "AppUser" as const, alternateId: item.userName, displayName: item.userName };
}

/**
 * The plan's decision for one imported user (system.import.user.match): SUCCESS for a match,
 * a new user or a sourced change (each pending confirmation), SKIPPED for an unchanged or
 * ignored user, FAILURE for a conflict.
 */
function planEvent(session: ImportSessionRow, item: ImportItemRow, plan: Planned, audit: AuditContext): LogEventInput {
  const outcome: LogEventInput["outcome"] =
    plan.result === "CONFLICT"
      ? { result: "FAILURE", reason: plan.detail }
      : plan.result === "UNCHANGED" || plan.result === "IGNORED"
        ? { result: "SKIPPED", reason: plan.detail }
        : { result: "SUCCESS" };
  return {
    eventType: "system.import.user.match",
    displayMessage: "Match imported user to an Okta user",
    audit,
    outcome,
    ...(plan.result === "CONFLICT" ? { severity: "WARN" as const } : {}),
    target: [appTarget(session.appId), sessionTarget(session), importedUserTarget(item, plan.userId)],
    details: {
      sessionId: session.id,
      importResult: plan.result,
      externalId: item.externalId,
      decision: plan.result === "UNCHANGED" || plan.result === "IGNORED" ? "NONE" : "PENDING",
      detail: plan.detail,
    },
  };
}

/**
 * What applying one confirmed item did: an Okta user created (system.import.user.create),
 * updated from the app (system.import.user.update) or its status changed by the app
 * (system.import.user.update_user_lifecycle_from_master), the assignment linked
 * (application.user_membership.add, or .update when it existed) or removed (.remove). An item
 * that could not be applied is one FAILURE event of the kind it would have been.
 */
function applyEvents(session: ImportSessionRow, item: ImportItemRow, outcome: ApplyOutcome, audit: AuditContext): LogEventInput[] {
  const userId = outcome.userId ?? item.matchedUserId;
  const target = [appTarget(session.appId), sessionTarget(session), importedUserTarget(item, userId)];
  const details = { sessionId: session.id, importResult: item.result, externalId: item.externalId, detail: outcome.detail };
  const event = (eventType: string, displayMessage: string): LogEventInput => ({
    eventType,
    displayMessage,
    audit,
    target,
    details,
    ...(outcome.ok ? {} : { outcome: { result: "FAILURE" as const, reason: outcome.detail }, severity: "WARN" as const }),
  });
  const link = () =>
    outcome.ok && outcome.assignment === "updated"
      ? event("application.user_membership.update", "Update user's application membership")
      : event("application.user_membership.add", "Add user to application membership");
  switch (item.result) {
    case "UNASSIGN":
      return [event("application.user_membership.remove", "Remove user from application membership")];
    case "NEW":
      return outcome.ok
        ? [event("system.import.user.create", "Create Okta user from import"), link()]
        : [event("system.import.user.create", "Create Okta user from import")];
    case "UPDATED":
      return [event("system.import.user.update", "Update Okta user from import")];
    case "DEACTIVATED":
      return [event("system.import.user.update_user_lifecycle_from_master", "Update user lifecycle from app")];
    case "REACTIVATED": {
      const lifecycle = event("system.import.user.update_user_lifecycle_from_master", "Update user lifecycle from app");
      return outcome.ok && outcome.assignment ? [lifecycle, link()] : [lifecycle];
    }
    default:
      // EXACT, PARTIAL (a link) and CONFLICT (which cannot be applied).
      return [link()];
  }
}
