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
  putOrgSetting,
  stageMissingAsUnassign,
  updateItem,
  updateSession,
  usersWhere,
} from "../db/queries/imports";
import { getProvisioning } from "../db/queries/provisioning";
import { insertUserWithGroups, updateUser } from "../db/queries/users";
import { newId } from "../domain/ids";
import { DEFAULT_INBOUND, type InboundSettings } from "../imports/inbound-settings";
import { autoConfirmed, flattenScimUser, oktaUsernameFor, type ImportedUser, type ImportResult } from "../imports/matching";
import { DEFAULT_SAFEGUARDS, evaluateSafeguards, type SafeguardSettings } from "../imports/safeguards";
import { PROVISIONING_OFF } from "../provisioning/capabilities";
import { ScimClient } from "../provisioning/scim-client";
import type { ProvisioningSettings } from "../provisioning/settings";
import { loadOne } from "./assignment-store";
import type { ProvisioningStore } from "./provisioning-store";
import type { SerialQueue } from "./serial-queue";

export const ROADBLOCK_KEY = "import_roadblock";
export const SAFEGUARDS_KEY = "import_safeguards";

const PAGE_SIZE = 100; // SCIM count per page
const PLAN_CHUNK = 200;
const APPLY_CHUNK = 100;

export type Roadblock = { sessionId: string; appId: string; level: "APP" | "ORG"; removals: number; limit: number; percent: number; raised: string };

export const EMPTY_COUNTERS: ImportCounters = { fetched: 0, exact: 0, partial: 0, new: 0, unchanged: 0, ignored: 0, toUnassign: 0, applied: 0, pending: 0, errors: 0 };

interface Deps {
  db: DB;
  queue: SerialQueue;
  store: ProvisioningStore;
  settings: () => Promise<ProvisioningSettings>;
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
        return this.deps.queue.run(() => this.#planChunk(session));
      case "APPLY":
        return this.deps.queue.run(() => this.#applyChunk(session));
      default:
        return false;
    }
  }

