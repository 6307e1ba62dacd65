import { and, asc, eq, gt, inArray, or, type SQL } from "drizzle-orm";
import { planAssign } from "../../assignments/app-user-rules";
import { logStatements, type AuditContext, type LogEventInput } from "../../audit/system-log";
import { batchAll, type DB, type Statement } from "../../db/client";
import { getApp } from "../../db/queries/apps";
import { deleteAppUsers, upsertAppUsers } from "../../db/queries/app-users";
import { takenLogins, updateUsers, usersByIds } from "../../db/queries/bulk-lookups";
import { writeItemOutcomes } from "../../db/queries/imports";
import {
  importItems,
  users as usersTable,
  type AppRow,
  type AppUserRow,
  type ImportItemRow,
  type ImportSessionRow,
  type UserRow,
} from "../../db/schema";
import { writeRows } from "../../db/json-rows";
import { newId } from "../../domain/ids";
import type { InboundSettings } from "../../imports/inbound-settings";
import { autoConfirmed, oktaUsernameFor, profileMatches, sourcedProfile, type ImportResult } from "../../imports/matching";
import { PROVISIONING_OFF, type ProvisioningMode } from "../../provisioning/capabilities";
import type { DownstreamLink } from "../../provisioning/user-sync";
import type { ProfileRules } from "../../assignments/effective-profile";
import { decideAssignments, decisionStatements, loadAssignmentsOf, loadRules } from "../assignment-store";
import { applyEvents, importedOf, OKTA_PROFILE_KEY, type ApplyOutcome } from "./items";
import { inboundOf, reload, saveStatement, type ImportDeps } from "./session";

/** Items applied per step. */
export const APPLY_CHUNK = 250;
/** D1 queries an apply step may issue (session, settings, app, rules, four lookups, one batch of up to eight statements). */
export const APPLY_STEP_QUERIES = 20;

const APPLICABLE: ImportResult[] = ["EXACT", "PARTIAL", "NEW", "UNASSIGN", "UPDATED", "DEACTIVATED", "REACTIVATED"];

/** What the coordinator does with the users an apply step changed, besides writing D1. */
export interface ApplyEffects {
  /** Queues downstream work for assignments the step changed (removed, or whose Okta user changed). */
  queueOutbound: (changes: { changed: string[]; removed: string[]; oktaChanged: string[] }, audit: AuditContext) => Promise<void>;
}

/**
 * APPLY: a chunk of the items that are confirmed, or pending with a result the import rules
 * auto-confirm, in item order after the cursor. Every lookup is one query for the chunk; users
 * created, users the app sources, assignments linked or removed, the items' outcomes and their
 * events are one D1 batch with the session's counters and cursor, so a chunk lands whole or not
 * at all and running it again applies nothing twice. Runs inside the critical section.
 * Returns whether items remain (false also when the session stopped being applicable).
 */
