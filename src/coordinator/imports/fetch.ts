import { logStatements, type LogEventInput } from "../../audit/system-log";
import { batchAll } from "../../db/client";
import { linkedUsers } from "../../db/queries/bulk-lookups";
import { writeItems } from "../../db/queries/imports";
import type { ImportCounters, ImportItemRow, ImportSessionRow } from "../../db/schema";
import { flattenScimUser, type ImportedUser } from "../../imports/matching";
import { importSettingsKey, recordDigest } from "../../imports/record-digest";
import { ScimClient } from "../../provisioning/scim-client";
import { importHookOf, runImportHook } from "./hook";
import { itemRow, planEvent } from "./items";
import { planUsers } from "./plan";
import { appOf, fail, inboundOf, inlineHookIdOf, reload, RESULT_COUNTER, saveStatement, unmoved, type ImportDeps } from "./session";

/** SCIM count per page: what Okta asks for. */
export const PAGE_SIZE = 100;
/**
 * Pages read at once once the listing's size is known: few while users are being planned (each
 * step's items and events are one D1 batch, which holds D1 for everyone else while it runs), more
 * while nearly every user is skipped as unchanged (nothing is written for them).
 */
const PAGES_PER_STEP = 2;
const PAGES_PER_STEP_UNCHANGED = 5;
/** D1 queries a fetch step may issue (session, settings, app, hook, lookups, one batch of three statements). */
export const FETCH_STEP_QUERIES = 14;

type Page = { Resources?: Record<string, unknown>[]; totalResults?: number };

/**
 * FETCH: reads the next pages of the downstream's users (outside the critical section, several
 * at once once totalResults is known), skips those whose record and link are what the last
 * import left (counted as unchanged, nothing written), plans the rest together and writes their
 * items, plan events and the session's counters and cursor in one batch. Items are numbered by
 * their place in the listing, so a step that is run again after an eviction numbers them alike.
 */
export async function fetchStep(deps: ImportDeps, session: ImportSessionRow): Promise<boolean> {
  const { db, queue } = deps;
  const settings = await deps.settings();
  if (!settings.connection) {
    await queue.run(async () => {
      const current = await reload(db, session);
      if (current?.status === "RUNNING") await fail(db, current, "the app has no enabled provisioning connection");
    });
    return false;
  }
  const startIndex = Number(session.cursor ?? "1");
  const known = session.counters.downstreamTotal;
  const skipping = (session.counters.skippedUnchanged ?? 0) >= session.counters.fetched * 0.9 && session.counters.fetched > 0;
  const perStep = skipping ? PAGES_PER_STEP_UNCHANGED : PAGES_PER_STEP;
  const pages = known === undefined ? 1 : Math.min(perStep, Math.max(1, Math.ceil((known - (startIndex - 1)) / PAGE_SIZE)));
  const scim = new ScimClient(settings.connection);
  const starts = Array.from({ length: pages }, (_, i) => startIndex + i * PAGE_SIZE);
  const answers = await Promise.all(starts.map((start) => scim.request<Page>("GET", `/Users?startIndex=${start}&count=${PAGE_SIZE}`)));

  // Pages in order, until one ends the listing or comes back short of a full page (the next
  // step then starts right after it); a page that cannot be read fails the session, so that
  // users it would have held never look gone.
  const listed: ImportedUser[] = [];
  let cursor = startIndex;
  let total = known;
  let done = false;
  let failure: string | undefined;
  for (const [i, answer] of answers.entries()) {
    if (!answer.ok) {
      failure = `reading users at startIndex ${starts[i]}: ${answer.reason}`;
      break;
    }
    const resources = answer.body.Resources ?? [];
    total = answer.body.totalResults ?? starts[i] - 1 + resources.length;
    // Resources that are not users (no id or userName) are dropped.
    listed.push(...resources.flatMap((resource) => flattenScimUser(resource) ?? []));
    cursor = starts[i] + resources.length;
    done = resources.length === 0 || starts[i] - 1 + resources.length >= total;
    if (done || resources.length < PAGE_SIZE) break;
  }
  if (failure) {
    const reason = failure;
    return queue.run(async () => {
      const current = unmoved(await reload(db, session), session);
      return current ? fail(db, current, reason) : false;
    });
  }

  // Offset paging over a changing list can show a user twice (someone was added before it
  // between two pages): each user is kept once per session.
  const fresh = deps.imports.unseen(session.id, unique(listed.map((user) => user.externalId)), session.cursor ?? "1");
  const freshSet = new Set(fresh);
  const users = listed.filter((user) => freshSet.delete(user.externalId));
  const outcome = await planFetched(deps, session, users, session.counters, session.counters.fetched + 1);

  return queue.run(async () => {
    const latest = await reload(db, session);
    const current = unmoved(latest, session);
    if (!current) return latest?.status === "RUNNING";
    deps.imports.markSeen(current.id, fresh, session.cursor ?? "1");
    deps.imports.saveDigests(outcome.unchangedLinks);
    const changes = {
      counters: { ...outcome.counters, downstreamTotal: total },
      phase: done ? ("PLAN" as const) : ("FETCH" as const),
      cursor: done ? null : String(cursor),
    };
    // Items, their events and the cursor that says they were stored land together, or not at all.
    await batchAll(db, [...writeItems(db, outcome.items), ...logStatements(db, outcome.events), saveStatement(db, current, changes)]);
    return true;
  });
}