  async #leaveWaiting(session: ImportSessionRow): Promise<boolean> {
    if (await getOrgSetting<Roadblock>(this.deps.db, ROADBLOCK_KEY)) return false;
    await this.#save(session, { phase: "FETCH", cursor: "1" });
    return true;
  }

  async #fetchPage(session: ImportSessionRow): Promise<boolean> {
    const { db, queue } = this.deps;
    const settings = await this.deps.settings();
    if (!settings.connection) {
      await queue.run(() => this.#fail(session, "the app has no enabled provisioning connection"));
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
      const seq = (current.counters.fetched ?? 0) + 0;
      const rows: ImportItemRow[] = resources.flatMap((resource, i) => {
        const user = flattenScimUser(resource);
        return user ? [itemRow(current.id, seq + i + 1, user)] : [];
      });
      await batchAll(db, insertItems(db, rows));
      const fetched = current.counters.fetched + rows.length;
      const total = page.body.totalResults ?? fetched;
      const done = resources.length === 0 || startIndex - 1 + resources.length >= total;
      await this.#save(current, {
        counters: { ...current.counters, fetched },
        phase: done ? "PLAN" : "FETCH",
        cursor: done ? "0" : String(startIndex + resources.length),
      });
      return true;
    });
  }

  async #planChunk(session: ImportSessionRow): Promise<boolean> {
    const { db } = this.deps;
    const current = await this.#reload(session);
    if (!current || current.status !== "RUNNING" || current.phase !== "PLAN") return false;
    const inbound = await this.#inbound(current.appId);
    const items = await itemsChunk(db, current.id, Number(current.cursor ?? "0"), PLAN_CHUNK, { unplanned: true });
    if (items.length > 0) {
      const decisions = await Promise.all(items.map((item) => this.#match(current.appId, item, inbound)));
      await batchAll(
        db,
        items.map((item, i) => updateItem(db, current.id, item.seq, { result: decisions[i].result, matchedUserId: decisions[i].userId ?? null, detail: decisions[i].detail, decision: decisions[i].result === "UNCHANGED" || decisions[i].result === "IGNORED" ? "NONE" : "PENDING" })),
      );
      await this.#save(current, { cursor: String(items[items.length - 1].seq) });
      return true;
    }
    return this.#finishPlan(current, inbound);
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
    const breach = evaluateSafeguards({ removals: counters.toUnassign, appAssigned, orgAssigned, settings: settings ?? DEFAULT_SAFEGUARDS });
    if (breach) {
      const roadblock: Roadblock = { sessionId: session.id, appId: session.appId, ...breach, raised: new Date().toISOString() };
      if (!(await getOrgSetting<Roadblock>(db, ROADBLOCK_KEY))) await putOrgSetting(db, ROADBLOCK_KEY, roadblock);
      await this.#save(session, { counters, status: "PAUSED_SAFEGUARD", safeguard: { ...breach }, phase: "APPLY", cursor: "0" });
      console.log(JSON.stringify({ event: "system.import.roadblock", appId: session.appId, sessionId: session.id, ...breach }));
      return false;
    }
    return this.beginApply(session, inbound, counters);
  }

  /** Confirms what the rules auto-confirm and starts applying (also used when a roadblock is resumed). */
  async beginApply(session: ImportSessionRow, inbound?: InboundSettings, counters?: ImportCounters): Promise<boolean> {
    const rules = inbound ?? (await this.#inbound(session.appId));
    const results: ImportResult[] = ["EXACT", "PARTIAL", "NEW", "UNASSIGN"];
    await confirmResults(this.deps.db, session.id, results.filter((r) => autoConfirmed(r, rules)));
    await this.#save(session, { counters: counters ?? (await this.#counters(session.id)), status: "RUNNING", phase: "APPLY", cursor: "0" });
    return true;
  }

  async #applyChunk(session: ImportSessionRow): Promise<boolean> {
    const { db } = this.deps;
    const current = await this.#reload(session);
    if (!current || current.status !== "RUNNING" || current.phase !== "APPLY") return false;
    const inbound = await this.#inbound(current.appId);
    const items = await itemsChunk(db, current.id, 0, APPLY_CHUNK, { decision: "CONFIRMED" });
    for (const item of items) {
      const outcome = await this.#apply(current, item, inbound);
      await batchAll(db, [updateItem(db, current.id, item.seq, { decision: outcome.ok ? "APPLIED" : "ERROR", detail: outcome.detail, matchedUserId: outcome.userId ?? item.matchedUserId })]);
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
    return false;
  }

  /** Exact (username format or email, case-sensitive), partial (first + last name), new, or already linked. */
  async #match(appId: string, item: ImportItemRow, inbound: InboundSettings): Promise<{ result: ImportResult; userId?: string; detail: string }> {
    const { db } = this.deps;
    if (!item.active) return { result: "IGNORED", detail: "inactive downstream (active: false): not imported" };
    const linked = await appUserIdByExternalId(db, appId, item.externalId);
    if (linked) return { result: "UNCHANGED", userId: linked, detail: "already linked" };
    const imported = importedOf(item);
    const rules = inbound.importRules.userCreateAndMatch;
    const criteria = rules.exactMatchCriteria === "EMAIL" ? (imported.email ? byEmail(imported.email) : undefined) : byLogin(oktaUsernameFor(imported, inbound));
    if (criteria) {
      const exact = await usersWhere(db, criteria);
      if (exact.length === 1) return { result: "EXACT", userId: exact[0].id, detail: `${rules.exactMatchCriteria === "EMAIL" ? "email" : "username"} matches ${exact[0].profile.login}` };
    }
    if (rules.allowPartialMatch && imported.firstName && imported.lastName) {
      const partial = await usersWhere(db, byName(imported.firstName, imported.lastName));
      if (partial.length === 1) return { result: "PARTIAL", userId: partial[0].id, detail: `first and last name match ${partial[0].profile.login}` };
    }
    return { result: "NEW", detail: "no matching Okta user" };
  }

  async #apply(session: ImportSessionRow, item: ImportItemRow, inbound: InboundSettings): Promise<{ ok: boolean; detail: string; userId?: string }> {
    const { db, store } = this.deps;
    const now = new Date();
    if (item.result === "UNASSIGN") {
      if (!item.matchedUserId) return { ok: false, detail: "no assignment to remove" };
      await batchAll(db, [deleteAppUser(db, session.appId, item.matchedUserId)]);
      store.saveLink(item.matchedUserId, null);
      return { ok: true, detail: "unassigned: gone from the app" };
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
    const plan = planAssign({ app, user, existing, grants, rules, provisioning: PROVISIONING_OFF, now }, { id: user.id, credentials: { userName: item.userName } });
    const { newPassword: _none, ...draft } = plan.draft;
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
    return { ok: true, detail: `${item.result === "NEW" ? "created and " : ""}linked to ${user.profile.login}`, userId: user.id };
  }

  async #createOktaUser(item: ImportItemRow, inbound: InboundSettings, now: Date): Promise<{ ok: true; userId: string } | { ok: false; detail: string }> {
    const imported = importedOf(item);
    const login = oktaUsernameFor(imported, inbound);
    const email = imported.email ?? (login.includes("@") ? login : null);
    if (!imported.firstName || !imported.lastName || !email) {
      return { ok: false, detail: "an Okta user needs firstName, lastName and email: the downstream user lacks one" };
    }
    if ((await usersWhere(this.deps.db, byLogin(login), 1)).length > 0) return { ok: false, detail: `an Okta user with login ${login} already exists` };
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
    for (const item of created) {
      if (item.matchedUserId) await updateUser(db, item.matchedUserId, { status: "ACTIVE", activated: now, statusChanged: now, lastUpdated: now });
    }
  }

  async #counters(sessionId: string): Promise<ImportCounters> {
    const rows = await countItems(this.deps.db, sessionId);
    const counters = { ...EMPTY_COUNTERS };
    for (const { result, decision, n } of rows) {
      counters.fetched += result === "UNASSIGN" ? 0 : n;
      if (result === "EXACT") counters.exact += n;
      if (result === "PARTIAL") counters.partial += n;
      if (result === "NEW") counters.new += n;
      if (result === "UNCHANGED") counters.unchanged += n;
      if (result === "IGNORED") counters.ignored += n;
      if (result === "UNASSIGN") counters.toUnassign += n;
      if (decision === "APPLIED") counters.applied += n;
      if (decision === "PENDING") counters.pending += n;
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