export async function applyChunk(
  deps: ImportDeps,
  effects: ApplyEffects,
  session: ImportSessionRow,
  activateNew: boolean,
): Promise<"more" | "done" | "stopped"> {
  const { db } = deps;
  const current = await reload(db, session);
  if (!current || current.status !== "RUNNING" || current.phase !== "APPLY") return "stopped";
  const inbound = await inboundOf(db, current.appId);
  const after = Number(current.cursor ?? "0");
  const auto = APPLICABLE.filter((result) => autoConfirmed(result, inbound));
  const ready: SQL =
    auto.length > 0
      ? or(eq(importItems.decision, "CONFIRMED"), and(eq(importItems.decision, "PENDING"), inArray(importItems.result, auto)))!
      : eq(importItems.decision, "CONFIRMED");
  const items = await db
    .select()
    .from(importItems)
    .where(and(eq(importItems.sessionId, current.id), gt(importItems.seq, after), ready))
    .orderBy(asc(importItems.seq))
    .limit(APPLY_CHUNK);
  if (items.length === 0) return "done";

  const [app, rules, settings] = await Promise.all([getApp(db, current.appId), loadRules(db, current.appId), deps.settings()]);
  const audit = await deps.auditFor(current.id);
  // A confirmation that asked for activation creates its new users active.
  const work = new ApplyWork(
    app,
    rules,
    settings.mode,
    inbound,
    new Date(),
    activateNew || inbound.importRules.userCreateAndMatch.autoActivateNewUsers,
  );
  await work.load(db, items);
  const outcomes = items.map((item) => work.apply(item));
  const reconciled = work.reconcileSourced(audit);

  // The coordinator's own storage first: links and digests describe downstream accounts that
  // exist either way, and follow-ups of a change that does not land only re-check a user.
  deps.store.saveLinks(work.links);
  deps.imports.saveDigests(work.digests);
  deps.imports.forgetDigests(work.forgotten);
  deps.imports.addToOutbox([...work.oktaChanged], "import changed the Okta user", audit.requestId);
  await effects.queueOutbound({ changed: reconciled.changed, removed: reconciled.removed, oktaChanged: [...work.oktaChanged] }, audit);

  const events: LogEventInput[] = [];
  const recorded = items.map((item, i) => {
    const outcome = outcomes[i];
    events.push(...applyEvents(current, item, outcome, audit));
    // The plan's reasoning stays; what applying did is added to it.
    return {
      ...item,
      decision: outcome.ok ? ("APPLIED" as const) : ("ERROR" as const),
      detail: item.detail ? `${item.detail} -> ${outcome.detail}` : outcome.detail,
      matchedUserId: outcome.userId ?? item.matchedUserId,
    };
  });
  const applied = outcomes.filter((outcome) => outcome.ok).length;
  const counters = {
    ...current.counters,
    applied: current.counters.applied + applied,
    errors: current.counters.errors + (items.length - applied),
    pending: Math.max(0, current.counters.pending - items.filter((item) => item.decision === "PENDING").length),
    confirmed: Math.max(0, (current.counters.confirmed ?? 0) - items.length),
  };
  const statements: Statement[] = [
    ...writeRows(db, usersTable, work.created),
    ...updateUsers(work.sourced, ["profile", "email", "firstName", "lastName", "status", "statusChanged", "activated", "lastUpdated"]),
    ...upsertAppUsers(db, [...work.linked.values()]),
    ...deleteAppUsers(db, current.appId, [...work.unassigned]),
    ...decisionStatements(db, current.appId, reconciled, work.now),
    ...writeItemOutcomes(recorded),
    ...logStatements(db, events, work.now),
    saveStatement(db, current, { counters, cursor: String(items[items.length - 1].seq) }),
  ];
  await batchAll(db, statements);
  return items.length === APPLY_CHUNK ? "more" : "done";
}

/**
 * One chunk's items applied in memory, in order: what each did, and the rows, links and
 * follow-ups that result. Later items see what earlier ones did (a user linked twice keeps the
 * last link, as applying them one by one would).
 */
class ApplyWork {
  readonly created: UserRow[] = [];
  readonly sourced: UserRow[] = [];
  readonly linked = new Map<string, AppUserRow>();
  readonly unassigned = new Set<string>();
  readonly links: { userId: string; link: DownstreamLink | null }[] = [];
  readonly digests: { externalId: string; userId: string; digest: string }[] = [];
  readonly forgotten: string[] = [];
  /** Okta users the app changed (profile or status): their other apps follow (the outbox). */
  readonly oktaChanged = new Set<string>();
  /** Of those, the ones whose assignment here is reconciled (profile updates and deactivations). */
  readonly #toReconcile = new Set<string>();
  #users = new Map<string, UserRow>();
  #appUsers = new Map<string, AppUserRow>();
  #grants = new Map<string, { groupId: string; priority: number; profile: Record<string, unknown> }[]>();
  #taken = new Set<string>();

  constructor(
    readonly app: AppRow | undefined,
    readonly rules: ProfileRules,
    readonly mode: ProvisioningMode,
    readonly inbound: InboundSettings,
    readonly now: Date,
    readonly activateNew: boolean,
  ) {}