/** What a batch of fetched users comes to: items to store, their events, links whose digest to keep, and counts. */
export interface FetchedOutcome {
  items: ImportItemRow[];
  events: LogEventInput[];
  /** Linked users the plan leaves as they are: their digest is kept so the next import skips them. */
  unchangedLinks: { externalId: string; userId: string; digest: string }[];
  /** The session's counters with these users counted. */
  counters: ImportCounters;
}

/**
 * Skips the users an import already has as they are (the same digest, still linked to the same
 * Okta user), plans the others (with the app's inline hook, outside the critical section) and
 * builds their items, numbered from `firstSeq` by their place in `users`.
 * Shared by FETCH and by the check of linked users a full import did not list.
 */
export async function planFetched(
  deps: ImportDeps,
  session: ImportSessionRow,
  users: ImportedUser[],
  counters: ImportCounters,
  firstSeq: number,
): Promise<FetchedOutcome> {
  const { db } = deps;
  const [inbound, app] = await Promise.all([inboundOf(db, session.appId), appOf(db, session.appId)]);
  const decidedBy = importSettingsKey(inbound, inlineHookIdOf(app));
  const digests = await Promise.all(users.map((user) => recordDigest(user, decidedBy)));
  const externalIds = users.map((user) => user.externalId);
  const linked = await linkedUsers(db, session.appId, externalIds);
  const known = deps.imports.digests(externalIds);
  const unchanged = users.map((user, i) => {
    const link = linked.get(user.externalId);
    const last = known.get(user.externalId);
    return link !== undefined && last?.userId === link && last.digest === digests[i];
  });
  const toPlan = users.filter((_, i) => !unchanged[i]);
  const planned = await planUsers(db, deps.store, toPlan, inbound, linked);
  const hook = await importHookOf(db, app);
  if (hook && app) await runImportHook(deps, hook, app, session.id, toPlan, planned);

  const audit = await deps.auditFor(session.id);
  const next: ImportCounters = { ...counters, fetched: counters.fetched + users.length };
  const outcome: FetchedOutcome = { items: [], events: [], unchangedLinks: [], counters: next };
  let k = 0;
  users.forEach((user, i) => {
    if (unchanged[i]) {
      next.unchanged += 1;
      next.skippedUnchanged = (next.skippedUnchanged ?? 0) + 1;
      return;
    }
    const plan = planned[k++];
    const decision = plan.result === "UNCHANGED" || plan.result === "IGNORED" ? "NONE" : "PENDING";
    const item: ImportItemRow = {
      ...itemRow(session.id, firstSeq + i, user, digests[i]),
      result: plan.result,
      matchedUserId: plan.userId ?? null,
      detail: plan.detail,
      profile: plan.profile ?? user.profile,
      decision,
    };
    outcome.items.push(item);
    outcome.events.push(planEvent(session, item, plan, audit));
    next[RESULT_COUNTER[plan.result]] += 1;
    if (decision === "PENDING") next.pending += 1;
    if (plan.result === "UNCHANGED" && plan.userId)
      outcome.unchangedLinks.push({ externalId: user.externalId, userId: plan.userId, digest: digests[i] });
  });
  return outcome;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
