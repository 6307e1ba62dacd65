import type { DB } from "../../db/client";
import { usersByEmails, usersByIds, usersByLogins, usersByNames } from "../../db/queries/bulk-lookups";
import type { UserRow } from "../../db/schema";
import type { InboundSettings } from "../../imports/inbound-settings";
import { oktaUsernameFor, sourcingResult, type ImportedUser } from "../../imports/matching";
import type { ProvisioningStore } from "../provisioning-store";
import { sourcingDetail, type Planned } from "./items";

/**
 * The plan for a batch of downstream users, decided together: already linked (to this app, or
 * to an Okta user profile sourcing deactivated), EXACT (email or username format, case
 * sensitive), PARTIAL (first and last name), NEW, CONFLICT (more than one match), IGNORED
 * (inactive downstream) or, with profile sourcing, what the app changes in Okta. At most four
 * queries whatever the batch size: linked Okta users, exact matches, then partial matches.
 */
export async function planUsers(
  db: DB,
  store: ProvisioningStore,
  users: readonly ImportedUser[],
  inbound: InboundSettings,
  linked: ReadonlyMap<string, string>,
): Promise<Planned[]> {
  const sourcing = inbound.profileSourcing.status === "ENABLED" ? inbound.profileSourcing : undefined;
  // A linked user: an assignment with this external id, or a link kept after sourcing deactivated them.
  const kept = store.userIdsByExternalIds(users.filter((user) => !linked.has(user.externalId)).map((user) => user.externalId));
  const links = users.map((user) => linked.get(user.externalId) ?? kept.get(user.externalId));
  const linkedOkta = sourcing
    ? await usersByIds(
        db,
        links.filter((id): id is string => id !== undefined),
      )
    : new Map<string, UserRow>();

  const rules = inbound.importRules.userCreateAndMatch;
  const byEmail = rules.exactMatchCriteria === "EMAIL";
  const exactKey = (user: ImportedUser) => (byEmail ? user.email : oktaUsernameFor(user, inbound));
  const unlinked = users.filter((user, i) => links[i] === undefined && user.active);
  const exactValues = unlinked.flatMap((user) => exactKey(user) ?? []);
  const exact = group(byEmail ? await usersByEmails(db, exactValues) : await usersByLogins(db, exactValues), (user) =>
    byEmail ? user.email : user.login,
  );
  const partialCandidates = rules.allowPartialMatch
    ? unlinked.filter((user) => user.firstName && user.lastName && (exact.get(exactKey(user) ?? "")?.length ?? 0) === 0)
    : [];
  const partial = group(
    await usersByNames(
      db,
      partialCandidates.map((user) => [user.firstName!, user.lastName!] as [string, string]),
    ),
    (user) => JSON.stringify([user.firstName, user.lastName]),
  );

  return users.map((user, i): Planned => {
    const link = links[i];
    const okta = link ? linkedOkta.get(link) : undefined;
    if (link && sourcing && okta) {
      const result = sourcingResult(user, okta, sourcing);
      return { result, userId: link, detail: sourcingDetail(result, sourcing) };
    }
    if (!user.active) return { result: "IGNORED", detail: "inactive downstream (active: false): not imported" };
    if (link) return { result: "UNCHANGED", userId: link, detail: "already linked" };
    const criterion = byEmail ? "email" : "username";
    const key = exactKey(user);
    const exactMatches = key ? (exact.get(key) ?? []) : [];
    if (exactMatches.length === 1)
      return { result: "EXACT", userId: exactMatches[0].id, detail: `${criterion} matches ${exactMatches[0].login}` };
    if (exactMatches.length > 1) return { result: "CONFLICT", detail: `conflict: the ${criterion} matches more than one Okta user` };
    if (rules.allowPartialMatch && user.firstName && user.lastName) {
      const matches = partial.get(JSON.stringify([user.firstName, user.lastName])) ?? [];
      if (matches.length === 1)
        return { result: "PARTIAL", userId: matches[0].id, detail: `first and last name match ${matches[0].login}` };
      if (matches.length > 1) return { result: "CONFLICT", detail: "conflict: the first and last name match more than one Okta user" };
    }
    return { result: "NEW", detail: "no matching Okta user" };
  });
}

function group<T>(rows: T[], keyOf: (row: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    if (key !== null) out.set(key, [...(out.get(key) ?? []), row]);
  }
  return out;
}