  /** Everything the chunk's items refer to, in four queries. */
  async load(db: DB, items: ImportItemRow[]): Promise<void> {
    const ids = [...new Set(items.flatMap((item) => (item.matchedUserId ? [item.matchedUserId] : [])))];
    const logins = items.filter((item) => item.result === "NEW").map((item) => this.#loginOf(item).toLowerCase());
    const [users, taken] = await Promise.all([usersByIds(db, ids), takenLogins(db, logins)]);
    this.#users = users;
    this.#taken = taken;
    if (this.app) {
      const loaded = await loadAssignmentsOf(db, this.app.id, ids);
      this.#appUsers = loaded.existing;
      this.#grants = loaded.grants;
    }
  }

  apply(item: ImportItemRow): ApplyOutcome {
    try {
      return this.#apply(item);
    } catch (error) {
      // One item's failure is that item's ERROR, never the whole chunk's.
      return { ok: false, detail: `could not apply: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  #apply(item: ImportItemRow): ApplyOutcome {
    if (item.result === "UPDATED" || item.result === "DEACTIVATED" || item.result === "REACTIVATED") {
      const outcome = this.#source(item);
      // Reactivated and active in the app: its assignment here is linked again below.
      if (!outcome.ok || item.result !== "REACTIVATED") return outcome;
    }
    if (item.result === "UNASSIGN") {
      if (!item.matchedUserId) return { ok: false, detail: "no assignment to remove" };
      this.unassigned.add(item.matchedUserId);
      this.#appUsers.delete(item.matchedUserId);
      this.linked.delete(item.matchedUserId);
      this.links.push({ userId: item.matchedUserId, link: null });
      this.forgotten.push(item.externalId);
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
      const created = this.#create(item);
      if (!created.ok) return created;
      userId = created.userId;
    }
    if (!userId) return { ok: false, detail: "no Okta user to link" };
    return this.#link(item, userId);
  }

  #link(item: ImportItemRow, userId: string): ApplyOutcome {
    const { app } = this;
    const user = this.#users.get(userId);
    if (!app || !user) return { ok: false, detail: "the app or the user no longer exists" };
    if (user.status === "DEPROVISIONED") return { ok: false, detail: "the Okta user is deactivated" };
    if (user.status === "PROVISIONED" && item.result === "REACTIVATED") {
      return {
        ok: true,
        detail: "reactivated in the app: profile differs, left pending activation (PROVISIONED)",
        userId,
        oktaUserChanged: true,
      };
    }
    const existing = this.#appUsers.get(userId);
    // Linking keeps the assignment's scope (a group-granted user stays under group control) and
    // records the downstream userName; it sets no credentials, so no scheme check applies.
    const plan = planAssign(
      { app, user, existing, grants: this.#grants.get(userId) ?? [], rules: this.rules, provisioning: PROVISIONING_OFF, now: this.now },
      { id: userId, scope: existing?.scope },
    );
    const { newPassword: _none, ...planned } = plan.draft;
    const row: AppUserRow = {
      ...planned,
      userName: existing?.userName ?? item.userName,
      passwordCiphertext: existing?.passwordCiphertext ?? null,
      externalId: item.externalId,
      status: "ACTIVE",
      syncState: "SYNCHRONIZED",
      lastSync: this.now,
      lastUpdated: this.now,
    };
    this.#appUsers.set(userId, row);
    this.linked.set(userId, row);
    this.unassigned.delete(userId);
    this.links.push({ userId, link: { externalId: item.externalId, userName: item.userName, active: item.active, pushed: null } });
    if (item.digest) this.digests.push({ externalId: item.externalId, userId, digest: item.digest });
    const assignment = existing ? ("updated" as const) : ("added" as const);
    if (item.result === "REACTIVATED")
      return { ok: true, detail: `reactivated and linked to ${user.login}`, userId, oktaUserChanged: true, assignment };
    return { ok: true, detail: `${item.result === "NEW" ? "created and " : ""}linked to ${user.login}`, userId, assignment };
  }

  /** Profile sourcing: the app changes the Okta user (profile, or status per the settings). */
  #source(item: ImportItemRow): ApplyOutcome {
    const userId = item.matchedUserId;
    const user = userId ? this.#users.get(userId) : undefined;
    if (!userId || !user) return { ok: false, detail: "the sourced Okta user no longer exists" };
    const imported = importedOf(item);
    const now = this.now;
    let changed: UserRow;
    let detail: string;
    if (item.result === "UPDATED") {
      const profile = { ...user.profile, ...sourcedProfile(imported) };
      changed = {
        ...user,
        profile,
        email: (profile.email as string) ?? user.email,
        firstName: (profile.firstName as string) ?? null,
        lastName: (profile.lastName as string) ?? null,
        lastUpdated: now,
      };
      detail = "Okta profile updated from the app";
      this.#toReconcile.add(userId);
    } else if (item.result === "DEACTIVATED") {
      const status = this.inbound.profileSourcing.onDeactivated === "SUSPEND" ? "SUSPENDED" : "DEPROVISIONED";
      changed = { ...user, status, statusChanged: now, lastUpdated: now };
      detail = `deactivated in the app: Okta user ${status === "SUSPENDED" ? "suspended" : "deactivated"}`;
      this.#toReconcile.add(userId);
    } else {
      // REACTIVATED: only an exact profile match reactivates; otherwise the user waits, pending activation.
      const exact = profileMatches(imported, user.profile);
      changed = {
        ...user,
        status: exact ? "ACTIVE" : "PROVISIONED",
        statusChanged: now,
        lastUpdated: now,
        ...(exact ? { activated: now } : {}),
      };
      detail = exact
        ? "reactivated in the app: Okta user reactivated"
        : "reactivated in the app: profile differs, left pending activation (PROVISIONED)";
    }
    this.#users.set(userId, changed);
    const at = this.sourced.findIndex((row) => row.id === userId);
    if (at >= 0) this.sourced[at] = changed;
    else this.sourced.push(changed);
    this.oktaChanged.add(userId);
    return { ok: true, detail, userId, oktaUserChanged: true };
  }

  #loginOf(item: ImportItemRow): string {
    const fromHook = (item.profile[OKTA_PROFILE_KEY] ?? {}) as Record<string, unknown>;
    return text(fromHook.login, null) ?? oktaUsernameFor(this.#importedWithHook(item), this.inbound);
  }

  /** The imported user with what the inline hook set for the Okta user (com.okta.user.profile.update) on top. */
  #importedWithHook(item: ImportItemRow) {
    const base = importedOf(item);
    const fromHook = (item.profile[OKTA_PROFILE_KEY] ?? {}) as Record<string, unknown>;
    return {
      ...base,
      firstName: text(fromHook.firstName, base.firstName),
      lastName: text(fromHook.lastName, base.lastName),
      email: text(fromHook.email, base.email),
    };
  }

  #create(item: ImportItemRow): { ok: true; userId: string } | { ok: false; detail: string } {
    const imported = this.#importedWithHook(item);
    const login = this.#loginOf(item);
    const email = imported.email ?? (login.includes("@") ? login : null);
    if (!imported.firstName || !imported.lastName || !email) {
      return { ok: false, detail: "an Okta user needs firstName, lastName and email: the downstream user lacks one" };
    }
    // Logins are unique whatever their case (users_login_lower_idx), across the chunk too.
    const lower = login.toLowerCase();
    if (this.#taken.has(lower)) return { ok: false, detail: `an Okta user with login ${login} already exists` };
    this.#taken.add(lower);
    const activate = this.activateNew;
    const now = this.now;
    const user: UserRow = {
      id: newId("00u", now.getTime()),
      status: activate ? "ACTIVE" : "STAGED",
      transitioningToStatus: null,
      profile: { login, email, firstName: imported.firstName, lastName: imported.lastName },
      login,
      loginLower: lower,
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
    };
    this.created.push(user);
    this.#users.set(user.id, user);
    return { ok: true, userId: user.id };
  }

  /**
   * The assignments here of users whose profile or status the app changed, decided again by the
   * rules (a deactivated user loses them), with their events.
   */
  reconcileSourced(audit: AuditContext) {
    const users = [...this.#toReconcile].flatMap((id) => this.#users.get(id) ?? []);
    const decision =
      this.app && users.length > 0
        ? decideAssignments(this.app, this.rules, this.mode, users, { existing: this.#appUsers, grants: this.#grants }, this.now, {
            cause: { reason: "import" },
            audit,
          })
        : { upserts: [], events: [], changed: [], removed: [] };
    return decision;
  }
}

function text(value: unknown, fallback: string | null): string | null {
  return typeof value === "string" && value !== "" ? value : fallback;
}
